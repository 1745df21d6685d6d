"""Bad input to WeightedKerasClassifier: a clear error, and the caller's objects intact.

Every table row gives what is passed, the error type and a phrase of the message.
Each test also checks that nothing the caller passed was modified.
"""

import copy

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError

from skweight import WeightedKerasClassifier

TINY = dict(hidden_layer_sizes=(4,), epochs=1, random_state=0)

X, Y = make_classification(n_samples=60, n_features=4, n_informative=3,
                           n_redundant=0, random_state=0)


def _unchanged(before, after):
    """Deep equality for the argument kinds the tables pass."""
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.dtype == after.dtype
                and np.array_equal(before, after, equal_nan=before.dtype.kind == "f"))
    if isinstance(before, (pd.DataFrame, pd.Series)):
        return before.equals(after)
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(
            _unchanged(before[key], after[key]) for key in before)
    if isinstance(before, (list, tuple)):
        return len(before) == len(after) and all(
            _unchanged(a, b) for a, b in zip(before, after, strict=True))
    if isinstance(before, float) and np.isnan(before):
        return np.isnan(after)
    if isinstance(before, keras.callbacks.Callback):
        return type(before) is type(after)
    return before == after


def _logit_model(meta):
    inputs = keras.Input((meta["n_features_in_"],))
    return keras.Model(inputs, keras.layers.Dense(1)(inputs))  # no sigmoid


# (constructor parameters, error type, phrase of the message)
PARAMS = [
    ({"model": 3}, ValueError, "'model' parameter"),
    ({"model": _logit_model}, ValueError, "not probabilities"),
    ({"hidden_layer_sizes": 0}, ValueError, "'hidden_layer_sizes' parameter"),
    ({"hidden_layer_sizes": (0,)}, ValueError, "hidden_layer_sizes=(0,) must hold"),
    ({"hidden_layer_sizes": (4, 2.5)}, ValueError, "positive integers"),
    ({"activation": 3}, ValueError, "'activation' parameter"),
    ({"activation": "bogus"}, ValueError, "activation"),
    ({"dropout": 1.0}, ValueError, "'dropout' parameter"),
    ({"dropout": -0.1}, ValueError, "'dropout' parameter"),
    ({"n_members": 0}, ValueError, "'n_members' parameter"),
    ({"cross_fit": "yes"}, ValueError, "'cross_fit' parameter"),
    ({"cross_fit": True}, ValueError, "but n_members=1; pass n_members=2"),
    ({"model_params": [1]}, ValueError, "'model_params' parameter"),
    ({"model_params": {"units": 3}}, TypeError, "model_params={'units': 3} do not fit"),
    ({"class_weight": "bogus"}, ValueError, "'class_weight' parameter"),
    ({"class_weight": 3}, ValueError, "'class_weight' parameter"),
    ({"class_weight": {0: None}}, ValueError, "weight None, which is not a number"),
    ({"class_weight": {0: "heavy"}}, ValueError, "not a number"),
    ({"class_weight": {0: -1.0}}, ValueError, "non-positive or non-finite"),
    ({"class_weight": {0: np.inf}}, ValueError, "non-positive or non-finite"),
    ({"class_weight": {"zz": 2.0}}, ValueError, "not labels of y"),
    ({"class_weight": lambda y: [1.0]}, ValueError, "shape (1,)"),
    ({"class_weight": "cost"}, ValueError, "needs a cost matrix"),
    ({"bias_init": "bogus"}, ValueError, "'bias_init' parameter"),
    ({"bias_init": [np.nan]}, ValueError, "bias_init"),
    ({"bias_init": [0.0, 0.0]}, ValueError, "1 output unit"),
    ({"cost_matrix": [[0, 1]]}, ValueError, "cost_matrix has shape (1, 2)"),
    ({"cost_matrix": "high"}, ValueError, "cost_matrix"),
    ({"loss": "bogus"}, ValueError, "not a Keras loss"),
    ({"loss": 3}, ValueError, "'loss' parameter"),
    ({"loss": "categorical_crossentropy"}, ValueError, "two classes"),
    ({"loss_params": {"gamma": 1.0}}, TypeError, "do not fit loss='auto'"),
    ({"loss": "focal", "loss_params": {"beta": 1.0}}, TypeError, "gamma and alpha"),
    ({"loss": "binary_crossentropy", "loss_params": {"a": 1}}, ValueError,
     "built-in losses only"),
    ({"optimizer": "bogus"}, ValueError, "not a Keras optimizer"),
    ({"optimizer": 3}, ValueError, "'optimizer' parameter"),
    ({"optimizer_params": [1]}, ValueError, "'optimizer_params' parameter"),
    ({"optimizer": "sgd", "optimizer_params": {"momentom": 0.9}}, ValueError,
     "optimizer_params={'momentom': 0.9} do not fit optimizer='sgd'"),
    ({"learning_rate": 0}, ValueError, "'learning_rate' parameter"),
    ({"learning_rate": -0.1}, ValueError, "'learning_rate' parameter"),
    ({"learning_rate": "fast"}, ValueError, "'learning_rate' parameter"),
    ({"metrics": "accuracy"}, ValueError, "'metrics' parameter"),
    ({"metrics": ["bogus"]}, ValueError, "'bogus', which is not a Keras metric"),
    ({"batch_size": 0}, ValueError, "'batch_size' parameter"),
    ({"batch_size": "big"}, ValueError, "'batch_size' parameter"),
    ({"epochs": 0}, ValueError, "'epochs' parameter"),
    ({"epochs": 2.5}, ValueError, "'epochs' parameter"),
    ({"early_stopping": "yes"}, ValueError, "'early_stopping' parameter"),
    ({"early_stopping_monitor": "accuracy"}, ValueError,
     "'early_stopping_monitor' parameter"),
    ({"validation_fraction": 1.0}, ValueError, "'validation_fraction' parameter"),
    ({"validation_fraction": 0.001, "early_stopping": True}, ValueError,
     "validation_fraction=0.001 leaves no room"),
    ({"n_iter_no_change": 0}, ValueError, "'n_iter_no_change' parameter"),
    ({"tol": -1.0}, ValueError, "'tol' parameter"),
    ({"callbacks": "log"}, ValueError, "'callbacks' parameter"),
    ({"callbacks": ["log"]}, TypeError, "holds 'log' of type str"),
    ({"warm_start": "yes"}, ValueError, "'warm_start' parameter"),
    ({"verbose": -1}, ValueError, "'verbose' parameter"),
    ({"random_state": "seed"}, ValueError, "'random_state' parameter"),
    ({"calibration": "platt"}, ValueError, "'calibration' parameter"),
    ({"calibration_fraction": 0.0}, ValueError, "'calibration_fraction' parameter"),
    ({"deployment_priors": "high"}, ValueError, "'deployment_priors' parameter"),
    ({"deployment_priors": [0.5, 0.6]}, ValueError, "sums to 1.1"),
    ({"deployment_priors": {"x": 1.0}}, ValueError, "unknown labels: ['x']"),
]


def test_every_parameter_is_constrained_and_in_the_table():
    """Check that each constructor parameter is validated and tried here."""
    names = set(WeightedKerasClassifier().get_params())
    assert set(WeightedKerasClassifier._parameter_constraints) == names
    assert {name for params, _, _ in PARAMS for name in params} == names


def _case_id(case):
    # Functions by name: a repr with an address differs between processes.
    return ",".join(
        f"{key}={getattr(value, '__name__', None) or repr(value)}"[:40]
        for key, value in case.items()
    )


@pytest.mark.parametrize("params, err_type, err_msg", PARAMS,
                         ids=[_case_id(case[0]) for case in PARAMS])
def test_bad_parameters_raise_a_clear_error(params, err_type, err_msg):
    """Check that each bad parameter gets an error naming it, at fit."""
    passed = copy.deepcopy(params)
    X_in, y_in = X.copy(), Y.copy()
    clf = WeightedKerasClassifier(**{**TINY, **params})
    with pytest.raises(err_type, match=_literal(err_msg)):
        clf.fit(X_in, y_in)
    assert _unchanged(passed, params)
    assert _unchanged(X, X_in) and _unchanged(Y, y_in)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def _literal(phrase):
    import re

    return re.escape(phrase)


def _with(column, value, rows=(3,)):
    data = X.copy()
    data[list(rows), column] = value
    return data


def _weights(**changes):
    weights = np.ones(len(Y))
    for row, value in changes.items():
        weights[int(row[1:])] = value
    return weights


Y_NONE = Y.astype(object)
Y_NONE[5] = None
Y_NAN = Y.astype(float)
Y_NAN[7] = np.nan
SINGLE_MINORITY = np.r_[np.zeros(len(Y) - 1, dtype=int), 1]

# (X, y, fit keyword arguments, error type, phrase of the message)
FIT = [
    ("X 1-D", X[:, 0], Y, {}, ValueError, "Expected 2D array"),
    ("X 3 rows of 60", X[:3], Y, {}, ValueError, "inconsistent numbers of samples"),
    ("X empty", X[:0], Y[:0], {}, ValueError, "0 sample(s)"),
    ("X with NaN", _with(1, np.nan), Y, {}, ValueError, "Input X contains NaN"),
    ("X with inf", _with(1, np.inf), Y, {}, ValueError, "infinity"),
    ("X beyond float32", _with(2, 1e300), Y, {}, ValueError, "beyond float32's range"),
    ("X of words", np.full((60, 4), "a"), Y, {}, ValueError, "could not convert"),
    ("y of 59 rows", X, Y[:-1], {}, ValueError, "inconsistent numbers of samples"),
    ("y one class", X, np.zeros(60), {}, ValueError, "y has 1 class"),
    ("y continuous", X, X[:, 0], {}, ValueError, "Unknown label type: continuous"),
    ("y one-hot", X, np.eye(2)[Y], {}, ValueError, "one-hot encoded"),
    ("y multilabel", X, np.c_[Y, 1 - Y, Y], {}, ValueError, "multilabel"),
    ("y with None", X, Y_NONE, {}, ValueError, "missing label(s) (None or NaN"),
    ("y with NaN", X, Y_NAN, {}, ValueError, "missing label(s)"),
    ("sample_weight negative", X, Y, {"sample_weight": _weights(r4=-100.0)},
     ValueError, "negative weights at rows [4] (e.g. -100.0)"),
    ("sample_weight NaN", X, Y, {"sample_weight": _weights(r4=np.nan)}, ValueError,
     "sample_weight contains NaN"),
    ("sample_weight inf", X, Y, {"sample_weight": _weights(r4=np.inf)}, ValueError,
     "sample_weight contains infinity"),
    ("sample_weight 5 rows", X, Y, {"sample_weight": np.ones(5)}, ValueError,
     "sample_weight has shape (5,) but X has 60 rows"),
    ("sample_weight 2-D", X, Y, {"sample_weight": np.ones((60, 2))}, ValueError,
     "sample_weight has shape (60, 2)"),
    ("sample_weight 0 for a class", X, Y, {"sample_weight": (Y == 1).astype(float)},
     ValueError, "sample_weight sums to 0 for class(es) [0]"),
    ("sample_weight all 0", X, Y, {"sample_weight": np.zeros(60)}, ValueError,
     "sample_weight is zero on every row"),
    ("cost_matrix per row of 5 rows", X, Y, {"cost_matrix": np.ones((5, 2, 2))},
     ValueError, "cost_matrix"),
]


@pytest.mark.parametrize("X_in, y_in, kwargs, err_type, err_msg",
                         [case[1:] for case in FIT], ids=[case[0] for case in FIT])
def test_bad_fit_arguments_raise_a_clear_error(X_in, y_in, kwargs, err_type,
                                               err_msg):
    """Check that each bad argument of fit gets a clear error and is not modified."""
    passed = copy.deepcopy((X_in, y_in, kwargs))
    with pytest.raises(err_type, match=_literal(err_msg)):
        WeightedKerasClassifier(**TINY).fit(X_in, y_in, **kwargs)
    assert _unchanged(passed, (X_in, y_in, kwargs))


def test_early_stopping_with_one_row_of_a_class_raises():
    """Check that a stratified split that cannot be made is explained."""
    with pytest.raises(ValueError, match="at least 2 rows of every class"):
        WeightedKerasClassifier(**TINY, early_stopping=True).fit(X, SINGLE_MINORITY)


# (first call's keyword arguments, second call's, error type, phrase)
PARTIAL_FIT = [
    ("no classes on the first call", {}, None, ValueError,
     "classes must be passed on the first call"),
    ("one class in classes", {"classes": [0]}, None, ValueError,
     "classes=[0] has 1 class"),
    ("a label not in classes", {"classes": [0, 2]}, None, ValueError,
     "y has labels [1] that are not in classes"),
    ("other classes later", {"classes": [0, 1]}, {"classes": [0, 1, 2]}, ValueError,
     "differ from the classes of the first call"),
    ("other features later", {"classes": [0, 1]}, {"X": X[:, :3]}, ValueError,
     "3 features"),
    ("negative weight later", {"classes": [0, 1]},
     {"sample_weight": _weights(r2=-1.0)}, ValueError, "negative"),
]


@pytest.mark.parametrize("first, second, err_type, err_msg",
                         [case[1:] for case in PARTIAL_FIT],
                         ids=[case[0] for case in PARTIAL_FIT])
def test_bad_partial_fit_arguments_raise_a_clear_error(first, second, err_type,
                                                       err_msg):
    """Check partial_fit's own errors, on the first call or a later one."""
    clf = WeightedKerasClassifier(**TINY)
    if second is None:
        with pytest.raises(err_type, match=_literal(err_msg)):
            clf.partial_fit(X, Y, **first)
        with pytest.raises(NotFittedError):
            clf.predict(X)
        return
    clf.partial_fit(X, Y, **first)
    weights = [w.copy() for w in clf.model_.get_weights()]
    kwargs = dict(second)
    X_in = kwargs.pop("X", X)
    with pytest.raises(err_type, match=_literal(err_msg)):
        clf.partial_fit(X_in, Y, **kwargs)
    for before, after in zip(weights, clf.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    assert clf.n_iter_ == 1


@pytest.fixture(scope="module")
def fitted():
    return WeightedKerasClassifier(**TINY).fit(X, Y)


PREDICT = [
    ("3 features", X[:5, :3], ValueError, "X has 3 features"),
    ("1-D", X[0], ValueError, "Expected 2D array"),
    ("NaN", _with(0, np.nan)[:5], ValueError, "Input X contains NaN"),
    ("inf", _with(0, -np.inf)[:5], ValueError, "infinity"),
    ("beyond float32", _with(0, -1e39)[:5], ValueError, "beyond float32's range"),
    ("words", np.full((2, 4), "a"), ValueError, "could not convert"),
]


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function",
                                    "predict_log_proba", "score"])
@pytest.mark.parametrize("X_in, err_type, err_msg", [case[1:] for case in PREDICT],
                         ids=[case[0] for case in PREDICT])
def test_bad_predict_input_raises_a_clear_error(fitted, method, X_in, err_type,
                                                err_msg):
    """Check that every prediction method rejects bad rows, leaving them intact."""
    passed = copy.deepcopy(X_in)
    args = (X_in, np.zeros(len(X_in))) if method == "score" else (X_in,)
    with pytest.raises(err_type, match=_literal(err_msg)):
        getattr(fitted, method)(*args)
    assert _unchanged(passed, X_in)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_an_unfitted_estimator_raises_not_fitted(method):
    """Check that predicting before fit raises NotFittedError."""
    with pytest.raises(NotFittedError):
        getattr(WeightedKerasClassifier(), method)(X)
