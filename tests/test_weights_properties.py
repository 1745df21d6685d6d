"""Properties of the class-weight and prior math, on random inputs (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skweight import EffectiveNumber, compute_class_weights
from skweight._priors import correct_proba, weighted_priors

SCHEMES = ["balanced", "majority", "inverse_sqrt", "log_inverse",
           "effective_number", "cost", EffectiveNumber(beta=0.9)]


@st.composite
def labelled_rows(draw, max_classes=4):
    """Labels with every class present, and positive row weights."""
    n_classes = draw(st.integers(2, max_classes))
    extra = draw(st.lists(st.integers(0, n_classes - 1), min_size=0, max_size=40))
    y = np.array(list(range(n_classes)) + extra)
    weights = draw(arrays(np.float64, len(y),
                          elements=st.floats(0.01, 100.0, allow_nan=False)))
    return y, weights


@settings(max_examples=80, deadline=None)
@given(data=labelled_rows(), scheme=st.sampled_from(SCHEMES),
       scale=st.floats(1e-6, 1e6))
def test_class_weights_are_invariant_to_scaling_sample_weight(data, scheme, scale):
    """Check that c * sample_weight gives the class weights sample_weight gives."""
    y, sample_weight = data
    n_classes = len(np.unique(y))
    cost = (1.0 - np.eye(n_classes)) * (1.0 + np.arange(n_classes))[:, None]
    kwargs = {"cost_matrix": cost} if scheme == "cost" else {}
    reference = compute_class_weights(scheme, y, sample_weight=sample_weight,
                                      **kwargs)
    scaled = compute_class_weights(scheme, y, sample_weight=scale * sample_weight,
                                   **kwargs)
    assert reference.keys() == scaled.keys()
    np.testing.assert_allclose(list(scaled.values()), list(reference.values()),
                               rtol=1e-9)


@st.composite
def probabilities_and_weights(draw):
    n_classes = draw(st.integers(2, 5))
    n_rows = draw(st.integers(1, 20))
    raw = draw(arrays(np.float64, (n_rows, n_classes),
                      elements=st.floats(1e-3, 1.0, allow_nan=False)))
    weights = draw(arrays(np.float64, n_classes,
                          elements=st.floats(1e-3, 1e3, allow_nan=False)))
    return raw / raw.sum(axis=1, keepdims=True), weights


@settings(max_examples=80, deadline=None)
@given(data=probabilities_and_weights())
def test_prior_correction_inverts_weighting(data):
    """Check that correcting p_w ∝ w_c p(c|x) by the weights gives back p(c|x)."""
    proba, weights = data
    weighted = proba * weights
    weighted /= weighted.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(correct_proba(weighted, weights), proba, rtol=1e-9,
                               atol=1e-12)
    # and the correction of equal weights changes nothing
    np.testing.assert_allclose(correct_proba(proba, np.full_like(weights, 3.0)),
                               proba, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(data=labelled_rows())
def test_balanced_weights_give_equal_weighted_priors(data):
    """Check that "balanced" weights make every weighted prior 1 / K."""
    y, sample_weight = data
    weights = compute_class_weights("balanced", y, sample_weight=sample_weight)
    counts = np.bincount(y, weights=sample_weight)
    priors = weighted_priors(counts, np.array(list(weights.values())))
    np.testing.assert_allclose(priors, np.full(len(counts), 1 / len(counts)),
                               rtol=1e-9)
