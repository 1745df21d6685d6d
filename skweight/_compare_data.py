"""The data of ``skweight compare``: the table, its target, the costs.

Reads a CSV or Parquet file (or the yeast data shipped with the package),
splits off the target column, parses the cost matrix and builds the
preprocessor. Every problem is an :class:`InputError`: one line for the user.
"""

import difflib
import re
import sys
import warnings
from pathlib import Path

import numpy as np

from ._messages import short_repr as quote


class InputError(Exception):
    """Bad input, reported on one line with exit status 2."""


def _did_you_mean(name, data):
    """" (did you mean 'x'?)" for the closest column name, or ""."""
    close = difflib.get_close_matches(str(name), list(map(str, data.columns))[:10_000],
                                      n=1)
    return f" (did you mean {quote(close[0])}?)" if close else ""


def _columns(data):
    """The column names, listed and cut to a readable length."""
    text = ", ".join(map(str, data.columns))
    return text if len(text) <= 300 else f"{text[:300]}... ({data.shape[1]} columns)"


def read_table(path):
    """The CSV or Parquet table at ``path``."""
    import pandas as pd

    file = Path(path)
    if not file.exists():
        raise InputError(f"{path}: no such file")
    if file.is_dir():
        raise InputError(f"{path} is a directory; pass a CSV or Parquet file")
    if not file.is_file():  # reading a pipe would wait for a writer forever
        raise InputError(f"{path} is not a regular file (a pipe, a device or a "
                         "socket); pass a CSV or Parquet file")
    parquet = any(s in (".parquet", ".pq") for s in file.suffixes)
    kind = "Parquet" if parquet else "CSV"
    try:
        data = pd.read_parquet(file) if parquet else pd.read_csv(file)
    except ImportError as exc:
        raise InputError(f"reading Parquet needs pyarrow ({first_line(exc)}); "
                         "pip install 'skweight[parquet]'") from exc
    except Exception as exc:  # a file we cannot parse, whatever the reader says
        raise InputError(f"cannot read {path} as {kind}: {first_line(exc)}") from exc
    if data.shape[0] == 0 or data.shape[1] < 2:
        raise InputError(f"{path} has {data.shape[0]} rows and {data.shape[1]} "
                         "columns; it needs rows, a target and at least one feature")
    return data


def first_line(exc):
    """The first line of an exception's message, cut to 300 characters."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def split_target(data, target, path):
    """``(X, y, n_dropped)``: the features, the labels, the rows without one."""
    from sklearn.utils.multiclass import type_of_target

    if target is None:
        raise InputError(f"--target is required with FILE; columns of {path}: "
                         f"{_columns(data)}")
    if target not in data.columns:
        raise InputError(f"--target {quote(target)} is not a column of {path}"
                         f"{_did_you_mean(target, data)}; columns: {_columns(data)}")
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
        found = "no labels"
        if len(classes):
            found = f"one class ({quote(classes.tolist()[0])})"
        raise InputError(f"target {quote(target)} has {found} after dropping "
                         f"{int(missing.sum())} rows with a missing target; "
                         "comparing classifiers needs at least 2 classes")
    if type_of_target(y) == "continuous":
        raise InputError(f"target {quote(target)} looks continuous ({len(classes)} "
                         "distinct non-integer values); pass a column of class labels")
    return X, y, int(missing.sum())


def parse_cost_matrix(spec, classes):
    """The ``--cost-matrix`` text (or file) as a validated matrix."""
    from ._cost_matrix import check_cost_matrix

    order = f"class order (rows and columns): {classes.tolist()!r}"
    if not spec.strip():
        raise InputError(f"--cost-matrix {quote(spec)} is empty (an unset shell "
                         f'variable?); pass e.g. "{example_spec(len(classes))}", or '
                         "leave the option out for the default costs")
    text, from_file = spec, _exists(spec)
    if from_file:
        text = read_cost_file(spec)
    elif not re.search(r"[,;]", spec) and re.search(r"[/\\]|\.\w+$", spec):
        raise InputError(f"--cost-matrix {quote(spec, 300)}: no such file")
    try:
        matrix = _numbers(text, spec if from_file else None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            matrix = check_cost_matrix(matrix, classes)
    except ValueError as exc:
        # The validation names positions and labels, never the file's text.
        raise InputError(f"--cost-matrix {quote(spec, 300)} does not fit: "
                         f"{first_line(exc)} {order}; e.g. "
                         f'"{example_spec(len(classes))}"') from exc
    for warning in caught:
        print(f"skweight: warning: {first_line(warning.message)}", file=sys.stderr)
    return matrix


MAX_COST_FILE_BYTES = 1_000_000


def _exists(path):
    """Whether ``path`` names something; a text too long to be a path does not."""
    try:
        return Path(path).exists() or Path(path).is_symlink()
    except (OSError, ValueError):
        return False


def read_cost_file(path):
    """The text of a ``--cost-matrix`` file: a regular UTF-8 file, not too long.

    Errors name the file and the problem, never its content: the file may be
    any file the user can read.
    """
    file = Path(path)
    if file.is_dir():
        raise InputError(f"--cost-matrix {quote(path, 300)} is a directory; pass "
                         "a text file with one row of costs per line")
    if not file.is_file():  # reading a pipe would wait for a writer forever
        raise InputError(f"--cost-matrix {quote(path, 300)} is not a regular file (a "
                         "pipe, a device or a socket); pass a text file with one "
                         "row of costs per line")
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_COST_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"--cost-matrix {quote(path, 300)}: cannot read it "
                         f"({exc.strerror or type(exc).__name__})") from exc
    if len(data) > MAX_COST_FILE_BYTES:
        raise InputError(f"--cost-matrix {quote(path, 300)} is larger than "
                         f"{MAX_COST_FILE_BYTES:,} bytes, too large for a cost "
                         "matrix; pass a text file with one row of costs per line")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"--cost-matrix {quote(path, 300)} is not a text file of "
                         f"numbers (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start} is not UTF-8); write one row of costs per "
                         'line, entries separated by commas, e.g. "0,1"') from exc
    if "\x00" in text:
        raise InputError(f"--cost-matrix {quote(path, 300)} is not a text file of "
                         "numbers (it holds NUL bytes); write one row of costs per "
                         'line, entries separated by commas, e.g. "0,1"')
    return text


def _numbers(text, path):
    """The rows of a cost-matrix text as a float array.

    ``path`` names the file the text came from (None: the text was typed), so
    that an error about a file quotes its name and a position, not its content.
    """
    rows = [r for r in re.split(r"[;\n]", text) if r.strip()]
    matrix = []
    for i, row in enumerate(rows):
        entries = re.split(r"[,\s]+", row.strip())
        try:
            values = [float(v) for v in entries]
        except ValueError as exc:
            if path is None:
                raise
            bad = next(j for j, v in enumerate(entries) if not _is_number(v))
            raise ValueError(f"row {i + 1}, entry {bad + 1} is not a number") from exc
        if path is not None and not all(np.isfinite(values)):
            bad = next(j for j, v in enumerate(values) if not np.isfinite(v))
            raise ValueError(f"row {i + 1}, entry {bad + 1} is not a finite number")
        matrix.append(values)
    if len({len(r) for r in matrix}) > 1:
        lengths = [len(r) for r in matrix]
        raise ValueError(f"its rows have different numbers of entries {lengths!r}")
    return np.array(matrix, dtype=float)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def example_spec(n_classes):
    """The 0-1 cost as a ``--cost-matrix`` text, e.g. ``"0,1;1,0"``."""
    return ";".join(",".join("0" if i == j else "1" for j in range(n_classes))
                    for i in range(n_classes))


def check_features(X, path):
    """Refuse numeric feature values the scaler cannot take, before any fit.

    ``inf`` is not a missing value (the imputer fills only empty cells), and
    values whose mean or spread overflow float64 scale to NaN: either way every
    fit would fail, after the work of the others.
    """
    numeric = X.select_dtypes(include=np.number)
    for i, column in enumerate(numeric.columns):  # by position: names may repeat
        values = numeric.iloc[:, i].to_numpy(dtype=float, na_value=np.nan)
        infinite = np.flatnonzero(np.isinf(values))
        if len(infinite):
            raise InputError(
                f"column {quote(column)} of {path} has {len(infinite)} infinite "
                f"value{'s' if len(infinite) > 1 else ''} (first at row "
                f"{str(X.index[infinite[0]])[:100]}); the imputer fills only empty "
                "cells: replace them by a number or leave them empty, or drop those "
                "rows")
        finite = values[np.isfinite(values)]
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.std(finite - np.mean(finite)) if len(finite) else 0.0
        if not np.isfinite(spread):
            raise InputError(
                f"column {quote(column)} of {path} has values too large to scale "
                f"(up to {np.max(np.abs(finite)):.3g}: their mean or spread "
                "overflows float64); divide the column by a power of 10 or take "
                "its logarithm")


OUTPUT_FILES = ("compare.csv", "compare.json", "report.html", "fit-command.txt")


def check_out_entries(out):
    """Why ``--out`` cannot receive the outputs once the run is over, or None.

    Beyond the checks of the folder itself: a symbolic link to nothing (the
    outputs could be moved neither into it nor in its place), and a folder
    named like an output file (a file cannot replace it).
    """
    from ._report import FIGURE_TITLES

    folder = Path(out)
    if folder.is_symlink() and not folder.exists():
        return (f"--out {quote(str(out), 200)} is a symbolic link to "
                f"{quote(str(Path(out).readlink()), 200)}, which does not exist; "
                "create that folder, or pass another one")
    if not folder.is_dir():
        return None
    for name in (*OUTPUT_FILES, *FIGURE_TITLES):
        entry = folder / name
        if entry.is_dir():
            return (f"--out {quote(str(out), 200)} holds a folder {quote(name)} "
                    "where the run writes a file; move it, or pass another folder")
    return None


def preprocessor():
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


ROW_COST_OPTIONS = ("fn_cost", "fn_cost_column", "fp_cost", "fp_cost_column")


def _outcome_cost(X, args, outcome):
    """``(costs, text)`` of one outcome ("fn" or "fp"): a number or a column."""
    value = getattr(args, f"{outcome}_cost")
    column = getattr(args, f"{outcome}_cost_column")
    flag = f"--{outcome}-cost"
    if value is not None and column is not None:
        raise InputError(f"{flag} and {flag}-column both given; pass one of them")
    if column is None:
        return float(value), f"{value:g}"
    if column not in X.columns:
        raise InputError(f"{flag}-column {quote(column)} is not a feature column"
                         f"{_did_you_mean(column, X)}; columns: {_columns(X)}")
    import pandas as pd

    costs = pd.to_numeric(X[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(costs) | (costs < 0)
    if bad.any():
        raise InputError(f"{flag}-column {quote(column)} has {int(bad.sum())} rows "
                         "that are not a finite number >= 0 (e.g. row "
                         f"{int(np.flatnonzero(bad)[0])}); fill or drop them")
    return costs, (f"column {quote(column)} (mean {costs.mean():.4g}, max "
                   f"{costs.max():.4g})")


def row_costs(X, y, args):
    """The per-row costs of ``--fn-cost[-column]`` and ``--fp-cost[-column]``.

    Returns ``(cost_matrix of shape (n, 2, 2), description)``, or None when
    none of these options is given.
    """
    if all(getattr(args, name) is None for name in ROW_COST_OPTIONS):
        return None
    classes = np.unique(y)
    if args.cost_matrix is not None:
        raise InputError("--cost-matrix and per-row costs (--fn-cost..., "
                         "--fp-cost...) both given; pass one or the other")
    if len(classes) != 2:
        raise InputError(f"per-row costs need two classes; the target has "
                         f"{len(classes)}: {quote(classes.tolist(), 200)}. Use "
                         "--cost-matrix")
    if args.fn_cost_column is None and args.fp_cost_column is None:
        raise InputError("--fn-cost and --fp-cost alone are one cost matrix; pass "
                         "a column (--fn-cost-column or --fp-cost-column), or "
                         "--cost-matrix")
    for outcome, what in (("fn", "miss"), ("fp", "false alarm")):
        if getattr(args, f"{outcome}_cost") is None and \
                getattr(args, f"{outcome}_cost_column") is None:
            raise InputError(f"per-row costs need the cost of a {what} too: pass "
                             f"--{outcome}-cost X or --{outcome}-cost-column COL")
    from ._cost_matrix import binary_cost_matrix

    negative, positive = classes.tolist()
    if args.positive is not None:
        names = [str(c) for c in classes.tolist()]
        if args.positive not in names:
            raise InputError(f"--positive {quote(args.positive)} is not a label of "
                             f"the target; the labels: {quote(names, 200)}")
        if names.index(args.positive) == 0:
            positive, negative = negative, positive
    fn, fn_text = _outcome_cost(X, args, "fn")
    fp, fp_text = _outcome_cost(X, args, "fp")
    text = (f"costs per row: a miss (true {positive!r}, predicted {negative!r}) "
            f"costs {fn_text}; a false alarm (true {negative!r}, predicted "
            f"{positive!r}) costs {fp_text}; correct decisions cost 0")
    try:
        matrix = binary_cost_matrix(fp=fp, fn=fn)
    except ValueError as exc:
        raise InputError(f"per-row costs: {first_line(exc)}") from exc
    # binary_cost_matrix orders the classes [negative, positive]; y sorts them.
    return (matrix if positive == classes[1] else matrix[:, ::-1, ::-1]), text


def load(args):
    """The data of the run, as a dict.

    Keys: ``X``, ``y``, ``cost_matrix`` (one matrix, or one per row),
    ``costs`` (the sentence stating them), ``preprocessor`` (None: the default
    scaler), ``about`` (a line describing the data) and ``dropped`` (rows
    without a target).
    """
    if args.file is None:
        from .datasets import load_yeast

        if args.target is not None:
            raise InputError("--target applies to FILE; without FILE the embedded "
                             "yeast data (target: EXC or not) is used")
        X, y = load_yeast(positive_class="EXC", return_X_y=True, as_frame=True)
        y, dropped, default_spec, prep = y.to_numpy(), 0, "0,1;20,0", None
        about = (f"yeast (UCI, embedded): EXC proteins vs the rest, {len(y)} rows, "
                 f"{int(y.sum())} EXC ({y.mean():.1%}); classes [0, 1] = "
                 "[not EXC, EXC]")
    else:
        X, y, dropped = split_target(read_table(args.file), args.target, args.file)
        check_features(X, args.file)
        classes, counts = np.unique(y, return_counts=True)
        default_spec, prep = example_spec(len(classes)), preprocessor()
        counts_text = ", ".join(f"{c!r}: {n}" for c, n in zip(classes.tolist(),
                                                                counts, strict=True))
        about = (f"{args.file}: {len(y)} rows ({dropped} dropped: missing target), "
                 f"{X.shape[1]} feature columns, target {quote(args.target)} "
                 f"({counts_text[:300]})")
    per_row = row_costs(X, y, args)
    if per_row is None:
        spec = default_spec if args.cost_matrix is None else args.cost_matrix
        matrix = parse_cost_matrix(spec, np.unique(y))
        costs = (f"cost matrix (rows = true class, columns = predicted, order "
                 f"{np.unique(y).tolist()!r}): {matrix.tolist()!r}")
    else:
        matrix, costs = per_row
    return {"X": X, "y": y, "cost_matrix": matrix, "costs": costs,
            "preprocessor": prep, "about": about, "dropped": dropped}
