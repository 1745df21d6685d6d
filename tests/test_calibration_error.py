"""expected_calibration_error: by hand, against brute force, and its properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.calibration import calibration_curve

from skweight import expected_calibration_error


def test_binary_equal_mass_bins_by_hand():
    """Check two equal-mass bins of P(positive) computed on paper.

    The median of the ten scores is (0.2 + 0.6) / 2 = 0.4. The lower five rows
    have a mean score of 0.16 and one positive (0.2): a gap of 0.04, weighing
    5/10; the upper five 0.74 against 3/5: a gap of 0.14. ECE = 0.02 + 0.07.
    """
    y = [0, 0, 0, 0, 1, 0, 0, 1, 1, 1]
    p = [0.1, 0.1, 0.2, 0.2, 0.2, 0.6, 0.7, 0.7, 0.8, 0.9]
    assert_allclose(expected_calibration_error(y, p, n_bins=2), 0.09)
    two_columns = np.column_stack([1 - np.array(p), p])
    assert_allclose(expected_calibration_error(y, two_columns, n_bins=2), 0.09)
    # String labels: the positive class is the second in sorted order.
    labelled = np.array(["neg", "pos"])[y]
    assert_allclose(expected_calibration_error(labelled, p, n_bins=2), 0.09)


def test_multiclass_top_label_by_hand():
    """Check the top-label confidence against its accuracy, on two equal-width
    bins, a confidence of exactly 0.5 falling in the lower one.

    Confidences 0.7 (right), 0.5 (right), 0.6 (right), 0.8 (wrong). Lower bin:
    0.5 against 1, a gap of 0.5 weighing 1/4. Upper bin: mean 0.7 against 2/3,
    a gap of 1/30 weighing 3/4. ECE = 0.125 + 0.025 (one bin would give
    |0.65 - 0.75| = 0.1).
    """
    proba = [[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]
    y = ["ant", "ant", "bee", "ant"]
    assert_allclose(expected_calibration_error(y, proba, labels=["ant", "bee", "cat"],
                                               n_bins=2, strategy="uniform"), 0.15)


def _brute_force(hit, score, n_bins, strategy):
    """The definition, one bin and one row at a time."""
    if strategy == "quantile":
        edges = np.percentile(score, np.linspace(0, 100, n_bins + 1))
    else:
        edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for b in range(n_bins):
        rows = [i for i, s in enumerate(score)
                if (b == 0 or s > edges[b]) and (b == n_bins - 1 or s <= edges[b + 1])]
        if rows:
            gap = sum(hit[i] for i in rows) / len(rows) - sum(score[i]
                                                              for i in rows) / len(rows)
            total += len(rows) / len(score) * abs(gap)
    return total


@st.composite
def rows(draw):
    n_classes = draw(st.integers(2, 4))
    n_rows = draw(st.integers(1, 60))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(n_classes), size=n_rows)
    # Repeated scores, so ties on the quantile edges are exercised.
    if draw(st.booleans()):
        proba = np.round(proba, 1)
        proba /= proba.sum(axis=1, keepdims=True)
    y = rng.integers(0, n_classes, size=n_rows)
    return y, proba


@settings(max_examples=150, deadline=None)
@given(data=rows(), n_bins=st.integers(1, 12),
       strategy=st.sampled_from(["quantile", "uniform"]))
def test_agrees_with_brute_force(data, n_bins, strategy):
    """Check the vectorised ECE against the definition computed bin by bin."""
    y, proba = data
    labels = np.arange(proba.shape[1])
    if proba.shape[1] == 2:
        score, hit = proba[:, 1], y == 1
    else:
        score, hit = proba.max(axis=1), proba.argmax(axis=1) == y
    ece = expected_calibration_error(y, proba, labels=labels, n_bins=n_bins,
                                     strategy=strategy)
    assert_allclose(ece, _brute_force(hit, score, n_bins, strategy), atol=1e-12)
    assert 0 <= ece <= 1


def test_agrees_with_calibration_curve_when_bins_are_full():
    """Check, on 100 distinct scores (ten rows per decile), that the ECE is the
    mean gap of scikit-learn's calibration_curve with the same bins."""
    rng = np.random.default_rng(0)
    p = rng.permutation(np.linspace(0.01, 0.99, 100))
    y = (rng.random(100) < p ** 2).astype(int)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
    assert len(prob_true) == 10
    assert_allclose(expected_calibration_error(y, p),
                    np.mean(np.abs(prob_true - prob_pred)))


def _sharpen(proba, power):
    """Over-confident probabilities: softmax(power * log p), power > 1."""
    sharp = proba ** power
    return sharp / sharp.sum(axis=1, keepdims=True)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_classes=st.integers(2, 4),
       power=st.floats(2.0, 4.0))
def test_calibrated_draws_score_near_zero_and_overconfident_higher(seed, n_classes,
                                                                   power):
    """Check that labels drawn from the probabilities themselves give an ECE
    near 0 (sampling noise only: ten bins of 2,000 rows, a gap of about 0.01
    each), and the same probabilities made over-confident a larger one."""
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(n_classes), size=20_000)
    y = (rng.random(len(proba))[:, None] > np.cumsum(proba, axis=1)).sum(axis=1)
    calibrated = expected_calibration_error(y, proba, labels=range(n_classes))
    overconfident = expected_calibration_error(y, _sharpen(proba, power),
                                               labels=range(n_classes))
    assert calibrated < 0.02
    assert overconfident > calibrated + 0.04


def test_constant_base_rate_and_row_order():
    """Check that predicting the base rate everywhere is calibrated (one bin,
    ECE 0), and that the order of the rows does not matter."""
    y = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(y, np.full(10, 0.2)) == pytest.approx(0.0)
    p = np.linspace(0.05, 0.95, 10)
    order = np.random.default_rng(0).permutation(10)
    assert expected_calibration_error(y, p) == pytest.approx(
        expected_calibration_error(y[order], p[order]))


@pytest.mark.parametrize("y, y_prob, params, err_msg", [
    ([0, 1, 2], [0.2, 0.5, 0.9], {}, r"y_prob is 1-D, .* y_true has 3 classes"),
    ([0, 1], [[0.5, 0.5]], {}, "inconsistent numbers of samples"),
    ([0, 1], [[0.2, 0.3, 0.5]] * 2, {}, r"y_prob has shape \(2, 3\) but y_true has "
                                        "2 classes"),
    ([1, 1], [0.2, 0.9], {}, "a single class"),
    ([0, 1], [0.2, 1.5], {}, r"y_prob gives values outside \[0, 1\] .* so the "
                             "calibration error is not defined"),
    ([0, 1], [0.2, np.nan], {}, "y_prob is not finite .*; the calibration error is "
                                "not defined"),
    ([0, 3], [0.2, 0.9], {"labels": [0, 1]}, "y_true"),
    ([0, 1], [0.2, 0.9], {"labels": [0, 0]}, "labels must not repeat"),
    ([0, 1], [0.2, 0.9], {"n_bins": 0}, r"n_bins=0 must be an int >= 1"),
    ([0, 1], [0.2, 0.9], {"strategy": "width"}, r"strategy='width' is not valid"),
])
def test_bad_input(y, y_prob, params, err_msg):
    """Check that bad input gets an error naming the parameter and the fix."""
    with pytest.raises((ValueError, FloatingPointError), match=err_msg):
        expected_calibration_error(y, y_prob, **params)
