"""Focal and logit-adjusted losses: against values by hand and in the estimator."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification

from skweight import WeightedKerasClassifier
from skweight._losses import LogitAdjustedLoss, SparseFocalLoss

P_BINARY = np.array([[0.9], [0.2], [0.6]], dtype="float32")
Y_BINARY = np.array([[1.0], [0.0], [0.0]], dtype="float32")
P_MULTI = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], dtype="float32")
Y_MULTI = np.array([0, 2])


def _value(loss, y, p):
    return float(keras.ops.convert_to_numpy(loss(y, p)))


def test_focal_with_gamma_zero_is_cross_entropy():
    """Check that gamma = 0 gives the plain cross-entropy, binary and multiclass."""
    binary_ce = -np.mean(np.log([0.9, 0.8, 0.4]))
    multi_ce = -np.mean(np.log([0.7, 0.6]))
    assert _value(SparseFocalLoss(gamma=0.0), Y_BINARY, P_BINARY) == pytest.approx(
        binary_ce, rel=1e-5)
    assert _value(SparseFocalLoss(gamma=0.0), Y_MULTI, P_MULTI) == pytest.approx(
        multi_ce, rel=1e-5)


def test_focal_matches_its_formula():
    """Check -(1 - p_t)^gamma log p_t, with alpha balancing for the binary case."""
    p_t = np.array([0.9, 0.8, 0.4])
    alpha_t = np.array([0.25, 0.75, 0.75])
    expected = np.mean(-alpha_t * (1 - p_t) ** 2 * np.log(p_t))
    loss = SparseFocalLoss(gamma=2.0, alpha=0.25)
    assert _value(loss, Y_BINARY, P_BINARY) == pytest.approx(expected, rel=1e-5)


def test_logit_adjusted_matches_shifted_cross_entropy():
    """Check the softmax cross-entropy of log p + tau log prior, by hand."""
    log_priors = np.log([0.6, 0.3, 0.1])
    shifted = np.log(P_MULTI) + 0.5 * log_priors
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = -np.mean(log_softmax[np.arange(2), Y_MULTI])
    loss = LogitAdjustedLoss(log_priors=log_priors, tau=0.5)
    assert _value(loss, Y_MULTI, P_MULTI) == pytest.approx(expected, rel=1e-5)


def test_logit_adjusted_binary_and_tau_zero():
    """Check the sigmoid form (logit shifted by tau log(π1/π0)) and tau = 0."""
    p = P_BINARY[:, 0].astype(float)
    logit = np.log(p / (1 - p)) + np.log(0.1 / 0.9)
    q = 1 / (1 + np.exp(-logit))
    y = Y_BINARY[:, 0]
    expected = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    loss = LogitAdjustedLoss(log_priors=np.log([0.9, 0.1]), tau=1.0)
    assert _value(loss, Y_BINARY, P_BINARY) == pytest.approx(expected, rel=1e-4)
    plain = -np.mean(np.log([0.9, 0.8, 0.4]))
    assert _value(LogitAdjustedLoss(log_priors=np.log([0.9, 0.1]), tau=0.0),
                  Y_BINARY, P_BINARY) == pytest.approx(plain, rel=1e-4)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=600, n_features=8, weights=[0.9, 0.1],
                               random_state=0)


def test_logit_adjusted_estimator_acts_as_inverse_prior_weights(data, small):
    """Check that the logit-adjusted estimator is corrected like weights 1/π.

    With tau = 1 the raw outputs estimate p(c|x)/π_c, so the output bias starts at
    0 (as with balanced weights) and correction brings the mean probability back
    near the prior.
    """
    X, y = data
    clf = WeightedKerasClassifier(loss="logit_adjusted", loss_params={"tau": 1.0},
                                  **{**small, "epochs": 30,
                                     "hidden_layer_sizes": (16,)}).fit(X, y)
    np.testing.assert_allclose(clf.bias_init_, [0.0], atol=1e-12)
    assert clf.class_weight_ == {0: 1.0, 1: 1.0}
    raw = clf.predict_weighted_proba(X)[:, 1].mean()
    corrected = clf.predict_proba(X)[:, 1].mean()
    assert abs(corrected - y.mean()) < 0.03
    assert raw > corrected + 0.05
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_focal_estimator_trains_and_pickles(data, small):
    """Check that loss="focal" trains (loss decreases) and survives pickling."""
    X, y = data
    clf = WeightedKerasClassifier(loss="focal", loss_params={"gamma": 2.0},
                                  **small).fit(X, y)
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


@pytest.mark.parametrize(
    "loss, loss_params, err_type, err_msg",
    [
        ("focal", {"beta": 1.0}, TypeError, "do not fit loss='focal'"),
        ("binary_crossentropy", {"gamma": 1.0}, ValueError,
         "apply to the built-in losses only"),
    ],
)
def test_bad_loss_params(data, loss, loss_params, err_type, err_msg):
    """Check that loss_params that do not fit the loss are named, not ignored."""
    X, y = data
    with pytest.raises(err_type, match=err_msg):
        WeightedKerasClassifier(loss=loss, loss_params=loss_params, epochs=1).fit(X, y)
