"""Binding the input spec to the built model, and predict's checks against it.

:func:`bind_model` matches the spec :func:`skweight._input_spec.read_inputs`
made at fit to the model's inputs: their names, kinds (numbers or strings),
ranks and dtypes, and the ids an ``Embedding`` takes. :func:`check_inputs` checks
the input of every later call (predict, later ``partial_fit`` calls) the same
way and returns what the model is called on.
"""

from dataclasses import replace

import numpy as np
from sklearn_compat.utils.validation import validate_data

from ._input_spec import (
    TABLE_DTYPES,
    InputEntry,
    as_array,
    check_unique_columns,
    entry_and_array,
    frame_entries,
    is_dict,
    is_frame,
    is_series,
    n_rows_of,
    table_numbers,
)
from ._messages import short_repr


def _model_inputs(keras_model):
    # A subclassed model has no symbolic inputs: nothing to match against.
    try:
        return list(getattr(keras_model, "inputs", None) or [])
    except (AttributeError, ValueError):
        return []


def model_input_names(keras_model):
    """Names of the model's inputs, in the order Keras lists them."""
    return [getattr(tensor, "name", None) for tensor in _model_inputs(keras_model)]


def bind_model(spec, X_model, keras_model):
    """Match the fit spec to the built model; return the final spec and inputs.

    Decides whether a DataFrame is a table or named inputs (named when the
    model's input names are column names, else a table), checks the named
    inputs against the model's, records the inputs that feed an ``Embedding``,
    and casts the inputs to the model's dtypes.

    Parameters
    ----------
    spec : InputSpec
        The spec of :func:`skweight._input_spec.read_inputs`.
    X_model : ndarray or dict of ndarray
        The inputs ``read_inputs`` returned.
    keras_model : keras.Model
        The built model.

    Returns
    -------
    spec : InputSpec
    X_model : ndarray or dict of ndarray
    """
    names = model_input_names(keras_model)
    if spec.from_frame:
        overlap = set(names) & set(spec.columns)
        if spec.form == "named" and not overlap:
            spec, X_model = _frame_as_table(spec, X_model)
        elif spec.form == "table" and overlap:
            spec, X_model = _table_as_named(spec, X_model)
    if spec.form == "named" and names:
        if len(names) == 1 and names[0] not in spec.names:
            what = "column(s)" if spec.from_frame else "key(s)"
            raise ValueError(
                f"X has {what} {short_repr(spec.names)} but the model has one input, "
                f"named {names[0]!r}; pass the array itself (a 1-D array of strings "
                "for text), or name the model's input after the key: "
                f"keras.Input(..., name={spec.names[0]!r})."
            )
        _check_names(spec.names, names, spec.from_frame)
        X_model = _order_like_model(X_model, keras_model)
    elif len(names) > 1:
        raise ValueError(
            f"the model has {len(names)} inputs {names!r} but X is one "
            f"{spec.form}; pass a dict {{name: array}} with one entry per input, "
            "or a DataFrame whose columns are named after the inputs."
        )
    _check_kinds(spec, keras_model)
    spec = replace(spec, id_limits=_embedding_limits(spec, keras_model))
    X_model = _cast_for_model(X_model, keras_model)
    _check_ids(spec, X_model)
    return spec, X_model


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


def _table_as_named(spec, table):
    arrays = {column: table[:, [i]] for i, column in enumerate(spec.columns)}
    entries = tuple(InputEntry(column, (1,), "number") for column in spec.columns)
    return replace(spec, form="named", entries=entries), arrays


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
    names = model_input_names(keras_model)
    if not names or not isinstance(X_model, dict):
        # A subclassed model takes the dict as given; an array is bound already
        # (a warm start binds the spec of the last fit again).
        return X_model
    if len(names) == 1:
        # A one-input model is traced with one tensor, not a dict of one.
        return X_model[names[0]]
    return {name: X_model[name] for name in names}


def _input_facts(keras_model):
    """{input name: (dtype, per-sample shape)} of the model's symbolic inputs."""
    return {getattr(t, "name", None): (str(getattr(t, "dtype", "float32")),
                                       tuple(t.shape[1:]))
            for t in _model_inputs(keras_model)}


def _check_kinds(spec, keras_model):
    facts = _input_facts(keras_model)
    if not facts:
        return
    for entry in spec.entries:
        dtype = (facts[entry.name] if spec.form == "named" and entry.name in facts
                 else next(iter(facts.values())))[0]
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
    facts = _input_facts(keras_model)
    if isinstance(X_model, dict):
        return {name: _cast(array, *facts.get(name, (None, None)), f"X[{name!r}]")
                for name, array in X_model.items()}
    return _cast(X_model, *next(iter(facts.values()), (None, None)), "X")


def _cast(array, dtype, shape, where):
    """``array`` in the model input's dtype and rank; integers never via float32."""
    if array.dtype == object or dtype == "string":
        pass
    elif dtype is not None and ("int" in dtype or dtype == "bool"):
        if array.dtype.kind == "f" and not np.array_equal(array, np.round(array)):
            raise ValueError(
                f"{where} is an input of dtype {dtype} and received non-integer "
                "numbers; pass integer codes (e.g. category ids for an Embedding)."
            )
        if array.dtype.kind in "iuf" and array.size and dtype != "bool":
            info = np.iinfo(dtype)
            low, high = array.min(), array.max()
            if low < info.min or high > info.max:
                raise ValueError(
                    f"{where} holds integers from {low} to {high}, beyond the "
                    f"range of the model input's dtype {dtype}; give the input a "
                    "wider dtype, e.g. keras.Input(..., dtype='int64')."
                )
        array = array.astype(dtype, copy=False)
    elif array.dtype.kind in "iub":
        array = array.astype(np.float32)  # exact ids only for integer inputs
    if shape is not None and None not in shape:
        # Keras' text examples take strings as shape (1,): (n,) -> (n, 1) and back.
        if array.ndim == len(shape) and shape[-1:] == (1,):
            array = array.reshape(*array.shape, 1)
        elif array.ndim == len(shape) + 2 and array.shape[-1] == 1 and (
                tuple(array.shape[1:-1]) == shape):
            array = array.reshape(array.shape[:-1])
    return array


def _embedding_limits(spec, keras_model):
    """(input name, layer name, input_dim) of each input an Embedding reads."""
    import keras

    inputs = _model_inputs(keras_model)
    if not inputs:
        return ()
    limits = []
    for layer in keras_model.layers:
        if not isinstance(layer, keras.layers.Embedding):
            continue
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in getattr(node, "input_tensors", []):
                for model_input in inputs:
                    if tensor is model_input:
                        name = model_input.name if len(inputs) > 1 else None
                        limits.append((name, layer.name, int(layer.input_dim)))
    return tuple(dict.fromkeys(limits))


def _check_ids(spec, X_model):
    """Raise if an id is outside the range of the Embedding it feeds."""
    for name, layer, input_dim in spec.id_limits:
        array = X_model[name] if name is not None else X_model
        if array.dtype.kind not in "iuf" or not array.size:
            continue
        bad = (array < 0) | (array >= input_dim)
        if bad.any():
            row = int(np.flatnonzero(bad.reshape(len(array), -1).any(axis=1))[0])
            value = array[row][bad[row]].ravel()[0] if array.ndim > 1 else array[row]
            where = f"X[{name!r}]" if name is not None else (
                f"X[{spec.names[0]!r}]" if spec.form == "named" else "X")
            raise ValueError(
                f"{where} has id {value.item()!r} at row {row}, outside the "
                f"Embedding {layer!r} of input_dim={input_dim} (ids 0 to "
                f"{input_dim - 1}); give that layer a larger input_dim, or map "
                "unseen ids to a reserved one first."
            )


# ---------------------------------------------------------------- predict


def check_inputs(estimator, spec, X, keras_model):
    """Check predict's ``X`` against the fit spec; return what the model takes.

    Parameters
    ----------
    estimator : BaseEstimator
        The fitted estimator (its ``n_features_in_`` checks a table).
    spec : InputSpec
        The spec of :func:`bind_model`.
    X : array-like, dict or DataFrame
        Input to predict on.
    keras_model : keras.Model
        The fitted model (for its input names and dtypes).

    Returns
    -------
    X_model : ndarray or dict of ndarray
    """
    return to_model(spec, _check_form(estimator, spec, X, keras_model), keras_model)


def to_model(spec, X_model, keras_model):
    """Validated inputs in the model's dtypes and ranks, their ids checked.

    Parameters
    ----------
    spec : InputSpec
        The spec of :func:`bind_model`.
    X_model : ndarray or dict of ndarray
        Validated input, in the form of ``spec``.
    keras_model : keras.Model

    Returns
    -------
    X_model : ndarray or dict of ndarray
    """
    X_model = _cast_for_model(X_model, keras_model)
    _check_ids(spec, X_model)
    return X_model


def _check_form(estimator, spec, X, keras_model):
    if spec.form == "table":
        if spec.from_frame and is_frame(X):
            check_unique_columns(X)
            if _categories(spec):
                _check_columns(X, spec)
                _, arrays = frame_entries(X[list(spec.columns)], "X",
                                          _categories(spec))
                return np.hstack([arrays[c] for c in spec.columns]).astype(np.float32)
            # A column categorical now, numbers at fit, is named (not fed as codes).
            frame_entries(X[[c for c in X.columns if X[c].dtype == "category"]],
                          "X", {})
        if is_dict(X) or (isinstance(X, np.ndarray) and X.ndim >= 3):
            raise ValueError(_form_message(spec, X))
        X = validate_data(estimator, X, reset=False, dtype=TABLE_DTYPES)
        return table_numbers(X)
    if spec.form == "named":
        if spec.from_frame:
            if not is_frame(X):
                raise ValueError(_form_message(spec, X))
            check_unique_columns(X)
            _check_columns(X, spec)
            entries, arrays = frame_entries(X[list(spec.columns)], "X",
                                            _categories(spec))
        elif is_dict(X):
            _check_names(list(X), spec.names, False)
            pairs = [entry_and_array(X[name], name, f"X[{name!r}]")
                     for name in spec.names]
            entries, arrays = [p[0] for p in pairs], {
                name: p[1] for name, p in zip(spec.names, pairs, strict=True)}
        else:
            raise ValueError(_form_message(spec, X))
        n_rows_of(arrays)
        fitted = {entry.name: entry for entry in spec.entries}
        for entry in entries:
            _compare(entry, fitted[entry.name], f"X[{entry.name!r}]")
        return _order_like_model(arrays, keras_model)
    # "array" or "text": one unnamed input.
    if is_dict(X) or is_frame(X):
        raise ValueError(_form_message(spec, X))
    if is_series(X) or isinstance(X, (list, tuple)):
        X = X.to_numpy() if is_series(X) else X
    X = as_array(X, "X")
    entry, array = entry_and_array(X, None, "X")
    if spec.form == "array" and array.ndim == 2 and X.ndim == 1:
        entry = replace(entry, shape=())
    _compare(entry, spec.entries[0], "X")
    return array


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
    received = "a dict" if is_dict(X) else (
        "a DataFrame" if is_frame(X) else f"{type(X).__name__}")
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


__all__ = ["bind_model", "check_inputs", "model_input_names", "to_model"]
