"""Deployment priors: the prior-shift formula, EM and BBSE, and adapt_priors."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skweight import WeightedKerasClassifier
from skweight._prior_shift import (
    bbse_priors,
    check_priors,
    em_priors,
    shift_proba,
    soft_confusion,
)


def _gaussian_classes(priors, n, seed, train_priors=None):
    """Rows of 1-D Gaussian classes (means 0, 2, 4, ...; sd 1) drawn with ``priors``,
    and their exact posteriors under ``train_priors`` (default: ``priors``)."""
    rng = np.random.default_rng(seed)
    priors = np.asarray(priors, dtype=float)
    train_priors = priors if train_priors is None else np.asarray(train_priors)
    y = rng.choice(len(priors), size=n, p=priors)
    x = rng.normal(2.0 * y, 1.0)
    likelihood = norm.pdf(x[:, None], loc=2.0 * np.arange(len(priors)), scale=1.0)
    posterior = likelihood * train_priors
    return posterior / posterior.sum(axis=1, keepdims=True), y


# ------------------------------------------------------------------ the maths


@pytest.mark.parametrize(
    "train, shifted",
    [([0.9, 0.1], [0.7, 0.3]), ([0.9, 0.1], [0.98, 0.02]),
     ([0.6, 0.3, 0.1], [0.2, 0.3, 0.5])],
)
def test_em_recovers_known_shifted_priors(train, shifted):
    """Check that EM on exact posteriors recovers the deployment priors within 0.02."""
    proba, _ = _gaussian_classes(shifted, 20_000, seed=0, train_priors=train)
    estimate = em_priors(proba, np.array(train))
    assert estimate.converged and 0 < estimate.n_iter < 1000
    assert_allclose(estimate.priors, shifted, atol=0.02)


@pytest.mark.parametrize(
    "train, shifted", [([0.9, 0.1], [0.7, 0.3]), ([0.6, 0.3, 0.1], [0.2, 0.3, 0.5])]
)
def test_bbse_recovers_known_shifted_priors(train, shifted):
    """Check that BBSE, from held-out rows under the training priors, recovers the
    deployment priors within 0.03 (it varies more than EM: Alexandari et al. 2020)."""
    held_out, y_held_out = _gaussian_classes(train, 20_000, seed=1)
    deployed, _ = _gaussian_classes(shifted, 20_000, seed=2, train_priors=train)
    confusion = soft_confusion(held_out, y_held_out)
    assert_allclose(confusion.sum(axis=0), train, atol=0.01)
    assert_allclose(bbse_priors(deployed, confusion).priors, shifted, atol=0.03)


def test_em_that_does_not_converge_warns_and_keeps_training_priors():
    """Check that EM stopped by max_iter warns and returns the training priors."""
    proba, _ = _gaussian_classes([0.5, 0.5], 2_000, seed=3, train_priors=[0.9, 0.1])
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        estimate = em_priors(proba, np.array([0.9, 0.1]), max_iter=2)
    assert not estimate.converged and estimate.n_iter == 2
    assert_array_equal(estimate.priors, [0.9, 0.1])


def test_shift_proba_is_bayes_rule_with_new_priors():
    """Check the prior-shift formula against posteriors computed from scratch."""
    proba, _ = _gaussian_classes([0.6, 0.3, 0.1], 50, seed=4)
    expected, _ = _gaussian_classes([0.6, 0.3, 0.1], 50, seed=4,
                                    train_priors=[0.2, 0.2, 0.6])
    assert_allclose(shift_proba(proba, np.array([0.6, 0.3, 0.1]),
                                np.array([0.2, 0.2, 0.6])), expected)


@settings(max_examples=60, deadline=None)
@given(
    logits=st.lists(st.lists(st.floats(-20, 20), min_size=3, max_size=3),
                    min_size=1, max_size=20),
    raw_priors=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
)
def test_training_priors_as_deployment_priors_change_nothing(logits, raw_priors):
    """Check that shifting to the training priors leaves the probabilities as they are,
    and that the EM estimate from probabilities whose mean is the prior keeps it."""
    proba = softmax(np.array(logits), axis=1)
    priors = np.array(raw_priors) / np.sum(raw_priors)
    assert_allclose(shift_proba(proba, priors, priors), proba, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "priors, err_msg",
    [
        ([0.5, -0.1, 0.6], "negative or non-finite"),
        ([0.5, np.nan, 0.5], "negative or non-finite"),
        ([0.5, 0.3, 0.1], r"sums to 0.9.*, not 1"),
        ([0.5, 0.5], r"has shape \(2,\)"),
        ({"ant": 0.5, "bee": 0.3, "cow": 0.2}, r"unknown labels: \['cow'\]"),
        ({"ant": 0.5, "bee": 0.5}, r"missing classes: \['cat'\]"),
        ("abc", "must be a dict keyed by the class labels"),
    ],
)
def test_bad_priors(priors, err_msg):
    """Check that bad priors are clear errors (and never renormalised)."""
    with pytest.raises((ValueError, TypeError), match=err_msg):
        check_priors(priors, np.array(["ant", "bee", "cat"]))


def test_priors_by_label_or_in_class_order():
    """Check that a dict is read by label and an array in the order of classes."""
    classes = np.array(["ant", "bee", "cat"])
    assert_array_equal(check_priors({"cat": 0.2, "ant": 0.5, "bee": 0.3}, classes),
                       [0.5, 0.3, 0.2])
    assert_array_equal(check_priors((0.5, 0.3, 0.2), classes), [0.5, 0.3, 0.2])


# -------------------------------------------------------------- the estimator


@pytest.fixture(scope="module")
def shifted_problem():
    """A network calibrated on 10 %-positive rows, and deployment rows at 40 %."""
    rng = np.random.default_rng(0)

    def draw(n, rate):
        y = (rng.uniform(size=n) < rate).astype(int)
        return rng.normal(1.5 * y[:, None], 1.0, (n, 4)), y

    X, y = draw(3000, 0.1)
    X_deploy, y_deploy = draw(3000, 0.4)
    clf = WeightedKerasClassifier(hidden_layer_sizes=(8,), epochs=20,
                                  learning_rate=0.01, class_weight="balanced",
                                  calibration="temperature", random_state=0).fit(X, y)
    return clf, X, y, X_deploy, y_deploy


def test_deployment_priors_equal_to_training_priors_change_nothing(shifted_problem):
    """Check that deployment_priors = priors_ leaves probabilities and labels alone."""
    clf, X, *_ = shifted_problem
    proba, labels = clf.predict_proba(X), clf.predict(X)
    clf.set_params(deployment_priors=dict(zip(clf.classes_.tolist(),
                                              clf.priors_.tolist(), strict=True)))
    try:
        assert_allclose(clf.predict_proba(X), proba, rtol=1e-12)
        assert_array_equal(clf.predict(X), labels)
    finally:
        clf.set_params(deployment_priors=None)


def test_known_deployment_priors_apply_without_refit(shifted_problem):
    """Check that set_params(deployment_priors=...) shifts predict_proba and predict."""
    clf, _, _, X_deploy, _ = shifted_problem
    proba = clf.predict_proba(X_deploy)
    clf.set_params(deployment_priors=[0.6, 0.4])
    try:
        shifted = clf.predict_proba(X_deploy)
        assert_allclose(shifted, shift_proba(proba, clf.priors_, np.array([0.6, 0.4])))
        weights = np.array(list(clf.class_weight_.values()))
        assert_array_equal(clf.predict(X_deploy),
                           clf.classes_[np.argmax(shifted * weights, axis=1)])
        assert (clf.predict(X_deploy) == 1).mean() > 0.0
    finally:
        clf.set_params(deployment_priors=None)


@pytest.mark.parametrize("method", ["em", "bbse"])
def test_adapt_priors_estimates_the_deployment_rate(shifted_problem, method):
    """Check that adapt_priors estimates the shifted positive rate and uses it."""
    clf, X, y, X_deploy, y_deploy = shifted_problem
    fitted = pickle.loads(pickle.dumps(clf))
    before = fitted.predict_proba(X_deploy)
    assert fitted.adapt_priors(X_deploy, method=method) is fitted
    assert fitted.deployment_priors_[1] == pytest.approx(y_deploy.mean(), abs=0.05)
    assert fitted.priors_converged_
    assert (fitted.priors_n_iter_ > 0) == (method == "em")
    assert_allclose(fitted.predict_proba(X_deploy),
                    shift_proba(before, fitted.priors_, fitted.deployment_priors_))
    # A refit forgets priors estimated with the last network.
    fitted.fit(X[:500], y[:500])
    assert not hasattr(fitted, "deployment_priors_")


def _fitted_state(clf):
    return {key: value for key, value in vars(clf).items() if key.endswith("_")}


@pytest.mark.parametrize(
    "call, err_type, err_msg",
    [
        (lambda c, X: c.adapt_priors(X[:0]), ValueError, "0 rows"),
        (lambda c, X: c.adapt_priors(X[:, :3]), ValueError, "features"),
        (lambda c, X: c.adapt_priors(X, method="mle"), ValueError, "method='mle'"),
        (lambda c, X: c.set_params(calibration=None).fit(X, (X[:, 0] > 1).astype(int))
         .adapt_priors(X, method="bbse"), ValueError, "held-out rows"),
    ],
)
def test_adapt_priors_bad_input_leaves_state(binary_data, small, call, err_type,
                                             err_msg):
    """Check that adapt_priors' bad input is a clear error, fitted state untouched."""
    X, y = binary_data
    clf = WeightedKerasClassifier(calibration="temperature", **small).fit(X, y)
    clf.adapt_priors(X)
    state = _fitted_state(clf)
    with pytest.raises(err_type, match=err_msg):
        call(clf, X)
    if clf.calibration is not None:
        assert set(_fitted_state(clf)) == set(state)
        assert_array_equal(clf.deployment_priors_, state["deployment_priors_"])


def test_adapt_priors_before_fit_and_with_known_priors(binary_data, small):
    """Check adapt_priors before fit, and while known priors are set."""
    X, y = binary_data
    with pytest.raises(NotFittedError):
        WeightedKerasClassifier().adapt_priors(X)
    clf = WeightedKerasClassifier(deployment_priors=[0.5, 0.5], **small).fit(X, y)
    with pytest.raises(ValueError, match="set_params\\(deployment_priors=None\\)"):
        clf.adapt_priors(X)
    assert not hasattr(clf, "deployment_priors_")


@pytest.mark.parametrize(
    "priors, err_msg",
    [([0.7, 0.4], "sums to 1.1"), ([1.2, -0.2], "negative"), ({0: 0.5}, "missing"),
     ({0: 0.5, 1: 0.3, 2: 0.2}, "unknown labels"), ([np.nan, 1.0], "non-finite")],
)
def test_bad_deployment_priors(binary_data, priors, err_msg, small):
    """Check that bad deployment_priors fail fit (state kept) and predict clearly."""
    X, y = binary_data
    clf = WeightedKerasClassifier(**small).fit(X, y)
    state = _fitted_state(clf)
    with pytest.raises(ValueError, match=err_msg):
        clf.set_params(deployment_priors=priors).predict(X)
    with pytest.raises(ValueError, match=err_msg):
        clf.fit(X, y)
    assert set(_fitted_state(clf)) == set(state)
    assert clf.model_ is state["model_"]


def test_em_warning_keeps_training_priors_on_the_estimator(binary_data, small):
    """Check that EM's non-convergence on the estimator warns and changes nothing."""
    X, y = binary_data
    clf = WeightedKerasClassifier(calibration="temperature", **small).fit(X, y)
    proba = clf.predict_proba(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            clf.adapt_priors(X, max_iter=1, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        clf.adapt_priors(X, max_iter=1, tol=0.0)
    assert not clf.priors_converged_
    assert_allclose(clf.deployment_priors_, clf.priors_)
    assert_allclose(clf.predict_proba(X), proba)


def test_em_on_uncalibrated_network_warns(binary_data, small):
    """Check that EM on a network fitted without calibration warns that it needs it."""
    X, y = binary_data
    clf = WeightedKerasClassifier(calibration=None, **small).fit(X, y)
    with pytest.warns(UserWarning, match="not calibrated"):
        clf.adapt_priors(X)
    assert clf.deployment_priors_.shape == (2,)
