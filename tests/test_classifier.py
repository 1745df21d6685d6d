"""WeightedKerasClassifier: fitted state, the knobs, seeds, persistence, errors."""

import copy
import logging
import pickle
import random
import subprocess
import sys

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification

from skweight import WeightedKerasClassifier


@pytest.fixture(scope="module")
def imbalanced_data():
    """600 rows, 8 features, 10 % positives (labels 0 and 1)."""
    X, y = make_classification(
        n_samples=600, n_features=8, weights=[0.9, 0.1], class_sep=1.0,
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="module")
def balanced_fit(imbalanced_data, small):
    X, y = imbalanced_data
    return WeightedKerasClassifier(class_weight="balanced",
                                   **{**small, "epochs": 30}).fit(X, y)


def test_fitted_attributes(balanced_fit, imbalanced_data):
    """Check that fit stores the documented attributes with the right shapes."""
    X, y = imbalanced_data
    clf = balanced_fit
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == X.shape[1]
    n_pos = y.sum()
    assert clf.class_weight_[1] == pytest.approx(len(y) / (2 * n_pos))
    np.testing.assert_allclose(clf.bias_init_, [0.0], atol=1e-12)
    assert clf.model_.outputs[0].shape[-1] == 1
    assert 1 <= clf.n_iter_ <= 30
    assert len(clf.history_["loss"]) == clf.n_iter_
    np.testing.assert_allclose(clf.priors_, [1 - y.mean(), y.mean()])


def test_prior_correction_restores_the_true_prior(balanced_fit, imbalanced_data):
    """Check that correction brings a balanced model's mean probability to the prior.

    A balanced-weighted network over-predicts the rare class; dividing its
    probabilities by the weights brings their mean back near the 10 % prior and
    lowers the log loss.
    """
    from sklearn.metrics import log_loss

    X, y = imbalanced_data
    weighted = balanced_fit.predict_weighted_proba(X)
    corrected = balanced_fit.predict_proba(X)
    prior = y.mean()
    assert abs(corrected[:, 1].mean() - prior) < 0.03
    assert abs(corrected[:, 1].mean() - prior) < abs(weighted[:, 1].mean() - prior) / 3
    assert log_loss(y, corrected) < 0.8 * log_loss(y, weighted)


def test_predict_agrees_with_decision_function_and_weighted_argmax(
    balanced_fit, imbalanced_data
):
    """Check that predict = argmax of the weighted probabilities = decision > 0."""
    X, _ = imbalanced_data
    pred = balanced_fit.predict(X)
    decision = balanced_fit.decision_function(X)
    positive = (decision > 0).astype(int)
    np.testing.assert_array_equal(pred, balanced_fit.classes_[positive])
    np.testing.assert_array_equal(
        pred, balanced_fit.classes_[balanced_fit.predict_weighted_proba(X).argmax(1)]
    )
    # The weights move the cut-off: more positives than the corrected argmax gives.
    assert pred.sum() > balanced_fit.predict_proba(X).argmax(1).sum()


def test_unweighted_model_probabilities_equal_weighted(imbalanced_data, small):
    """Check that without class weights no correction is applied."""
    X, y = imbalanced_data
    clf = WeightedKerasClassifier(**small).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_weighted_proba(X))
    np.testing.assert_allclose(clf.bias_init_, [np.log(y.sum() / (len(y) - y.sum()))])


def test_output_bias_is_set_before_training(imbalanced_data):
    """Check that the network starts from bias_init_ (a custom builder too)."""
    X, y = imbalanced_data
    seen = {}

    def builder(meta, units=4):
        seen.update(meta)
        return keras.Sequential([
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])

    clf = WeightedKerasClassifier(
        builder, model_params={"units": 3}, class_weight={0: 1.0, 1: 3.0},
        epochs=1, learning_rate=1e-12, random_state=0,
    ).fit(X, y)
    prior_mass = np.array([len(y) - y.sum(), 3.0 * y.sum()])
    expected = np.log(prior_mass[1] / prior_mass[0])
    np.testing.assert_allclose(clf.bias_init_, [expected])
    np.testing.assert_allclose(seen["output_bias_"], [expected])
    np.testing.assert_allclose(clf.model_.layers[-1].bias.numpy(), [expected],
                               rtol=1e-5)
    assert clf.model_.layers[0].units == 3
    assert seen["n_outputs_"] == 1
    np.testing.assert_array_equal(seen["classes_"], [0, 1])


def test_cost_matrix_gives_the_bayes_rule(balanced_fit, imbalanced_data):
    """Check predict = argmin of predict_proba @ C, and decision_function agrees."""
    X, y = imbalanced_data
    cost = np.array([[0.0, 1.0], [20.0, 0.0]])
    clf = clone(balanced_fit).set_params(cost_matrix=cost).fit(X, y)
    proba = clf.predict_proba(X)
    expected = (proba @ cost).argmin(axis=1)
    np.testing.assert_array_equal(clf.predict(X), expected)
    np.testing.assert_array_equal(clf.decision_function(X) > 0, expected == 1)
    # Binary with a zero diagonal: the analytic threshold 1 / (1 + 20).
    np.testing.assert_array_equal(expected, proba[:, 1] > 1 / 21)
    np.testing.assert_array_equal(clf.cost_matrix_, cost)


def test_multiclass_cost_matrix_with_string_labels_and_cost_weights(small):
    """Check a 3-class dict-of-dicts cost matrix and the "cost" weight scheme."""
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4,
                               n_classes=3, weights=[0.6, 0.3, 0.1], random_state=2)
    labels = np.array(["a", "b", "c"])[y]
    cost = {"a": {"b": 1, "c": 1}, "b": {"a": 2, "c": 2}, "c": {"a": 10, "b": 10}}
    clf = WeightedKerasClassifier(class_weight="cost", cost_matrix=cost,
                                  **small).fit(X, labels)
    matrix = np.array([[0, 1, 1], [2, 0, 2], [10, 10, 0]], dtype=float)
    np.testing.assert_array_equal(clf.cost_matrix_, matrix)
    weights = np.array(list(clf.class_weight_.values()))
    np.testing.assert_allclose(weights / weights[0], [1.0, 2.0, 10.0])
    expected = clf.classes_[(clf.predict_proba(X) @ matrix).argmin(axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected)
    np.testing.assert_array_equal(clf.classes_[clf.decision_function(X).argmax(1)],
                                  expected)


def test_string_labels_and_dict_weights(small):
    """Check string labels with class weights keyed by the original labels."""
    X, y = make_classification(n_samples=300, n_features=5, weights=[0.8, 0.2],
                               random_state=1)
    labels = np.array(["neg", "pos"])[y]
    clf = WeightedKerasClassifier(class_weight={"pos": 4.0}, **small)
    clf.fit(X, labels)
    assert clf.class_weight_ == {"neg": 1.0, "pos": 4.0}
    assert set(clf.predict(X)) <= {"neg", "pos"}
    assert clf.predict(X).dtype == labels.dtype


def test_multiclass_softmax(small):
    """Check a three-class problem: softmax output, log-prior bias, consistent rule."""
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, n_classes=3,
        weights=[0.7, 0.2, 0.1], random_state=0,
    )
    clf = WeightedKerasClassifier(class_weight="balanced", **small)
    clf.fit(X, y)
    assert clf.model_.outputs[0].shape[-1] == 3
    np.testing.assert_allclose(clf.bias_init_, np.log([1 / 3] * 3), atol=1e-12)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.decision_function(X).argmax(1))


def test_pandas_input_sets_feature_names(imbalanced_data, small):
    """Check that a DataFrame gives feature_names_in_ and predicts from a frame."""
    pd = pytest.importorskip("pandas")
    X, y = imbalanced_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = WeightedKerasClassifier(**small).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    assert clf.predict(frame.iloc[:5]).shape == (5,)


def test_caller_data_is_not_modified(imbalanced_data, small):
    """Check that X, y and sample_weight are left exactly as passed."""
    X, y = imbalanced_data
    X, y = X.copy(), y.copy()
    sample_weight = np.linspace(0.5, 1.5, len(y))
    before = X.copy(), y.copy(), sample_weight.copy()
    WeightedKerasClassifier(class_weight="balanced", **small).fit(
        X, y, sample_weight=sample_weight
    )
    for after, original in zip((X, y, sample_weight), before, strict=True):
        np.testing.assert_array_equal(after, original)


def test_same_seed_same_probabilities_and_no_global_state_change(imbalanced_data,
                                                                  small):
    """Check repeatability and that a seeded fit leaves global generators alone."""
    X, y = imbalanced_data
    params = dict(dropout=0.2, class_weight="balanced", early_stopping=True, **small)
    random.seed(123)
    np.random.seed(123)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    first = WeightedKerasClassifier(**{**params, "random_state": 7}).fit(X, y)
    assert random.getstate() == python_state
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state[1])
    second = WeightedKerasClassifier(**{**params, "random_state": 7}).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    # Unseeded fits after a seeded one are still random.
    third = WeightedKerasClassifier(**{**params, "random_state": None}).fit(X, y)
    fourth = WeightedKerasClassifier(**{**params, "random_state": None}).fit(X, y)
    assert not np.array_equal(third.predict_proba(X), fourth.predict_proba(X))


def test_early_stopping_uses_stratified_split_and_restores_best(imbalanced_data):
    """Check early stopping: a validation score is logged and the best epoch kept."""
    X, y = imbalanced_data
    clf = WeightedKerasClassifier(
        class_weight="balanced", early_stopping=True, n_iter_no_change=3,
        epochs=60, hidden_layer_sizes=(16,), learning_rate=0.05, random_state=0,
    ).fit(X, y)
    scores = clf.history_["val_log_loss"]
    assert len(scores) == clf.n_iter_
    assert clf.best_epoch_ == int(np.argmin(scores)) + 1
    assert clf.n_iter_ - clf.best_epoch_ <= 3


def test_early_stopping_needs_two_rows_per_class():
    """Check the error when a class is too small for a stratified split."""
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.array([0] * 19 + [1])
    with pytest.raises(ValueError, match="at least 2 rows of every class"):
        WeightedKerasClassifier(early_stopping=True, epochs=2).fit(X, y)


def _nan_loss(y_true, y_pred):
    """A loss that is NaN from the first step (log of a negative number)."""
    return keras.ops.mean(keras.ops.log(y_pred - 2.0), axis=-1)


def test_nan_loss_raises_instead_of_returning_a_broken_model(imbalanced_data):
    """Check that a loss that stops being finite ends fit with an error and a fix."""
    X, y = imbalanced_data
    clf = WeightedKerasClassifier(loss=_nan_loss, epochs=5, hidden_layer_sizes=(8,),
                                  random_state=0)
    with pytest.raises(FloatingPointError, match="at epoch 1.*Lower learning_rate"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "make_copy",
    [
        lambda est: pickle.loads(pickle.dumps(est)),
        copy.deepcopy,
    ],
    ids=["pickle", "deepcopy"],
)
def test_round_trip_predicts_identically(balanced_fit, imbalanced_data, make_copy):
    """Check that pickle and deepcopy keep predictions bit for bit."""
    X, _ = imbalanced_data
    restored = make_copy(balanced_fit)
    np.testing.assert_array_equal(restored.predict_proba(X),
                                  balanced_fit.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), balanced_fit.predict(X))


@pytest.mark.slow
def test_pickle_predicts_identically_in_another_process(balanced_fit, imbalanced_data,
                                                        tmp_path):
    """Check that an estimator unpickled in a new process predicts the same."""
    import joblib

    X, _ = imbalanced_data
    joblib.dump(balanced_fit, tmp_path / "clf.joblib")
    np.save(tmp_path / "X.npy", X)
    code = (
        "import joblib, numpy as np, sys;"
        f"clf = joblib.load({str(tmp_path / 'clf.joblib')!r});"
        f"np.save({str(tmp_path / 'p.npy')!r}, "
        f"clf.predict_proba(np.load({str(tmp_path / 'X.npy')!r})))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"),
                                  balanced_fit.predict_proba(X))


def test_clone_keeps_parameters_and_drops_fitted_state(balanced_fit):
    """Check that clone gives an unfitted estimator with equal parameters."""
    cloned = clone(balanced_fit)
    assert cloned.get_params() == balanced_fit.get_params()
    assert not hasattr(cloned, "model_")


def test_model_instance_is_cloned_not_trained(imbalanced_data):
    """Check that a keras.Model passed as model is copied, never trained in place."""
    X, y = imbalanced_data
    template = keras.Sequential([keras.Input((X.shape[1],)),
                                 keras.layers.Dense(1, activation="sigmoid")])
    before = [w.copy() for w in template.get_weights()]
    clf = WeightedKerasClassifier(template, epochs=2, random_state=0).fit(X, y)
    assert clf.model_ is not template
    for w, w0 in zip(template.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, w0)


def test_no_retracing_warnings_across_many_fits(imbalanced_data, caplog):
    """Check that fitting and predicting many estimators logs no retracing warning."""
    X, y = imbalanced_data
    with caplog.at_level(logging.WARNING):
        for seed in range(6):
            clf = WeightedKerasClassifier(epochs=2, hidden_layer_sizes=(4,),
                                          random_state=seed).fit(X[:200], y[:200])
            for n_rows in (1, 7, 50):
                clf.predict_proba(X[:n_rows])
    assert "retracing" not in caplog.text


def _builder_with_outputs(units):
    def builder(meta):
        return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                                 keras.layers.Dense(units, activation="softmax")])
    return builder


@pytest.mark.parametrize(
    "params, X_change, y_change, err_type, err_msg",
    [
        ({}, "nan", None, ValueError, "Input X contains NaN"),
        ({}, "inf", None, ValueError, "Input X contains infinity"),
        ({}, None, "single", ValueError, r"y has 1 class \(0\)"),
        ({}, None, "onehot", ValueError, r"one-hot encoded.*y.argmax\(axis=1\)"),
        ({}, None, "multilabel", ValueError, "multilabel classification is not"),
        ({}, None, "continuous", ValueError, "Unknown label type"),
        ({"class_weight": {5: 2.0}}, None, None, ValueError,
         r"keys \[5\] that are not labels of y"),
        ({"class_weight": "fancy"}, None, None, ValueError,
         "The 'class_weight' parameter"),
        ({"class_weight": {1: -2.0}}, None, None, ValueError, "finite number > 0"),
        ({"bias_init": [0.1, 0.2]}, None, None, ValueError, "1 output unit"),
        ({"model": _builder_with_outputs(3)}, None, None, ValueError,
         r"model has 3 output unit\(s\) but y has 2 classes \[0, 1\]"),
        ({"loss": "no_such_loss"}, None, None, ValueError, "is not a Keras loss"),
        ({"optimizer": "no_such_opt"}, None, None, ValueError,
         "is not a Keras optimizer"),
        ({"epochs": 0}, None, None, ValueError, "The 'epochs' parameter"),
        ({"cost_matrix": [[0, 1, 1], [1, 0, 1]]}, None, None, ValueError,
         r"cost_matrix has shape \(2, 3\) but y has 2 classes \[0, 1\]"),
        ({"model": 3}, None, None, ValueError, "The 'model' parameter"),
    ],
)
def test_bad_input(imbalanced_data, params, X_change, y_change, err_type, err_msg):
    """Check that bad input gets a clear error naming the problem and the fix."""
    X, y = imbalanced_data
    X, y = X[:60].copy(), y[:60].copy()
    y[:6] = 1
    if X_change == "nan":
        X[0, 0] = np.nan
    elif X_change == "inf":
        X[0, 0] = np.inf
    if y_change == "single":
        y = np.zeros_like(y)
    elif y_change == "onehot":
        y = np.eye(2, dtype=int)[y]
    elif y_change == "multilabel":
        y = np.column_stack([y, 1 - y, np.ones_like(y)])
    elif y_change == "continuous":
        y = np.linspace(0, 1, len(y))
    with pytest.raises(err_type, match=err_msg):
        WeightedKerasClassifier(**{"epochs": 1, **params}).fit(X, y)


def test_predict_with_wrong_feature_count(balanced_fit, imbalanced_data):
    """Check that predict names the feature counts when they differ from fit."""
    X, _ = imbalanced_data
    with pytest.raises(ValueError,
                       match="X has 7 features, but WeightedKerasClassifier"):
        balanced_fit.predict(X[:, :7])


def test_partial_fit_keeps_running_counts(imbalanced_data):
    """Check partial_fit: classes required, running-count weights, one pass each."""
    from skweight import compute_class_weights

    X, y = imbalanced_data
    clf = WeightedKerasClassifier(class_weight="balanced", hidden_layer_sizes=(8,),
                                  learning_rate=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X[:100], y[:100])
    batches = np.array_split(np.arange(len(y)), 3)
    clf.partial_fit(X[batches[0]], y[batches[0]], classes=[0, 1])
    first_bias = clf.bias_init_.copy()
    for batch in batches[1:]:
        clf.partial_fit(X[batch], y[batch])
    assert clf.n_iter_ == 3
    assert len(clf.history_["loss"]) == 3
    expected = compute_class_weights("balanced", y)
    assert clf.class_weight_ == pytest.approx(expected)
    np.testing.assert_array_equal(clf.bias_init_, first_bias)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes"):
        clf.partial_fit(X[:5], np.array([0, 1, 7, 0, 0]))
    with pytest.raises(ValueError, match="X has 7 features"):
        clf.partial_fit(X[:5, :7], y[:5])


def test_partial_fit_continues_after_fit(imbalanced_data, small):
    """Check that partial_fit after fit trains the same network further."""
    X, y = imbalanced_data
    clf = WeightedKerasClassifier(**small).fit(X, y)
    model = clf.model_
    n_iter = clf.n_iter_
    clf.partial_fit(X, y)
    assert clf.model_ is model
    assert clf.n_iter_ == n_iter + 1
