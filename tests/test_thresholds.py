"""The solvers of the tuned decision, against brute force on random inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skweight import CostSensitiveClassifier
from skweight._costs import bayes_predict_indices
from skweight._thresholds import (
    best_cut,
    binary_threshold,
    shifted_proba,
    tune_offsets,
    tune_row_offsets,
)


@st.composite
def scores_and_costs(draw):
    n = draw(st.integers(1, 30))
    scores = draw(arrays(float, n, elements=st.sampled_from(np.linspace(0, 1, 11))))
    above = draw(arrays(float, n, elements=st.floats(0, 10)))
    below = draw(arrays(float, n, elements=st.floats(0, 10)))
    return scores, above, below


@settings(max_examples=80, deadline=None, derandomize=True)
@given(scores_and_costs())
def test_best_cut_is_the_brute_force_minimum(data):
    """Check the cut against every cut strictly between low, the scores and high."""
    scores, above, below = data
    cut, total, _, _ = best_cut(
        scores, above, below, low=0.0, high=1.0, reference=0.5
    )
    brute = [
        np.where(scores > c, above, below).sum()
        for c in np.linspace(0.05, 0.95, 10)
    ]
    assert_allclose(total, min(brute), atol=1e-9)
    assert_allclose(np.where(scores > cut, above, below).sum(), total, atol=1e-9)


@st.composite
def proba_and_costs(draw, per_row):
    n = draw(st.integers(2, 25))
    k = draw(st.integers(2, 4))
    raw = draw(arrays(float, (n, k), elements=st.floats(0.01, 1.0)))
    shape = (n, k, k) if per_row else (n, k)
    costs = draw(arrays(float, shape, elements=st.floats(0.0, 10.0)))
    return raw / raw.sum(axis=1, keepdims=True), costs


@settings(max_examples=50, deadline=None, derandomize=True)
@given(proba_and_costs(per_row=False))
def test_tune_offsets_never_worse_than_start_and_a_coordinate_minimum(data):
    """Check that coordinate descent never ends above its start, reports the cost of
    its offsets, and that no single offset on a grid improves on the result."""
    proba, row_costs = data
    log_proba = np.log(proba)
    rows = np.arange(len(proba))
    start = np.zeros(proba.shape[1])
    offsets, costs, _ = tune_offsets(log_proba, row_costs, start)
    final = row_costs[rows, np.argmax(log_proba + offsets, axis=1)].sum()
    assert_allclose(costs[-1], final, atol=1e-9)
    assert final <= costs[0] + 1e-9
    for k in range(proba.shape[1]):
        for step in np.linspace(-6, 6, 49):
            trial = offsets.copy()
            trial[k] += step
            cost = row_costs[rows, np.argmax(log_proba + trial, axis=1)].sum()
            assert cost >= final - 1e-9


@settings(max_examples=40, deadline=None, derandomize=True)
@given(proba_and_costs(per_row=True))
def test_tune_row_offsets_never_worse_than_the_plain_per_row_rule(data):
    """Check the per-row correction: reported costs are those of the rules, and the
    tuned one never costs more than the plain per-row rule."""
    proba, costs = data
    n, k = proba.shape
    y = np.arange(n) % k
    paid = costs[np.arange(n), y]
    offsets, plain, best = tune_row_offsets(proba, costs, paid)
    rows = np.arange(n)
    assert_allclose(plain, paid[rows, bayes_predict_indices(proba, costs)].sum())
    tuned_idx = bayes_predict_indices(shifted_proba(proba, offsets), costs)
    assert_allclose(best, paid[rows, tuned_idx].sum())
    assert best <= plain + 1e-9


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    arrays(float, (2, 2), elements=st.floats(0, 10)),
    st.floats(0.0, 1.0),
)
def test_binary_threshold_agrees_with_the_expected_costs(cost, p1):
    """Check the analytic threshold against comparing the two expected costs."""
    threshold = binary_threshold(cost)
    proba = np.array([[1 - p1, p1]])
    expected = proba @ cost
    if threshold is None:
        return
    if abs(p1 - threshold) > 1e-9:
        assert (p1 > threshold) == (expected[0, 1] < expected[0, 0])


def test_best_cut_rejects_totals_that_overflow():
    """Check that costs whose total overflows float64 raise a clear error (it was
    'attempt to get argmin of an empty sequence')."""
    with pytest.raises(FloatingPointError, match=r"total cost .* is not finite.*"
                       r"divide the costs or the sample weights"):
        best_cut(np.array([0.2, 0.8]), cost_above=np.array([1e308, 1e308]),
                 cost_below=np.array([1e308, 0.0]), low=0.0, high=1.0,
                 reference=0.5)


def test_tuned_decision_with_overflowing_weights_is_a_clear_error():
    """Check the tuned decision when sample weights times costs overflow: a clear
    error for two and three classes, not an empty argmin."""
    X, y = make_classification(200, random_state=0)
    weights = np.full(len(y), 1e305)
    for labels, costs in ((y, [[0, 1e5], [5e5, 0]]),
                          (np.arange(200) % 3, 1e5 * (1 - np.eye(3)))):
        tuned = CostSensitiveClassifier(LogisticRegression(), cost_matrix=costs,
                                        strategy="tuned")
        with pytest.raises(FloatingPointError, match="is not finite"):
            tuned.fit(X, labels, sample_weight=weights)
