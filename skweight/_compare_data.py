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


class InputError(Exception):
    """Bad input, reported on one line with exit status 2."""


def quote(value, limit=80):
    """``repr(value)``, cut to about ``limit`` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


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
        close = difflib.get_close_matches(target, list(map(str, data.columns))[:10_000],
                                        n=1)
        hint = f" (did you mean {quote(close[0])}?)" if close else ""
        raise InputError(f"--target {quote(target)} is not a column of {path}{hint}; "
                         f"columns: {_columns(data)}")
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
    from ._costs import check_cost_matrix

    order = f"class order (rows and columns): {classes.tolist()!r}"
    if not spec.strip():
        raise InputError(f"--cost-matrix {quote(spec)} is empty (an unset shell "
                         f'variable?); pass e.g. "{example_spec(len(classes))}", or '
                         "leave the option out for the default costs")
    text = spec
    if Path(spec).is_file():
        text = Path(spec).read_text()
    elif not re.search(r"[,;]", spec) and re.search(r"[/\\]|\.\w+$", spec):
        raise InputError(f"--cost-matrix {quote(spec)}: no such file")
    try:
        rows = [r for r in re.split(r"[;\n]", text) if r.strip()]
        matrix = [[float(v) for v in re.split(r"[,\s]+", r.strip())] for r in rows]
        matrix = np.array(matrix, dtype=float)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            matrix = check_cost_matrix(matrix, classes)
    except ValueError as exc:
        raise InputError(f"--cost-matrix {quote(spec)} does not fit: "
                         f"{first_line(exc)} {order}; e.g. "
                         f'"{example_spec(len(classes))}"') from exc
    for warning in caught:
        print(f"skweight: warning: {first_line(warning.message)}", file=sys.stderr)
    return matrix


def example_spec(n_classes):
    """The 0-1 cost as a ``--cost-matrix`` text, e.g. ``"0,1;1,0"``."""
    return ";".join(",".join("0" if i == j else "1" for j in range(n_classes))
                    for i in range(n_classes))


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


def load(args):
    """Features, labels, cost matrix, preprocessor and a description of the data."""
    if args.file is None:
        from .datasets import load_yeast

        if args.target is not None:
            raise InputError("--target applies to FILE; without FILE the embedded "
                             "yeast data (target: EXC or not) is used")
        X, y = load_yeast(positive_class="EXC", return_X_y=True, as_frame=True)
        y = y.to_numpy()
        spec = "0,1;20,0" if args.cost_matrix is None else args.cost_matrix
        about = (f"yeast (UCI, embedded): EXC proteins vs the rest, {len(y)} rows, "
                 f"{int(y.sum())} EXC ({y.mean():.1%}); classes [0, 1] = "
                 "[not EXC, EXC]")
        return X, y, parse_cost_matrix(spec, np.unique(y)), None, about, 0
    data = read_table(args.file)
    X, y, dropped = split_target(data, args.target, args.file)
    classes, counts = np.unique(y, return_counts=True)
    spec = (example_spec(len(classes)) if args.cost_matrix is None
            else args.cost_matrix)
    counts_text = ", ".join(f"{c!r}: {n}" for c, n in zip(classes.tolist(), counts,
                                                            strict=True))
    about = (f"{args.file}: {len(y)} rows ({dropped} dropped: missing target), "
             f"{X.shape[1]} feature columns, target {quote(args.target)} "
             f"({counts_text[:300]})")
    return X, y, parse_cost_matrix(spec, classes), preprocessor(), about, dropped
