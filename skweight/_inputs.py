"""The input forms a Keras model takes, validated at fit and checked at predict.

Four forms, told apart by the type and shape of ``X`` alone, then matched to the
model's inputs once it is built:

``"table"``
    a 2-D numeric array-like, or a pandas DataFrame whose columns are all
    numeric and that feeds a model with a single input not named after a column.
    Validated by scikit-learn's ``validate_data``, exactly as any scikit-learn
    classifier: ``n_features_in_`` and, for a DataFrame, ``feature_names_in_``.
``"array"``
    an N-D numeric array ``(n, ...)`` with N >= 3: images ``(n, h, w, c)``,
    sequences ``(n, t, f)``.
``"text"``
    a 1-D array, list or pandas Series of strings, for a model that starts with
    ``TextVectorization`` or ``StringLookup``.
``"named"``
    a dict of arrays keyed by the model's input names, or a pandas DataFrame
    whose columns are the model's input names (each column becomes an input of
    per-sample shape ``(1,)``). A DataFrame feeds named inputs when the model's
    input names are column names; every column must then feed an input.

A 1-D numeric array is rejected, as scikit-learn does (reshape it). Numbers must
be finite in every form. Text columns of a DataFrame go to their input as
strings; pandas categorical columns as integer codes of the categories seen at
fit (for an ``Embedding``).

The spec made at fit, :class:`InputSpec`, holds per input its name, per-sample
shape and kind (``"number"`` or ``"text"``); predict checks ``X`` against it.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.validation import check_consistent_length, column_or_1d
from sklearn_compat.utils.validation import validate_data

from ._checks import as_float32
from ._messages import short_repr

FORMS = ("table", "array", "text", "named")



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
        How ``X`` feeds the model (see the module docstring).
    entries : tuple of InputEntry
        One per model input.
    from_frame : bool
        Whether X was a pandas DataFrame.
    columns : tuple or None
        DataFrame columns at fit, in order.
    categories : tuple of (column, categories) pairs
        The categories of each pandas categorical column seen at fit.
    """

    form: str
    entries: tuple
    from_frame: bool = False
    columns: tuple = None
    categories: tuple = ()

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
        def one(entry):
            if entry.kind == "text":
                return np.full((n_rows, *entry.shape), "", dtype=object)
            return np.zeros((n_rows, *entry.shape), dtype=np.float32)
        if self.form == "named":
            return {entry.name: one(entry) for entry in self.entries}
        return one(self.entries[0])


# ------------------------------------------------------------------ helpers


def _is_dict(X):
    # scipy's DOK sparse matrices are dicts too: they are tables (and rejected).
    return isinstance(X, dict) and not issparse(X)


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "iloc") and hasattr(X, "dtypes")


def _is_series(X):
    return hasattr(X, "iloc") and hasattr(X, "dtype") and not hasattr(X, "columns")


def _is_text_array(array):
    if array.dtype.kind in "US":
        return True
    if array.dtype.kind == "O" and array.size:
        first = array.flat[0]
        return isinstance(first, (str, bytes))
    return False


def _as_array(X, where):
    """``np.asarray(X)`` with a clear error for ragged nested lists."""
    if isinstance(X, np.ndarray):
        return X
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


def _text(array, where):
    values = np.asarray(array, dtype=object)
    bad = [v for v in values.ravel()[:100000] if not isinstance(v, (str, bytes))]
    if bad:
        raise ValueError(
            f"{where} mixes strings with {type(bad[0]).__name__} values such as "
            f"{short_repr(bad[0])}; pass only strings (fill missing text with '')."
        )
    return values


def _numbers(array, where):
    """A finite float32 copy-free view of a numeric array, or a clear error."""
    if array.dtype.kind not in "biuf":
        if _is_text_array(array):
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


def _n_rows(arrays):
    counts = {name: len(array) for name, array in arrays.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(
            f"the inputs have different numbers of rows {counts!r}; every input "
            "needs one row per sample."
        )
    return next(iter(counts.values()))


def n_samples(X):
    """Number of samples of validated input ``X`` (an array or a dict of arrays)."""
    if _is_dict(X):
        return len(next(iter(X.values())))
    return X.shape[0]


def take_rows(X, rows):
    """The rows ``rows`` of validated input ``X`` (an array or a dict of arrays)."""
    if _is_dict(X):
        return {name: array[rows] for name, array in X.items()}
    return X[rows]


# ---------------------------------------------------------------- the forms


def _frame_entries(frame, where, categories=None):
    """One (entry, array) per DataFrame column: numbers, text or category codes."""
    import pandas as pd

    entries, arrays = [], {}
    for column in frame.columns:
        series = frame[column]
        name = f"{where} column {column!r}"
        known = None if categories is None else categories.get(column)
        if isinstance(series.dtype, pd.CategoricalDtype) or known is not None:
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
        if _is_text_array(values) or pd.api.types.is_string_dtype(series.dtype):
            arrays[column] = _text(values, name).reshape(-1, 1)
            entries.append(InputEntry(column, (1,), "text"))
        else:
            arrays[column] = _numbers(values, name).reshape(-1, 1)
            entries.append(InputEntry(column, (1,), "number"))
    return entries, arrays


def _entry_and_array(value, name, where):
    if _is_series(value):
        value = value.to_numpy()
    array = _as_array(value, where)
    if array.ndim == 0:
        raise ValueError(f"{where} is a scalar {short_repr(value)}; pass one row "
                         "per sample.")
    if _is_text_array(array):
        return InputEntry(name, array.shape[1:], "text"), _text(array, where)
    array = _numbers(array, where)
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
        The input, in any of the forms of the module docstring.
    reset : bool
        Must be True (fit); predict uses :func:`check_inputs`.

    Returns
    -------
    spec : InputSpec
    X_model : ndarray or dict of ndarray
        What the model is called on: float32 numbers, object arrays of strings.
    """
    if _is_dict(X):
        return _read_dict(estimator, X)
    if _is_frame(X):
        return _read_frame(estimator, X)
    if _is_series(X) or isinstance(X, (list, tuple)):
        X = _as_array(X.to_numpy() if _is_series(X) else X, "X")
    if isinstance(X, np.ndarray) and X.ndim == 1 and _is_text_array(X):
        _forget_features(estimator)
        return InputSpec("text", (InputEntry(None, (), "text"),)), _text(X, "X")
    if isinstance(X, np.ndarray) and X.ndim >= 3:
        X = _numbers(X, "X")
        if X.shape[0] == 0:
            raise ValueError(f"X has 0 samples (shape {X.shape}); pass at least one.")
        _forget_features(estimator)
        return InputSpec("array", (InputEntry(None, X.shape[1:], "number"),)), X
    X = validate_data(estimator, X, reset=reset, dtype=[np.float32, np.float64])
    spec = InputSpec("table", (InputEntry(None, X.shape[1:], "number"),))
    return spec, as_float32(X, "X")


def _forget_features(estimator):
    for attribute in ("n_features_in_", "feature_names_in_"):
        if attribute in vars(estimator):
            delattr(estimator, attribute)


def _read_dict(estimator, X):
    if not X:
        raise ValueError("X is an empty dict; pass one array per model input.")
    entries, arrays = [], {}
    for name, value in X.items():
        entry, array = _entry_and_array(value, name, f"X[{name!r}]")
        entries.append(entry)
        arrays[name] = array
    _n_rows(arrays)
    _forget_features(estimator)
    return InputSpec("named", tuple(entries)), arrays


def _read_frame(estimator, X):
    """A DataFrame: named inputs for now; :func:`bind_model` may make it a table."""
    columns = tuple(X.columns)
    if any(not isinstance(c, str) for c in columns) and any(
            isinstance(c, str) for c in columns):
        raise ValueError(
            f"X has column names of mixed types {short_repr(list(columns))}; name "
            "every column with a string."
        )
    entries, arrays = _frame_entries(X, "X")
    if all(entry.kind == "number" and not entry.categories for entry in entries):
        # scikit-learn's own rules for the feature names of a numeric frame.
        validate_data(estimator, X, reset=True, dtype=[np.float32, np.float64])
    else:
        _forget_features(estimator)
        estimator.n_features_in_ = len(columns)
        estimator.feature_names_in_ = np.asarray(columns, dtype=object)
    return InputSpec("named", tuple(entries), from_frame=True, columns=columns), arrays


def model_input_names(keras_model):
    """Names of the model's inputs, in the order Keras lists them."""
    inputs = getattr(keras_model, "inputs", None) or []
    return [getattr(tensor, "name", None) for tensor in inputs]


def bind_model(spec, X_model, keras_model):
    """Match the fit spec to the built model; return the final spec and inputs.

    Decides whether a DataFrame is a table or named inputs (named when the
    model's input names are column names, else a table of numbers), checks the
    named inputs against the model's, and casts integer inputs.

    Parameters
    ----------
    spec : InputSpec
        The spec of :func:`read_inputs`.
    X_model : ndarray or dict of ndarray
        The inputs :func:`read_inputs` returned.
    keras_model : keras.Model
        The built model.

    Returns
    -------
    spec : InputSpec
    X_model : ndarray or dict of ndarray
    """
    names = model_input_names(keras_model)
    if spec.form == "named" and spec.from_frame:
        columns = list(spec.columns)
        if not set(names) & set(columns):
            return _frame_as_table(spec, X_model)
    if spec.form == "named":
        _check_names(spec.names, names, spec.from_frame)
        X_model = _order_like_model(X_model, keras_model)
    elif len(names) > 1:
        raise ValueError(
            f"the model has {len(names)} inputs {names!r} but X is one "
            f"{spec.form}; pass a dict {{name: array}} with one entry per input, "
            "or a DataFrame whose columns are named after the inputs."
        )
    _check_kinds(spec, keras_model)
    return spec, _cast_for_model(X_model, keras_model)


def _frame_as_table(spec, X_model):
    text = [entry.name for entry in spec.entries if entry.kind == "text"]
    if text:
        column = text[0]
        example = X_model[column][0, 0]
        raise ValueError(
            f"X column {column!r} holds text (e.g. {short_repr(example)}) but the "
            "model takes one numeric table; encode the "
            "column (e.g. OneHotEncoder in a Pipeline), or give the model an "
            f"input named {column!r} that starts with StringLookup."
        )
    table = np.hstack([X_model[name] for name in spec.columns]).astype(np.float32)
    entries = (InputEntry(None, table.shape[1:], "number"),)
    return replace(spec, form="table", entries=entries,
                   categories=tuple(_categories(spec).items())), table


def _check_names(given, expected, from_frame):
    missing = [name for name in expected if name not in given]
    extra = [name for name in given if name not in expected]
    if missing or extra:
        what = "DataFrame column(s)" if from_frame else "dict key(s)"
        parts = []
        if missing:
            parts.append(f"no {what} for model input(s) {missing!r}")
        if extra:
            parts.append(f"{what} {extra!r} feed no model input")
        raise ValueError(
            f"X has {' and '.join(parts)}; the model's inputs are {expected!r}. "
            f"Pass exactly one {what[:-3]} per input name."
        )


def _order_like_model(X_model, keras_model):
    return {name: X_model[name] for name in model_input_names(keras_model)}


def _input_dtypes(keras_model):
    return {getattr(t, "name", None): str(getattr(t, "dtype", "float32"))
            for t in keras_model.inputs}


def _check_kinds(spec, keras_model):
    dtypes = _input_dtypes(keras_model)
    for entry in spec.entries:
        dtype = dtypes.get(entry.name) if spec.form == "named" else next(
            iter(dtypes.values()))
        wants_text = dtype == "string"
        where = "X" if entry.name is None else f"X[{entry.name!r}]"
        if entry.kind == "text" and not wants_text:
            raise ValueError(
                f"{where} holds strings but the model input takes {dtype}; encode "
                "the text first, or start the model with keras.Input(dtype="
                "'string') and a TextVectorization or StringLookup layer."
            )
        if entry.kind == "number" and wants_text:
            raise ValueError(
                f"{where} holds numbers but the model input takes strings; pass "
                "the raw strings."
            )


def _cast_for_model(X_model, keras_model):
    dtypes = _input_dtypes(keras_model)
    if isinstance(X_model, dict):
        return {name: _cast(array, dtypes.get(name)) for name, array in X_model.items()}
    return _cast(X_model, next(iter(dtypes.values()), None))


def _cast(array, dtype):
    if dtype is None or dtype == "string" or array.dtype == object:
        return array
    if "int" in dtype and array.dtype.kind == "f":
        if not np.array_equal(array, np.round(array)):
            raise ValueError(
                f"an input of dtype {dtype} received non-integer numbers; pass "
                "integer codes (e.g. category ids for an Embedding)."
            )
    return array.astype(dtype, copy=False) if "int" in dtype else array


# ---------------------------------------------------------------- predict


def check_inputs(estimator, spec, X, keras_model):
    """Check predict's ``X`` against the fit spec; return what the model takes.

    Parameters
    ----------
    estimator : BaseEstimator
        The fitted estimator (its ``n_features_in_`` checks a table).
    spec : InputSpec
        The spec of :func:`read_inputs` after :func:`bind_model`.
    X : array-like, dict or DataFrame
        Input to predict on.
    keras_model : keras.Model
        The fitted model (for its input names and dtypes).

    Returns
    -------
    X_model : ndarray or dict of ndarray
    """
    if spec.form == "table":
        if spec.from_frame and _is_frame(X) and _categories(spec):
            _check_columns(X, spec)
            X = X[list(spec.columns)]
            entries, arrays = _frame_entries(X, "X", _categories(spec))
            X = np.hstack([arrays[c] for c in spec.columns]).astype(np.float32)
            return X
        if _is_dict(X) or (isinstance(X, np.ndarray) and X.ndim >= 3):
            raise ValueError(_form_message(spec, X))
        X = validate_data(estimator, X, reset=False, dtype=[np.float32, np.float64])
        return as_float32(X, "X")
    if spec.form == "named":
        if spec.from_frame:
            if not _is_frame(X):
                raise ValueError(_form_message(spec, X))
            _check_columns(X, spec)
            entries, arrays = _frame_entries(X[list(spec.columns)], "X",
                                             _categories(spec))
        elif _is_dict(X):
            _check_names(list(X), spec.names, False)
            pairs = [_entry_and_array(X[name], name, f"X[{name!r}]")
                     for name in spec.names]
            entries, arrays = [p[0] for p in pairs], {
                name: p[1] for name, p in zip(spec.names, pairs, strict=True)}
        else:
            raise ValueError(_form_message(spec, X))
        _n_rows(arrays)
        fitted = {entry.name: entry for entry in spec.entries}
        for entry in entries:
            _compare(entry, fitted[entry.name], f"X[{entry.name!r}]")
        return _cast_for_model(_order_like_model(arrays, keras_model), keras_model)
    # "array" or "text": one unnamed input.
    if _is_dict(X) or _is_frame(X):
        raise ValueError(_form_message(spec, X))
    if _is_series(X) or isinstance(X, (list, tuple)):
        X = X.to_numpy() if _is_series(X) else X
    X = _as_array(X, "X")
    entry, array = _entry_and_array(X, None, "X")
    if spec.form == "array" and array.ndim == 2 and X.ndim == 1:
        entry = replace(entry, shape=())
    _compare(entry, spec.entries[0], "X")
    return _cast_for_model(array, keras_model)


def _categories(spec):
    found = {e.name: e.categories for e in spec.entries if e.categories}
    return {**dict(spec.categories), **found}


def _check_columns(X, spec):
    columns = list(X.columns)
    missing = [c for c in spec.columns if c not in columns]
    extra = [c for c in columns if c not in spec.columns]
    if missing or extra:
        raise ValueError(
            f"X has columns {short_repr(columns)} but the model was fitted on "
            f"{short_repr(list(spec.columns))} (missing {missing!r}, unexpected "
            f"{extra!r}); pass the same columns."
        )


def _compare(entry, fitted, where):
    if entry.kind != fitted.kind:
        words = {"text": "strings", "number": "numbers"}
        raise ValueError(
            f"{where} holds {words[entry.kind]} but the model was fitted on "
            f"{words[fitted.kind]}; pass the same kind of input as at fit."
        )
    if tuple(entry.shape) != tuple(fitted.shape):
        raise ValueError(
            f"{where} has per-sample shape {tuple(entry.shape)} but the model was "
            f"fitted on {tuple(fitted.shape)}; pass samples of that shape."
        )


def _form_message(spec, X):
    received = "a dict" if _is_dict(X) else (
        "a DataFrame" if _is_frame(X) else f"{type(X).__name__}")
    if isinstance(X, np.ndarray):
        received = f"an array of shape {X.shape}"
    wanted = {
        "table": f"a 2-D table of {spec.entries[0].shape[0]} features",
        "array": f"an array of per-sample shape {spec.entries[0].shape}",
        "text": "a 1-D array of strings",
        "named": ("a DataFrame with columns " + short_repr(list(spec.columns))
                  if spec.from_frame else f"a dict with keys {spec.names!r}"),
    }[spec.form]
    return (f"X is {received} but the model was fitted on {wanted}; pass the same "
            "form of input as at fit.")


def _is_table_like(X):
    if _is_dict(X) or _is_frame(X):
        return False
    if _is_series(X):
        return False
    array = X if isinstance(X, np.ndarray) else None
    if array is None and isinstance(X, (list, tuple)):
        try:
            array = np.asarray(X)
        except ValueError:
            return False  # ragged: read_inputs says so
    if array is None:
        return True  # sparse matrices and others: scikit-learn's own errors
    if array.ndim == 1 and _is_text_array(array):
        return False
    return array.ndim < 3


def _check_y(y, X):
    y = column_or_1d(y, warn=True)
    check_consistent_length(np.empty((n_samples(X), 0)), y)
    return y


def validate_fit_inputs(estimator, X, y, *, spec=None, keras_model=None):
    """Validate a fit's ``X`` and ``y``: a new spec, or a check against ``spec``.

    With ``spec=None`` (fit, first partial_fit), a 2-D table goes through
    scikit-learn's ``validate_data(estimator, X, y)`` exactly as before; other
    forms through :func:`read_inputs`. With a spec (later partial_fit calls),
    ``X`` is checked as at predict.

    Returns
    -------
    spec : InputSpec
    X_model : ndarray or dict of ndarray
    y : ndarray of shape (n_samples,)
    """
    if spec is None:
        if _is_table_like(X):
            X, y = validate_data(estimator, X, y, dtype=[np.float32, np.float64])
            spec = InputSpec("table", (InputEntry(None, X.shape[1:], "number"),))
            return spec, as_float32(X, "X"), y
        spec, X = read_inputs(estimator, X, reset=True)
        return spec, X, _check_y(y, X)
    if spec.form == "table" and not (spec.from_frame and _is_frame(X)):
        X, y = validate_data(estimator, X, y, reset=False,
                             dtype=[np.float32, np.float64])
        return spec, as_float32(X, "X"), y
    X = check_inputs(estimator, spec, X, keras_model)
    return spec, X, _check_y(y, X)


def require_table(spec):
    """Raise unless ``spec`` is a table (or a DataFrame), for the default network."""
    if spec.form == "table" or spec.from_frame:
        return
    shape = spec.entries[0].shape if spec.form != "named" else spec.names
    raise ValueError(
        f"the default network (model=None) takes a 2-D table, but X is {spec.form} "
        f"input ({'per-sample shape ' if spec.form != 'named' else 'inputs '}"
        f"{shape!r}); pass a builder model=build(meta, ...) that returns a Keras "
        "model for this input (see 'Your own network'), or flatten X with "
        "X.reshape(len(X), -1)."
    )


__all__ = ["FORMS", "InputEntry", "InputSpec", "bind_model", "check_inputs",
           "model_input_names", "n_samples", "read_inputs", "require_table",
           "take_rows", "validate_fit_inputs"]
