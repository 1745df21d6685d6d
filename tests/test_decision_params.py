"""Decision parameters read at predict: set_params applies without refitting."""

import pickle

import numpy as np
import pytest

from skweight import WeightedKerasClassifier


@pytest.fixture(scope="module")
def fitted(binary_data, small):
    X, y = binary_data
    return WeightedKerasClassifier(**small, class_weight="balanced").fit(X, y)


def test_cost_matrix_set_after_fit_decides(fitted, binary_data):
    """Check that set_params(cost_matrix=...) after fit changes predict at once."""
    X, _ = binary_data
    clf = pickle.loads(pickle.dumps(fitted))  # a fitted copy
    cost = np.array([[0.0, 1.0], [20.0, 0.0]])
    clf.set_params(cost_matrix=cost)
    proba = clf.predict_proba(X)
    expected = (proba @ cost).argmin(axis=1)
    np.testing.assert_array_equal(clf.predict(X), expected)
    np.testing.assert_array_equal(clf.decision_function(X) > 0, expected == 1)
    assert (expected == 1).sum() > (fitted.predict(X) == 1).sum()


def test_cost_matrix_removed_after_fit_gives_the_plain_rule(binary_data, small):
    """Check that set_params(cost_matrix=None) on an estimator fitted with costs
    returns to the rule without costs, as a fit without them predicts."""
    X, y = binary_data
    cost = [[0.0, 1.0], [20.0, 0.0]]
    plain = WeightedKerasClassifier(**small).fit(X, y)
    with_costs = WeightedKerasClassifier(**small, cost_matrix=cost).fit(X, y)
    np.testing.assert_allclose(with_costs.predict_proba(X), plain.predict_proba(X))
    with_costs.set_params(cost_matrix=None)
    np.testing.assert_array_equal(with_costs.predict(X), plain.predict(X))


def test_bad_cost_matrix_set_after_fit_is_named_at_predict(fitted, binary_data):
    """Check that a cost matrix of the wrong shape set after fit is refused at
    predict with the validation's message, not used."""
    X, _ = binary_data
    clf = pickle.loads(pickle.dumps(fitted))
    clf.set_params(cost_matrix=[[0, 1, 2], [1, 0, 2], [1, 1, 0]])
    with pytest.raises(ValueError, match="cost_matrix"):
        clf.predict(X)
