"""Reading ``X`` at fit: the input spec and the arrays the model is called on.

:func:`read_inputs` tells the form of ``X`` apart (see :mod:`skweight._inputs`)
and validates its values: numbers finite and real, integers kept exact (ids for an
``Embedding`` or an integer input), text made of strings only. The spec it makes,
:class:`InputSpec`, holds per input its name, per-sample shape and kind
(``"number"`` or ``"text"``); :mod:`skweight._input_binding` matches it to the
built model and checks predict's input against it.
"""

from dataclasses import dataclass

import numpy as np
from scipy.sparse import issparse
from sklearn_compat.utils.validation import validate_data

from ._checks import as_float32
from ._messages import short_repr

FORMS = ("table", "array", "text", "named")

# The dtypes a table keeps: floats, and integers exactly (ids into an integer
# input); any other dtype becomes float32, the network's.
TABLE_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int16, np.int8,
                np.uint8, np.uint16, np.uint32]


@dataclass(frozen=True)
class InputEntry:
    """One input of the model: its name, per-sample shape and kind.

    Parameters
    ----------
    name : str or None
        The model input it feeds (None for a single unnamed input).
    shape : tuple of int
        Shape of one sample.
    kind : {"number", "text"}
        What the values are.
    categories : tuple or None
        For a pandas categorical column, the categories seen at fit.
    """

    name: object
    shape: tuple
    kind: str
    categories: tuple = None


@dataclass(frozen=True)
class InputSpec:
    """The input form seen at fit, to check predict's input against.

    Parameters
    ----------
    form : {"table", "array", "text", "named"}
        How ``X`` feeds the model (see :mod:`skweight._inputs`).
    entries : tuple of InputEntry
        One per model input.
    from_frame : bool
        Whether X was a pandas DataFrame.
    columns : tuple or None
        DataFrame columns at fit, in order.
    categories : tuple of (column, categories) pairs
        The categories of each pandas categorical column seen at fit.
    id_limits : tuple of (input name, layer name, input_dim) triples
        The inputs that feed an ``Embedding`` directly, and its number of ids
        (set when the spec is bound to the model).
    """

    form: str
    entries: tuple
    from_frame: bool = False
    columns: tuple = None
    categories: tuple = ()
    id_limits: tuple = ()

    @property
    def names(self):
        return [entry.name for entry in self.entries]

    def meta(self):
        """The builder's view: ``input_form_``, ``input_shapes_``, ``input_dtypes_``.

        For one input, the shapes and dtypes are those of that input; for named
        inputs, dicts keyed by input name.
        """
        if self.form == "named":
            shapes = {entry.name: entry.shape for entry in self.entries}
            kinds = {entry.name: entry.kind for entry in self.entries}
        else:
            shapes, kinds = self.entries[0].shape, self.entries[0].kind
        return {"input_form_": self.form, "input_shapes_": shapes,
                "input_dtypes_": kinds}

    def zeros(self, n_rows=1):
        """A batch of ``n_rows`` dummy samples of this form (zeros, empty strings)."""
        return sample_batch(self.meta(), n_rows)


def sample_batch(meta, n_rows=2):
    """A batch of dummy samples (zeros, empty strings) of ``meta``'s input form.

    Parameters
    ----------
    meta : dict
        Holds ``input_form_``, ``input_shapes_`` and ``input_dtypes_``.
    n_rows : int, default=2

    Returns
    -------
    batch : ndarray or dict of ndarray
    """
    def one(shape, kind):
        if kind == "text":
            return np.full((n_rows, *shape), "", dtype=object)
        return np.zeros((n_rows, *shape), dtype=np.float32)

    shapes, kinds = meta["input_shapes_"], meta["input_dtypes_"]
    if meta["input_form_"] == "named":
        return {name: one(shapes[name], kinds[name]) for name in shapes}
    return one(shapes, kinds)


# ------------------------------------------------------------------ helpers


def is_dict(X):
    # scipy's DOK sparse matrices are dicts too: they are tables (and rejected).
    return isinstance(X, dict) and not issparse(X)


def is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "iloc") and hasattr(X, "dtypes")


def is_series(X):
    return hasattr(X, "iloc") and hasattr(X, "dtype") and not hasattr(X, "columns")


def _is_string(value):
    return isinstance(value, (str, bytes))


def is_text_array(array):
    """Whether ``array`` holds text: strings, or objects of which any is a string."""
    if array.dtype.kind in "US":
        return True
    if array.dtype.kind == "O" and array.size:
        # Any string, not only the first: [None, "x"] is text with a gap.
        return _is_string(array.flat[0]) or any(_is_string(v) for v in array.flat)
    return False


def as_array(X, where):
    """``np.asarray(X)`` with a clear error for ragged nested lists.

    A flat list holding any string stays an object array, so that a NaN or a
    number among the strings is seen as such, not turned into the word "nan".
    """
    if isinstance(X, np.ndarray):
        return X
    if isinstance(X, (list, tuple)) and any(_is_string(v) for v in X) and not any(
            isinstance(v, (list, tuple, np.ndarray)) for v in X):
        array = np.empty(len(X), dtype=object)
        array[:] = list(X)
        return array
    try:
        array = np.asarray(X)
    except ValueError as exc:
        raise ValueError(
            f"{where} could not be read as an array ({exc}); received "
            f"{short_repr(X)}. Pass a NumPy array whose samples all have the same "
            "shape (pad or crop ragged sequences first)."
        ) from exc
    if array.dtype == object and array.ndim >= 1 and array.size and isinstance(
            array.flat[0], (list, tuple, np.ndarray)):
        raise ValueError(
            f"{where} is ragged: its samples have different lengths "
            f"({short_repr(X)}). Pad or crop them to one shape, e.g. with "
            "keras.utils.pad_sequences."
        )
    return array


def text_values(array, where):
    """``array`` as an object array of strings; a value of another type is named."""
    values = np.asarray(array, dtype=object)
    if values.dtype.kind == "O" and array.dtype.kind not in "US":
        for position, value in enumerate(values.ravel()):
            if not _is_string(value):
                row = np.unravel_index(position, values.shape)[0] if values.ndim else 0
                raise ValueError(
                    f"{where}[{row}] is {type(value).__name__} {value!r}, where text "
                    "inputs take strings only; fill missing text with '' (e.g. "
                    "X.fillna('')), or drop those rows."
                )
    return values


def numbers(array, where):
    """A finite, real numeric array: floats as float32, integers kept exact."""
    if array.dtype.kind == "c":
        raise ValueError(
            f"{where} holds complex numbers (dtype {array.dtype}) and the model "
            "takes real ones; pass X.real, np.abs(X), or the real and imaginary "
            "parts as two channels."
        )
    if array.dtype.kind in "iu":
        return array  # ids stay exact; cast to the model's dtype when bound
    if array.dtype.kind not in "bf":
        if is_text_array(array):
            raise ValueError(
                f"{where} holds strings (e.g. {short_repr(array.flat[0])}) where "
                "numbers are expected; encode them, or start the model with a "
                "TextVectorization or StringLookup layer and pass the strings as "
                "a 1-D array."
            )
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{where} has dtype {array.dtype} that is not numeric ({exc}); "
                "pass numbers."
            ) from exc
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = int(np.size(array) - np.isfinite(array).sum())
        raise ValueError(
            f"{where} contains {bad} NaN or infinite value(s); the model needs "
            "finite numbers. Impute or drop them first."
        )
    # Only wider floats can exceed float32's range once finite.
    if array.dtype.itemsize > 4 and array.dtype.kind == "f" and array.size and (
            np.abs(array).max() > np.finfo(np.float32).max):
        raise ValueError(
            f"{where} has values beyond float32's range (max "
            f"{np.finfo(np.float32).max:.3g}); scale the inputs."
        )
    return array.astype(np.float32, copy=False)


def table_numbers(X):
    """A validated table as float32, or its integers kept exact."""
    return X if X.dtype.kind in "iu" else as_float32(X, "X")


def n_rows_of(arrays):
    """The common number of rows of a dict of arrays, or a clear error."""
    counts = {name: len(array) for name, array in arrays.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(
            f"the inputs have different numbers of rows {counts!r}; every input "
            "needs one row per sample."
        )
    return next(iter(counts.values()))


def n_samples(X):
    """Number of samples of validated input ``X`` (an array or a dict of arrays)."""
    if is_dict(X):
        return len(next(iter(X.values())))
    return X.shape[0]


def take_rows(X, rows):
    """The rows ``rows`` of validated input ``X`` (an array or a dict of arrays)."""
    if is_dict(X):
        return {name: array[rows] for name, array in X.items()}
    return X[rows]


def check_unique_columns(frame):
    """Raise if a DataFrame has duplicate column names (each feeds one input)."""
    columns = frame.columns
    if columns.has_duplicates:
        duplicated = list(dict.fromkeys(columns[columns.duplicated()]))
        raise ValueError(
            f"X has duplicate column name(s) {short_repr(duplicated)}; each column "
            "needs its own name. Rename or drop the duplicates first."
        )


# ---------------------------------------------------------------- the forms


def frame_entries(frame, where, categories=None):
    """One (entry, array) per DataFrame column: numbers, text or category codes.

    ``categories=None`` at fit; at predict, the categories of fit keyed by column,
    and a column that is categorical now but was not then is an error.
    """
    import pandas as pd

    entries, arrays = [], {}
    for column in frame.columns:
        series = frame[column]
        name = f"{where} column {column!r}"
        known = None if categories is None else categories.get(column)
        is_categorical = isinstance(series.dtype, pd.CategoricalDtype)
        if is_categorical and categories is not None and known is None:
            raise ValueError(
                f"{name} is a pandas Categorical but was not one at fit: its "
                "category codes would be fed in place of the values. Pass the "
                f"values as at fit, e.g. X[{column!r}].astype(float) for numbers."
            )
        if is_categorical or known is not None:
            cats = tuple(series.cat.categories) if known is None else known
            codes = pd.Index(list(cats)).get_indexer(series.astype(object))
            unseen = series[(codes < 0) & series.notna().to_numpy()]
            if series.isna().any() or len(unseen):
                what = "missing values" if not len(unseen) else (
                    f"categories not seen at fit, e.g. {short_repr(unseen.iloc[0])}")
                raise ValueError(
                    f"{name} has {what}; its codes feed an Embedding, which needs "
                    f"one of the categories {short_repr(list(cats))}."
                )
            entries.append(InputEntry(column, (1,), "number", cats))
            arrays[column] = codes.astype(np.int32).reshape(-1, 1)
            continue
        values = series.to_numpy()
        if is_text_array(values) or pd.api.types.is_string_dtype(series.dtype):
            arrays[column] = text_values(values, f"{where}[{column!r}]").reshape(-1, 1)
            entries.append(InputEntry(column, (1,), "text"))
        else:
            arrays[column] = numbers(values, name).reshape(-1, 1)
            entries.append(InputEntry(column, (1,), "number"))
    return entries, arrays


def entry_and_array(value, name, where):
    """The :class:`InputEntry` and validated array of one input's values."""
    if is_series(value):
        value = value.to_numpy()
    array = as_array(value, where)
    if array.ndim == 0:
        raise ValueError(f"{where} is a scalar {short_repr(value)}; pass one row "
                         "per sample.")
    if is_text_array(array):
        return InputEntry(name, array.shape[1:], "text"), text_values(array, where)
    array = numbers(array, where)
    if array.ndim == 1:
        array = array.reshape(-1, 1)  # a named numeric input: one number per row
    return InputEntry(name, array.shape[1:], "number"), array


def read_inputs(estimator, X, *, reset):
    """Validate ``X`` at fit (``reset=True``) into an :class:`InputSpec` and arrays.

    On a table the estimator's ``n_features_in_`` and ``feature_names_in_`` are
    set by scikit-learn's ``validate_data``; on other forms ``n_features_in_`` is
    removed (no flat feature count exists), except that a DataFrame always sets
    both from its columns, as scikit-learn does.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being fitted.
    X : array-like, dict or DataFrame
        The input, in any of the forms of :mod:`skweight._inputs`.
    reset : bool
        Must be True (fit); predict uses
        :func:`skweight._input_binding.check_inputs`.

    Returns
    -------
    spec : InputSpec
    X_model : ndarray or dict of ndarray
        What the model is called on: float32 or integer numbers, object arrays
        of strings.
    """
    if is_dict(X):
        return _read_dict(estimator, X)
    if is_frame(X):
        return _read_frame(estimator, X)
    if is_series(X) or isinstance(X, (list, tuple)):
        X = as_array(X.to_numpy() if is_series(X) else X, "X")
    if isinstance(X, np.ndarray) and X.ndim == 1 and is_text_array(X):
        forget_features(estimator)
        return InputSpec("text", (InputEntry(None, (), "text"),)), text_values(X, "X")
    if isinstance(X, np.ndarray) and X.ndim >= 3:
        X = numbers(X, "X")
        if X.shape[0] == 0:
            raise ValueError(f"X has 0 samples (shape {X.shape}); pass at least one.")
        forget_features(estimator)
        return InputSpec("array", (InputEntry(None, X.shape[1:], "number"),)), X
    X = validate_data(estimator, X, reset=reset, dtype=TABLE_DTYPES)
    spec = InputSpec("table", (InputEntry(None, X.shape[1:], "number"),))
    return spec, table_numbers(X)


def forget_features(estimator):
    for attribute in ("n_features_in_", "feature_names_in_"):
        if attribute in vars(estimator):
            delattr(estimator, attribute)


def _read_dict(estimator, X):
    if not X:
        raise ValueError("X is an empty dict; pass one array per model input.")
    entries, arrays = [], {}
    for name, value in X.items():
        entry, array = entry_and_array(value, name, f"X[{name!r}]")
        entries.append(entry)
        arrays[name] = array
    if n_rows_of(arrays) == 0:
        raise ValueError(
            f"X has 0 samples: every array of the dict with keys {list(X)!r} is "
            "empty; pass at least one row."
        )
    forget_features(estimator)
    return InputSpec("named", tuple(entries)), arrays


def _read_frame(estimator, X):
    """A DataFrame: a table if all its columns are numbers, else named inputs.

    An all-numeric DataFrame is a table, as for scikit-learn's estimators;
    :func:`skweight._input_binding.bind_model` makes it named inputs if the model's
    input names are its columns. A DataFrame with text or categorical columns
    feeds named inputs, or a table of category codes if the model has no input
    named after a column.
    """
    check_unique_columns(X)
    columns = tuple(X.columns)
    if any(not isinstance(c, str) for c in columns) and any(
            isinstance(c, str) for c in columns):
        raise ValueError(
            f"X has column names of mixed types {short_repr(list(columns))}; name "
            "every column with a string."
        )
    entries, arrays = frame_entries(X, "X")
    if all(entry.kind == "number" and not entry.categories for entry in entries):
        # scikit-learn's own rules for the feature names of a numeric frame.
        table = validate_data(estimator, X, reset=True, dtype=TABLE_DTYPES)
        entries = (InputEntry(None, table.shape[1:], "number"),)
        return (InputSpec("table", entries, from_frame=True, columns=columns),
                table_numbers(table))
    if len(X) == 0:
        raise ValueError(f"X has 0 samples (a DataFrame with columns "
                         f"{short_repr(list(columns))}); pass at least one row.")
    forget_features(estimator)
    estimator.n_features_in_ = len(columns)
    estimator.feature_names_in_ = np.asarray(columns, dtype=object)
    return InputSpec("named", tuple(entries), from_frame=True, columns=columns), arrays


__all__ = ["FORMS", "InputEntry", "InputSpec", "TABLE_DTYPES", "as_array",
           "check_unique_columns", "entry_and_array", "forget_features",
           "frame_entries", "is_dict", "is_frame", "is_series", "is_text_array",
           "n_rows_of", "n_samples", "numbers", "read_inputs", "sample_batch",
           "table_numbers", "take_rows", "text_values"]
