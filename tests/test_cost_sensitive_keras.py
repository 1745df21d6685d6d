"""CostSensitiveClassifier around a real WeightedKerasClassifier (small, fast fits)."""

import numpy as np
import pytest

from skweight import CostSensitiveClassifier, WeightedKerasClassifier


def _inverse_prior_costs(y):
    """C[i, j] = n_max / n_i off the diagonal, in the order of the sorted labels."""
    counts = np.unique(y, return_counts=True)[1]
    cost = np.repeat((counts.max() / counts)[:, None], len(counts), axis=1)
    np.fill_diagonal(cost, 0.0)
    return cost


@pytest.mark.parametrize("data_name", ["binary_data", "multiclass_data"])
def test_bayes_is_argmin_of_the_keras_expected_costs(request, data_name, small):
    """Check that strategy="bayes" predicts argmin(predict_proba @ C) of the network.

    The inner network is trained with balanced class weights, so the rule must use
    its prior-corrected ``predict_proba``, not the weighted probabilities; and it
    must be the rule the Keras estimator applies itself with ``cost_matrix``.
    """
    X, y = request.getfixturevalue(data_name)
    cost = (np.array([[0.0, 1.0], [8.0, 0.0]]) if data_name == "binary_data"
            else _inverse_prior_costs(y))
    net = WeightedKerasClassifier(class_weight="balanced", **small)
    clf = CostSensitiveClassifier(net, cost_matrix=cost, strategy="bayes").fit(X, y)

    proba = clf.estimator_.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    expected = clf.classes_[np.argmin(proba @ cost, axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))

    own = WeightedKerasClassifier(class_weight="balanced", cost_matrix=cost, **small)
    np.testing.assert_array_equal(own.fit(X, y).predict(X), expected)


def test_tuned_binary_stores_the_threshold(binary_data, small):
    """Check that strategy="tuned" with cv=2 picks and applies a threshold.

    ``threshold_`` lies in (0, 1), ``offsets_`` stays None, the CV cost curve has
    one cost per candidate threshold with ``best_cost_`` its minimum, and
    ``predict`` is ``p(classes_[1]|x) > threshold_``.
    """
    X, y = binary_data
    clf = CostSensitiveClassifier(
        WeightedKerasClassifier(**small), cost_matrix=[[0, 1], [5, 0]],
        strategy="tuned", cv=2, random_state=0,
    ).fit(X, y)

    assert isinstance(clf.threshold_, float)
    assert 0.0 < clf.threshold_ < 1.0
    assert clf.offsets_ is None
    curve = clf.cv_results_
    assert curve["thresholds"].shape == curve["costs"].shape
    assert clf.best_cost_ == pytest.approx(curve["costs"].min())
    proba = clf.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(clf.predict(X), (proba > clf.threshold_).astype(int))
    assert np.all((clf.decision_function(X) > 0) == (clf.predict(X) == 1))


def test_tuned_multiclass_stores_offsets(multiclass_data, small):
    """Check that strategy="tuned" with cv=2 on 3 classes stores per-class offsets.

    ``offsets_`` has one finite value per class and ``threshold_`` is None; the
    prediction is ``argmax(log p(.|x) + offsets_)`` over the string labels; and the
    tuned out-of-fold cost is no worse than that of the starting decision.
    """
    X, y = multiclass_data
    clf = CostSensitiveClassifier(
        WeightedKerasClassifier(**small), cost_matrix=_inverse_prior_costs(y),
        strategy="tuned", cv=2, random_state=0,
    ).fit(X, y)

    assert clf.threshold_ is None
    assert clf.offsets_.shape == (3,)
    assert np.all(np.isfinite(clf.offsets_))
    np.testing.assert_array_equal(clf.classes_, ["ant", "bee", "cat"])
    with np.errstate(divide="ignore"):
        scores = np.log(clf.predict_proba(X)) + clf.offsets_
    np.testing.assert_array_equal(clf.predict(X),
                                  clf.classes_[np.argmax(scores, axis=1)])
    costs = clf.cv_results_["costs"]
    assert clf.best_cost_ == pytest.approx(costs[-1])
    assert costs[-1] <= costs[0]


@pytest.mark.parametrize("data_name", ["binary_data", "multiclass_data"])
def test_per_row_costs_around_a_keras_network(request, data_name, small):
    """Check the per-row rule on the network's probabilities against a loop over
    labels, and the tuned per-row correction on out-of-fold probabilities."""
    X, y = request.getfixturevalue(data_name)
    n_classes = len(np.unique(y))
    rng = np.random.default_rng(0)
    costs = rng.uniform(0, 5, (len(y), n_classes, n_classes))
    clf = CostSensitiveClassifier(WeightedKerasClassifier(**small)).fit(X, y)
    proba = clf.predict_proba(X)
    expected = clf.classes_[np.argmin(np.einsum("ni,nij->nj", proba, costs), axis=1)]
    np.testing.assert_array_equal(clf.predict(X, cost_matrix=costs), expected)
    tuned = CostSensitiveClassifier(
        WeightedKerasClassifier(**small), strategy="tuned", cv=2, random_state=0
    ).fit(X, y, cost_matrix=costs)
    assert tuned.best_cost_ <= tuned.cv_results_["plain_cost"]
    assert tuned.predict(X, cost_matrix=costs).shape == (len(y),)
