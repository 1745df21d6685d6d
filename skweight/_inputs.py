"""The input forms a Keras model takes, validated at fit and checked at predict.

Four forms, told apart by the type and shape of ``X`` alone, then matched to the
model's inputs once it is built:

``"table"``
    a 2-D numeric array-like, or a pandas DataFrame whose columns are all
    numeric (unless the model's inputs are named after its columns, below).
    Validated by scikit-learn's ``validate_data``, exactly as any scikit-learn
    classifier: ``n_features_in_`` and, for a DataFrame, ``feature_names_in_``.
``"array"``
    an N-D numeric array ``(n, ...)`` with N >= 3: images ``(n, h, w, c)``,
    sequences ``(n, t, f)``.
``"text"``
    a 1-D array, list or pandas Series of strings, for a model that starts with
    ``TextVectorization`` or ``StringLookup`` on ``keras.Input(shape=())`` or
    ``shape=(1,)``.
``"named"``
    a dict of arrays keyed by the model's input names, or a pandas DataFrame
    with text or categorical columns (each column becomes an input of per-sample
    shape ``(1,)``). A DataFrame of numbers only is a table for the builder's
    ``meta``, and feeds named inputs when the built model's input names are its
    columns; a DataFrame with text or categories feeds a single-input model as a
    table of category codes. Every column must then feed an input.

A 1-D numeric array is rejected, as scikit-learn does (reshape it). Numbers must
be finite and real in every form; integers reach an integer model input exactly
(never through float32). Text holds strings only. pandas categorical columns go
as integer codes of the categories seen at fit (for an ``Embedding``), and ids
for an ``Embedding`` must be within its ``input_dim``.

The modules: :mod:`skweight._input_spec` reads ``X`` at fit into an
:class:`~skweight._input_spec.InputSpec`; :mod:`skweight._input_binding` binds it
to the model and checks predict's input; this module holds the entry points of
``fit`` and ``partial_fit``.
"""

import numpy as np
from sklearn.utils.validation import check_consistent_length, column_or_1d
from sklearn_compat.utils.validation import validate_data

from ._input_binding import bind_model, check_inputs, model_input_names, to_model
from ._input_spec import (
    FORMS,
    TABLE_DTYPES,
    InputEntry,
    InputSpec,
    is_dict,
    is_frame,
    is_series,
    is_text_array,
    n_samples,
    read_inputs,
    table_numbers,
    take_rows,
)


def _is_table_like(X):
    if is_dict(X) or is_frame(X) or is_series(X):
        return False
    array = X if isinstance(X, np.ndarray) else None
    if array is None and isinstance(X, (list, tuple)):
        if any(isinstance(v, (str, bytes)) for v in X):
            return False  # text, checked value by value in read_inputs
        try:
            array = np.asarray(X)
        except ValueError:
            return False  # ragged: read_inputs says so
    if array is None:
        return True  # sparse matrices and others: scikit-learn's own errors
    if array.ndim == 1 and is_text_array(array):
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
    forms through :func:`~skweight._input_spec.read_inputs`. With a spec (later
    partial_fit calls), ``X`` is checked as at predict, in the model's dtypes.

    Returns
    -------
    spec : InputSpec
    X_model : ndarray or dict of ndarray
    y : ndarray of shape (n_samples,)
    """
    if spec is None:
        if _is_table_like(X):
            X, y = validate_data(estimator, X, y, dtype=TABLE_DTYPES)
            spec = InputSpec("table", (InputEntry(None, X.shape[1:], "number"),))
            return spec, table_numbers(X), y
        spec, X = read_inputs(estimator, X, reset=True)
        return spec, X, _check_y(y, X)
    if spec.form == "table" and not (spec.from_frame and is_frame(X)):
        X, y = validate_data(estimator, X, y, reset=False, dtype=TABLE_DTYPES)
        # Through check_inputs' cast: the model's dtypes, the Embedding ids.
        return spec, to_model(spec, table_numbers(X), keras_model), y
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
