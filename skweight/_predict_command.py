"""``skweight predict``: apply a model saved by ``skweight fit`` to new rows.

Everything about the new table is checked before Keras is imported: its
columns against those of training (missing, extra, a number column holding
text, text values never seen in training), the per-row cost options. The
output has one row per input row, in order: the decision, the probability of
each class and the expected cost of the decision, ``sum_i p(i|x) C[i, d]``
(with costs per row, the row's own ``C``); it is written atomically.
"""

import argparse
import sys

from ._compare_data import InputError, first_line, read_table, row_costs
from ._messages import short_repr as quote
from ._out_file import check_out_file, write_atomically
from ._quiet import import_backend_quietly


def _listed(names, limit=10):
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_columns(X, info, path):
    """The new table's features in the training order; InputError on a mismatch."""
    import pandas as pd

    columns = info["columns"]
    X = X.rename(columns=str)
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise InputError(f"{path} lacks the column(s) {_listed(missing)} the model "
                         "was trained with; add them (empty cells are allowed)")
    ignored = {*info["dropped_columns"], *filter(None, [info.get("target")])}
    extra = [c for c in X.columns if c not in columns and c not in ignored]
    if extra:
        raise InputError(f"{path} has column(s) {_listed(extra)} the model was not "
                         f"trained with; remove them (training columns: "
                         f"{_listed(list(columns))})")
    X = X[list(columns)].copy()
    for name, spec in columns.items():
        column = X[name]
        if spec["kind"] == "number":
            if column.dtype.kind not in "biuf":
                numbers = pd.to_numeric(column, errors="coerce")
                bad = column[numbers.isna() & column.notna()]
                raise InputError(f"column {quote(name)} held numbers in training "
                                 f"but holds {quote(str(bad.iloc[0]))} on row "
                                 f"{int(bad.index[0])}; fix or empty those cells")
            continue
        if spec["values"] is None:
            continue
        seen = set(spec["values"])
        text = column.dropna().astype(str)
        unseen = sorted(set(text) - seen)
        if unseen:
            raise InputError(f"column {quote(name)} holds value(s) never seen in "
                             f"training: {_listed(unseen, 5)} (training values: "
                             f"{_listed(spec['values'], 8)}); map them to known "
                             "values or empty those cells")
        if column.dtype.kind != "O":  # codes read as numbers, text in training
            X[name] = column.astype(str).astype(object).where(column.notna(), None)
    return X


def _row_costs(X, info, args):
    """Each row's costs from the options (or fit's), or None for the matrix."""
    import numpy as np

    options = {name: getattr(args, name) for name in
               ("fn_cost", "fn_cost_column", "fp_cost", "fp_cost_column")}
    given = any(v is not None for v in options.values())
    if not given and info.get("row_costs") is None:
        return None, info["costs"]
    if not given:
        options = {k: v for k, v in info["row_costs"].items() if k != "positive"}
    positive = args.positive if args.positive is not None else (
        (info.get("row_costs") or {}).get("positive"))
    namespace = argparse.Namespace(cost_matrix=None, positive=positive, **options)
    classes = np.asarray(info["classes"])
    if len(classes) != 2:
        raise InputError("per-row costs need two classes; the model has "
                         f"{len(classes)}")
    return row_costs(X, classes, namespace)


def run(args, argv):
    """Run ``skweight predict``; ``argv`` are the words after the program name."""
    import numpy as np
    import pandas as pd

    from ._deployed import read_info

    check_out_file(args.out)
    try:
        info = read_info(args.model)
    except ValueError as exc:
        raise InputError(first_line(exc)) from exc
    table = read_table(args.file) if args.file != "-" else None
    if table is None:
        raise InputError("FILE '-': pass a CSV or Parquet file")
    costs, costs_text = _row_costs(table, info, args)
    X = check_columns(table, info, args.file)
    import_backend_quietly()
    from . import load

    model = load(args.model)
    y_pred, proba, cost = model.decide(X, costs)
    out = pd.DataFrame({"decision": y_pred})
    for k, label in enumerate(model.classes_):
        out[f"p({label})"] = proba[:, k]
    out["expected_cost"] = cost
    write_atomically(args.out, lambda path: out.to_csv(path, index=False))
    labels, numbers = np.unique(y_pred, return_counts=True)
    counts = ", ".join(f"{label!r}: {n}" for label, n in
                       zip(labels.tolist(), numbers.tolist(), strict=True))
    print(f"{len(out)} rows decided by {info['strategy']} ({info['decision']}): "
          f"{counts}; expected cost {cost.sum():.4g} in total, {cost.mean():.4g} "
          f"per row ({costs_text}); wrote {args.out}", file=sys.stdout)
    return 0
