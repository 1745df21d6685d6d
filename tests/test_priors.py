"""Priors, output bias and prior correction against their formulas."""

import numpy as np
import pytest

from skweight._priors import (
    bias_from_priors,
    correct_proba,
    resolve_bias_init,
    weighted_priors,
)

COUNTS = np.array([95.0, 5.0])
BALANCED = 100 / (2 * COUNTS)


def test_auto_bias_without_weights_is_log_pos_over_neg():
    """Check that the sigmoid bias is the TF tutorial's log(pos / neg)."""
    bias = resolve_bias_init("auto", COUNTS, np.ones(2), n_outputs=1)
    np.testing.assert_allclose(bias, [np.log(5 / 95)])


def test_auto_bias_with_balanced_weights_is_zero():
    """Check that balanced weights make the weighted priors equal, so the bias 0."""
    bias = resolve_bias_init("auto", COUNTS, BALANCED, n_outputs=1)
    np.testing.assert_allclose(bias, [0.0], atol=1e-12)


def test_prior_bias_ignores_weights():
    """Check that "prior" uses the plain priors even with weights."""
    bias = resolve_bias_init("prior", COUNTS, BALANCED, n_outputs=1)
    np.testing.assert_allclose(bias, [np.log(5 / 95)])


def test_softmax_bias_is_log_weighted_prior():
    """Check b_c = log(w_c n_c / sum_j w_j n_j) for a softmax output."""
    counts = np.array([60.0, 30.0, 10.0])
    weights = np.array([1.0, 2.0, 3.0])
    bias = resolve_bias_init("auto", counts, weights, n_outputs=3)
    np.testing.assert_allclose(bias, np.log(np.array([60.0, 60.0, 30.0]) / 150.0))
    # A softmax over these biases predicts the weighted priors.
    softmax = np.exp(bias) / np.exp(bias).sum()
    np.testing.assert_allclose(softmax, weighted_priors(counts, weights))


def test_zeros_array_and_none():
    """Check the explicit options: zeros, a given array, None for "keep"."""
    np.testing.assert_array_equal(resolve_bias_init("zeros", COUNTS, BALANCED, 1), [0])
    np.testing.assert_array_equal(resolve_bias_init([0.3], COUNTS, BALANCED, 1), [0.3])
    assert resolve_bias_init(None, COUNTS, BALANCED, 1) is None


@pytest.mark.parametrize(
    "bias_init, err_type, err_msg",
    [
        ("median", ValueError, "bias_init='median' is not an option"),
        ([0.1, 0.2], ValueError, r"has shape \(2,\).*1 output unit"),
        ([np.nan], ValueError, "finite floats"),
        (["x"], TypeError, "bias_init must be one of"),
    ],
)
def test_bad_bias_init(bias_init, err_type, err_msg):
    """Check that a bad bias_init names the value, the expected shape and the fix."""
    with pytest.raises(err_type, match=err_msg):
        resolve_bias_init(bias_init, COUNTS, np.ones(2), n_outputs=1)


def test_bias_from_priors_round_trips_through_sigmoid():
    """Check that the sigmoid of the bias equals the positive prior."""
    bias = bias_from_priors(np.array([0.8, 0.2]), 1)
    assert 1 / (1 + np.exp(-bias[0])) == pytest.approx(0.2)


def test_correct_proba_inverts_weighting():
    """Check that p_w ∝ w p is mapped back to p, and the input is not modified."""
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=20)
    weights = np.array([0.5, 2.0, 7.0])
    weighted = proba * weights
    weighted /= weighted.sum(axis=1, keepdims=True)
    before = weighted.copy()
    np.testing.assert_allclose(correct_proba(weighted, weights), proba)
    np.testing.assert_array_equal(weighted, before)


def test_binary_correction_is_a_logit_shift():
    """Check the binary form: corrected logit = weighted logit - log(w1 / w0)."""
    p_w = np.array([0.1, 0.5, 0.9])
    weights = np.array([0.6, 3.0])
    corrected = correct_proba(np.column_stack([1 - p_w, p_w]), weights)[:, 1]
    logit = np.log(p_w / (1 - p_w)) - np.log(weights[1] / weights[0])
    np.testing.assert_allclose(corrected, 1 / (1 + np.exp(-logit)))
