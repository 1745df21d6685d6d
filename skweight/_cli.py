"""The ``skweight`` command (also ``python -m skweight``).

``skweight compare [FILE] --target COL ...`` cross-validates the imbalance strategies
of :func:`skweight.compare_strategies` on a CSV or Parquet table (or, with no FILE,
on the yeast data shipped with the package), prints a table ranked by normalised
cost and, with ``--out``, writes the table and figures. Bad input ends with a
one-line message on stderr and exit status 2.
"""

import argparse
import difflib
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from ._compare import (
    DECISIONS,
    NETWORK_DEFAULTS,
    compare_strategies,
    default_strategies,
)

EPILOG = """\
cost matrix:
  C[i][j] is the cost of predicting class j when the true class is i:
  rows = true class, columns = predicted class, both in sorted label order
  (the order of sklearn's confusion_matrix). Rows are separated by ';', entries
  by ','. Labels "fraud" and "legit" sort as [fraud, legit]; if a missed fraud
  costs 10 false alarms:
    --cost-matrix "0,10;1,0"    row fraud: 0 (say fraud), 10 (say legit)
                                row legit: 1 (say fraud),  0 (say legit)
  PATH: a text file with one row per line. Default: the 0-1 cost (1 - identity);
  without FILE, missing an EXC protein costs 20 false alarms ("0,1;20,0").

decisions (each strategy is fitted once per fold):
  argmax  the model's own predict (a class-weighted network: its weighted output)
  bayes   the class of least expected cost under the cost matrix
  tuned   the threshold of least cost, tuned on %(tune)d%% of each training fold

examples:
  skweight compare                                   # the embedded yeast data
  skweight compare data.csv --target churn --cost-matrix "0,1;5,0" --out report
  skweight compare data.parquet --target y --strategies balanced,smote --cv 3
"""


class InputError(Exception):
    """Bad input, reported on one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError(f"{message} (see '{self.prog} --help')")


def _build_parser():
    parser = _Parser(prog="skweight", description="Imbalanced classification with "
                     "Keras: class weights, output bias and cost-based decisions.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     parser_class=_Parser)
    compare = commands.add_parser(
        "compare",
        help="compare imbalance strategies on a table, ranked by cost",
        description="Cross-validate imbalance strategies (class weights, output\n"
        "bias, focal and logit-adjusted losses, resampling), each decided by argmax,\n"
        "by the Bayes rule and by a tuned threshold; rank them by normalised cost\n"
        "(cost / cost of the best constant prediction).",
        epilog=EPILOG % {"tune": 25},
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("file", nargs="?", metavar="FILE",
                         help="CSV or Parquet table; none: the embedded yeast data "
                         "(EXC proteins vs the rest, 35 of 1484 rows)")
    compare.add_argument("--target", metavar="COL", help="the column of class labels "
                         "(required with FILE); rows where it is missing are dropped")
    compare.add_argument("--cost-matrix", metavar="SPEC|PATH",
                         help='costs as "0,10;1,0" or a file; see below')
    compare.add_argument("--cv", type=int, default=5, metavar="K",
                         help="stratified folds (default: 5)")
    compare.add_argument("--strategies", metavar="A,B,...", help="strategies to "
                         "compare, among no-weights, prior-bias, balanced, "
                         "balanced+prior-bias, cost-weights (with unequal costs), "
                         "focal, logit-adjusted, undersampling, smote (default: all)")
    compare.add_argument("--decisions", default=",".join(DECISIONS), metavar="D,...",
                         help="decisions among argmax,bayes,tuned (default: all)")
    compare.add_argument("--out", metavar="DIR", help="write compare.csv, "
                         "compare.json and PNG figures to DIR")
    compare.add_argument("--n-jobs", type=int, default=None, metavar="N",
                         help="fits run in parallel (default: 1)")
    compare.add_argument("--random-state", type=int, default=0, metavar="N",
                         help="seed of folds, networks and resamplers (default: 0)")
    compare.add_argument("--epochs", type=int, default=NETWORK_DEFAULTS["epochs"],
                         metavar="N", help="maximum epochs per network (default: "
                         f"{NETWORK_DEFAULTS['epochs']}; training also stops when "
                         "the loss is flat for 10 epochs)")
    compare.add_argument("--hidden", default=",".join(
                         map(str, NETWORK_DEFAULTS["hidden_layer_sizes"])),
                         metavar="N,...", help="hidden layer sizes (default: 32)")
    return parser


def main(argv=None):
    """Run the ``skweight`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 on bad input (after a one-line message on stderr).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return _compare(args)
    except InputError as exc:
        print(f"skweight: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0


# ---------------------------------------------------------------- input


def _read_table(path):
    import pandas as pd

    file = Path(path)
    if not file.exists():
        raise InputError(f"{path}: no such file")
    if file.is_dir():
        raise InputError(f"{path} is a directory; pass a CSV or Parquet file")
    parquet = any(s in (".parquet", ".pq") for s in file.suffixes)
    kind = "Parquet" if parquet else "CSV"
    try:
        data = pd.read_parquet(file) if parquet else pd.read_csv(file)
    except ImportError as exc:
        raise InputError(f"reading Parquet needs pyarrow ({_first_line(exc)}); "
                         "pip install 'skweight[parquet]'") from exc
    except Exception as exc:  # a file we cannot parse, whatever the reader says
        raise InputError(f"cannot read {path} as {kind}: {_first_line(exc)}") from exc
    if data.shape[0] == 0 or data.shape[1] < 2:
        raise InputError(f"{path} has {data.shape[0]} rows and {data.shape[1]} "
                         "columns; it needs rows, a target and at least one feature")
    return data


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _split_target(data, target, path):
    from sklearn.utils.multiclass import type_of_target

    if target is None:
        raise InputError(f"--target is required with FILE; columns of {path}: "
                         f"{', '.join(map(str, data.columns))}")
    if target not in data.columns:
        close = difflib.get_close_matches(target, list(map(str, data.columns)), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"--target {target!r} is not a column of {path}{hint}; "
                         f"columns: {', '.join(map(str, data.columns))}")
    missing = data[target].isna()
    data = data.loc[~missing]
    y = data[target].to_numpy()
    if y.dtype == object:
        y = y.astype(str) if all(isinstance(v, str) for v in y) else y
    elif y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
        y = y.astype(np.int64)  # integer labels read as floats because of gaps
    X = data.drop(columns=[target])
    classes = np.unique(y) if len(y) else np.array([])
    if len(classes) < 2:
        found = f"one class ({classes.tolist()[0]!r})" if len(classes) else "no labels"
        raise InputError(f"target {target!r} has {found} after dropping "
                         f"{int(missing.sum())} rows with a missing target; "
                         "comparing classifiers needs at least 2 classes")
    if type_of_target(y) == "continuous":
        raise InputError(f"target {target!r} looks continuous ({len(classes)} "
                         "distinct non-integer values); pass a column of class labels")
    return X, y, int(missing.sum())


def _parse_cost_matrix(spec, classes):
    from ._costs import check_cost_matrix

    order = f"class order (rows and columns): {classes.tolist()!r}"
    text = spec
    if Path(spec).is_file():
        text = Path(spec).read_text()
    elif not re.search(r"[,;]", spec) and re.search(r"[/\\]|\.\w+$", spec):
        raise InputError(f"--cost-matrix {spec!r}: no such file")
    try:
        rows = [r for r in re.split(r"[;\n]", text) if r.strip()]
        matrix = [[float(v) for v in re.split(r"[,\s]+", r.strip())] for r in rows]
        matrix = np.array(matrix, dtype=float)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            matrix = check_cost_matrix(matrix, classes)
    except ValueError as exc:
        raise InputError(f"--cost-matrix {spec!r} does not fit: "
                         f"{_first_line(exc)} {order}; e.g. "
                         f'"{_example_spec(len(classes))}"') from exc
    for warning in caught:
        print(f"skweight: warning: {_first_line(warning.message)}", file=sys.stderr)
    return matrix


def _example_spec(n_classes):
    return ";".join(",".join("0" if i == j else "1" for j in range(n_classes))
                    for i in range(n_classes))


def _preprocessor():
    """Impute and scale numbers; one-hot encode everything else."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         make_column_selector(dtype_include=np.number)),
        ("categorical", OneHotEncoder(handle_unknown="infrequent_if_exist",
                                      max_categories=30, sparse_output=False),
         make_column_selector(dtype_exclude=np.number)),
    ])


def _load(args):
    """Features, labels, cost matrix, preprocessor and a description of the data."""
    if args.file is None:
        from .datasets import load_yeast

        if args.target is not None:
            raise InputError("--target applies to FILE; without FILE the embedded "
                             "yeast data (target: EXC or not) is used")
        X, y = load_yeast(positive_class="EXC", return_X_y=True, as_frame=True)
        y = y.to_numpy()
        spec = args.cost_matrix or "0,1;20,0"
        about = (f"yeast (UCI, embedded): EXC proteins vs the rest, {len(y)} rows, "
                 f"{int(y.sum())} EXC ({y.mean():.1%}); classes [0, 1] = "
                 "[not EXC, EXC]")
        return X, y, _parse_cost_matrix(spec, np.unique(y)), None, about, 0
    data = _read_table(args.file)
    X, y, dropped = _split_target(data, args.target, args.file)
    classes, counts = np.unique(y, return_counts=True)
    spec = args.cost_matrix or _example_spec(len(classes))
    counts_text = ", ".join(f"{c!r}: {n}" for c, n in zip(classes.tolist(), counts,
                                                            strict=True))
    about = (f"{args.file}: {len(y)} rows ({dropped} dropped: missing target), "
             f"{X.shape[1]} feature columns, target {args.target!r} ({counts_text})")
    return X, y, _parse_cost_matrix(spec, classes), _preprocessor(), about, dropped


def _select(strategies, names):
    if names is None:
        return strategies
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in strategies]
    if unknown or not chosen:
        raise InputError(f"--strategies: unknown {unknown!r}; choose among "
                         f"{','.join(strategies)}")
    return {name: strategies[name] for name in chosen}


def _check_options(args, y):
    decisions = [d.strip() for d in args.decisions.split(",") if d.strip()]
    if not decisions or any(d not in DECISIONS for d in decisions):
        raise InputError(f"--decisions {args.decisions!r}: choose among "
                         f"{','.join(DECISIONS)}")
    try:
        hidden = tuple(int(h) for h in args.hidden.split(","))
    except ValueError:
        hidden = ()
    if not hidden or min(hidden) < 1:
        raise InputError(f"--hidden {args.hidden!r}: pass layer sizes such as 32 "
                         "or 64,32")
    if args.epochs < 1:
        raise InputError(f"--epochs {args.epochs}: pass at least 1")
    classes, counts = np.unique(y, return_counts=True)
    if args.cv < 2 or counts.min() < args.cv:
        small = {c: int(n) for c, n in zip(classes.tolist(), counts, strict=True)
                 if n < max(args.cv, 2)}
        raise InputError(f"--cv {args.cv}: needs at least 2 folds and as many rows "
                         f"in every class; these classes have fewer: {small!r}")
    return decisions, {"epochs": args.epochs, "hidden_layer_sizes": hidden}


# ---------------------------------------------------------------- run


def _progress():
    """``(update, close)`` for a progress bar on stderr: tqdm if installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        def update(done, total):
            sys.stderr.write(f"\rfitting {done}/{total} (strategy x fold)")
            sys.stderr.flush()

        def close():
            sys.stderr.write("\n")

        return update, close
    bar = tqdm(desc="fitting", unit="fit", file=sys.stderr, leave=False)

    def update(done, total):
        bar.total = total
        bar.update(done - bar.n)

    return update, bar.close


def _compare(args):
    X, y, cost_matrix, preprocessor, about, dropped = _load(args)
    decisions, network_params = _check_options(args, y)
    strategies = _select(
        default_strategies(cost_matrix, args.random_state, preprocessor=preprocessor,
                           network_params=network_params),
        args.strategies,
    )
    out = _prepare_out(args.out) if args.out else None
    print(about)
    print(f"cost matrix (rows = true class, columns = predicted, order "
          f"{np.unique(y).tolist()!r}): {cost_matrix.tolist()!r}")
    classes = np.unique(y)
    if len(classes) == 2:
        print(f"positive class (average precision, figures): "
              f"{classes.tolist()[1]!r}, the second in sorted order")
    update, close = _progress()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table, details = compare_strategies(
                X, y, cost_matrix=cost_matrix, strategies=strategies,
                decisions=decisions, cv=args.cv, n_jobs=args.n_jobs,
                random_state=args.random_state, error_score=np.nan,
                progress=update, return_predictions=True,
            )
        finally:
            close()
    wall = time.perf_counter() - start
    for message in dict.fromkeys(_first_line(w.message) for w in caught
                                 if _worth_showing(w)):
        print(f"skweight: warning: {message}", file=sys.stderr)
    table = table.sort_values("normalized_cost_mean", kind="stable",
                              ignore_index=True)
    noun = "strategy" if len(strategies) == 1 else "strategies"
    print(f"{len(strategies)} {noun} x {args.cv} folds in {wall:.0f} s; "
          "ranked by normalised cost, mean ± std over folds:\n")
    print(_format_table(table))
    print(_legend(decisions, table.attrs["tune_size"]))
    if out is not None:
        meta = {"data": about, "n_rows": len(y), "n_dropped_missing_target": dropped,
                "classes": np.unique(y).tolist(), "cost_matrix": cost_matrix.tolist(),
                "cv": args.cv, "random_state": args.random_state,
                "epochs": args.epochs,
                "hidden_layer_sizes": list(network_params["hidden_layer_sizes"]),
                "wall_time_seconds": round(wall, 1)}
        written = _write_outputs(out, table, meta, details)
        print(f"wrote {', '.join(str(out / name) for name in written)}")
    return 0


def _worth_showing(warning):
    from sklearn.exceptions import FitFailedWarning

    from ._costs import UnreasonableCostWarning

    return issubclass(warning.category, FitFailedWarning | UnreasonableCostWarning)


def _legend(decisions, tune_size):
    import textwrap

    tune = round(100 * tune_size)
    shared = (f"tuned = the threshold of least cost on {tune}% of each training "
              f"fold; all decisions share one fit per fold, on the other "
              f"{100 - tune}%." if "tuned" in decisions
              else "each fit uses the whole training fold.")
    text = ("cost: mean cost per row; norm.: cost / cost of the best constant "
            "prediction (below 1 beats always predicting one class). Decisions: "
            "argmax = the model's own predict; bayes = least expected cost; "
            f"{shared} avg prec, ROC AUC, log loss, Brier: of the probabilities "
            "(predict_proba).")
    return "\n" + textwrap.fill(text, width=80)


def _format_table(table):
    columns = [("cost", "cost ± std", "{:.4f} ± {:.4f}"),
               ("normalized_cost", "norm.", "{:.3f}"),
               ("average_precision", "avg prec", "{:.3f}"),
               ("roc_auc", "ROC AUC", "{:.3f}"),
               ("log_loss", "log loss", "{:.4f}"),
               ("brier", "Brier", "{:.4f}"),
               ("balanced_accuracy", "bal. acc", "{:.3f}"),
               ("fit_time", "fit s", "{:.1f}")]
    header = ["rank", "strategy", "decision", *(title for _, title, _ in columns)]
    lines = []
    for rank, row in enumerate(table.itertuples(index=False), start=1):
        row = row._asdict()
        cells = [str(rank), row["strategy"], row["decision"]]
        for metric, _, fmt in columns:
            mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
            cells.append(fmt.format(mean, std))
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    left = {1, 2}
    return "\n".join(
        "  ".join(c.ljust(w) if i in left else c.rjust(w)
                  for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in [header, *lines]
    )


# ---------------------------------------------------------------- output


def _prepare_out(path):
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {path}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"--out {path}: cannot create it ({_first_line(exc)})"
        ) from exc
    return out


def _atomic_write(path, write):
    """Call ``write(tmp_path)``, then rename: ``path`` is never half-written."""
    import tempfile

    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                   suffix=".tmp")
    os.close(handle)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates files readable by owner only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_outputs(out, table, meta, details):
    def json_value(value):
        return None if isinstance(value, float) and not np.isfinite(value) else value

    records = [{k: json_value(v) for k, v in row.items()}
               for row in table.to_dict(orient="records")]
    document = {**meta, "results": records}
    _atomic_write(out / "compare.csv", lambda tmp: table.to_csv(tmp, index=False))
    _atomic_write(out / "compare.json", lambda tmp: Path(tmp).write_text(
        json.dumps(document, indent=2) + "\n"))
    written = ["compare.csv", "compare.json"]
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("skweight: warning: figures need matplotlib; pip install "
              "'skweight[plots]'", file=sys.stderr)
        return written
    figures = {"reliability.png": _reliability}
    if len(details.classes) == 2:
        figures = {"precision_recall.png": _precision_recall,
                   "cost_vs_threshold.png": _cost_vs_threshold, **figures}
    for name, draw in figures.items():
        figure = Figure(figsize=(11, 4.8) if name == "reliability.png" else (7, 5.2),
                        layout="constrained")
        draw(figure, details, table)
        _atomic_write(out / name, lambda tmp, f=figure: f.savefig(tmp, format="png",
                                                                  dpi=110))
        written.append(name)
    return written


def _colors(names):
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {name: cmap(i % 10) for i, name in enumerate(names)}


def _scored(details, name):
    """Rows with out-of-fold predictions (every row, unless the cv skips some)."""
    proba = details.proba.get(name)
    if proba is None:
        return None
    return np.all(np.isfinite(proba), axis=1)


def _precision_recall(figure, details, table):
    from sklearn.metrics import precision_recall_curve, precision_score, recall_score

    ax = figure.subplots()
    positive = details.classes[1]
    markers = {"argmax": "o", "bayes": "s", "tuned": "^"}
    colors = _colors(details.proba)
    for name, proba in details.proba.items():
        rows = _scored(details, name)
        y_true = details.y[rows] == positive
        precision, recall, _ = precision_recall_curve(y_true, proba[rows, 1])
        ax.plot(recall, precision, color=colors[name], lw=1.2, label=name)
        for decision, marker in markers.items():
            if (name, decision) not in details.y_pred:
                continue
            y_pred = details.y_pred[name, decision][rows] == positive
            ax.plot(recall_score(y_true, y_pred),
                    precision_score(y_true, y_pred, zero_division=0.0),
                    marker=marker, color=colors[name], ms=7, mec="black", ls="none")
    for decision, marker in markers.items():
        ax.plot([], [], marker=marker, color="grey", mec="black", ls="none",
                label=f"decision: {decision}")
    ax.set(xlabel=f"recall (class {details.classes.tolist()[1]!r})", ylabel="precision",
           xlim=(0, 1.01), ylim=(0, 1.02),
           title="Precision-recall (out of fold) and each decision's operating point")
    ax.legend(fontsize=7, ncol=2, loc="upper right")


def _cost_vs_threshold(figure, details, table):
    from ._cost_sensitive import _binary_threshold

    ax = figure.subplots()
    c = details.cost_matrix
    thresholds = np.geomspace(1e-3, 1, 300)
    colors = _colors(details.proba)
    for name, proba in details.proba.items():
        rows = _scored(details, name)
        y_idx = np.searchsorted(details.classes, details.y[rows])
        above = proba[rows, 1][:, None] > thresholds[None, :]
        costs = np.where(above, c[y_idx, 1][:, None], c[y_idx, 0][:, None]).mean(axis=0)
        ax.plot(thresholds, costs, color=colors[name], lw=1.2, label=name)
        tuned = details.thresholds.get((name, "tuned"))
        if tuned and all(t is not None for t in tuned):
            t = float(np.median(tuned))
            ax.plot(t, np.interp(t, thresholds, costs), marker="^", color=colors[name],
                    mec="black", ls="none")
    bayes = _binary_threshold(c)
    if bayes is not None:
        ax.axvline(bayes, color="black", ls="--", lw=1,
                   label=f"Bayes threshold {bayes:.3g}")
    ax.plot([], [], marker="^", color="grey", mec="black", ls="none",
            label="tuned threshold (median over folds)")
    ax.set_xscale("log")
    ax.set(xlabel=f"threshold on p(class {details.classes.tolist()[1]!r} | x)",
           ylabel="mean cost per row (out of fold)",
           title="Cost against the decision threshold")
    ax.legend(fontsize=7, ncol=2)


def _reliability(figure, details, table):
    from sklearn.calibration import calibration_curve

    axes = figure.subplots(1, 2, sharex=True, sharey=True)
    colors = _colors(details.proba)
    binary = len(details.classes) == 2
    for ax, corrected in zip(axes, (False, True), strict=True):
        for name, proba in details.proba.items():
            rows = _scored(details, name)
            raw = details.raw_proba.get(name)
            p = proba if corrected or raw is None else raw
            y_idx = np.searchsorted(details.classes, details.y[rows])
            if binary:
                score, hit = p[rows, 1], y_idx == 1
            else:  # top-label: confidence of the argmax against its accuracy
                score = p[rows].max(axis=1)
                hit = p[rows].argmax(axis=1) == y_idx
            frac, mean = calibration_curve(hit, score, n_bins=10, strategy="quantile")
            shown = (frac > 0) & (mean > 0)  # log axes: bins without a hit are left out
            ax.plot(mean[shown], frac[shown], marker=".", color=colors[name], lw=1.2,
                    label=name)
        ax.plot([1e-3, 1], [1e-3, 1], color="black", ls=":", lw=1)
        ax.set(xscale="log", yscale="log")  # rare classes live near 0
        ax.set(xlabel="predicted probability" if binary else "top-label confidence",
               title="as trained (before prior correction)" if not corrected
               else "predict_proba (prior-corrected)")
    axes[0].set_ylabel("observed frequency" if binary else "observed accuracy")
    axes[1].legend(fontsize=7)
    figure.suptitle("Reliability, out of fold (deciles of the predicted probability; "
                    "bins without a hit are not drawn)")
