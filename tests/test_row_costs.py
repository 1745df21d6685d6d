"""Labelled pandas inputs of the weights and priors, and cost-proportionate weights."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skweight import binary_cost_matrix, compute_class_weights, row_cost_weights
from skweight._priors import resolve_bias_init

Y = np.array(["ok"] * 90 + ["fraud"] * 10)


def test_series_class_weight_is_read_by_label():
    """Check that a Series class_weight is keyed by its labels (it was rejected as
    an unknown type)."""
    weights = pd.Series({"ok": 1.0, "fraud": 9.0})
    assert compute_class_weights(weights, Y) == {"fraud": 9.0, "ok": 1.0}
    assert weights.to_dict() == {"ok": 1.0, "fraud": 9.0}


def test_labelled_series_bias_init_is_rejected():
    """Check that a labelled Series bias_init is rejected (it was used by position,
    although the bias is per output unit, not per label)."""
    with pytest.raises(ValueError, match=r"bias_init is a pandas Series indexed by"):
        resolve_bias_init(pd.Series([0.5], index=["fraud"]), np.array([10.0, 90.0]),
                          np.ones(2), 1)
    bias = resolve_bias_init(pd.Series([0.5]), np.array([10.0, 90.0]), np.ones(2), 1)
    assert_array_equal(bias, [0.5])


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        (
            {"class_weight": "cost", "cost_matrix": 1 - np.eye(3)},
            ValueError,
            r"cost_matrix has shape \(3, 3\) but y has 2 classes \['fraud', 'ok'\]",
        ),
        (
            {"class_weight": "cost", "cost_matrix": np.ones((100, 2, 2))},
            ValueError,
            r"got per-row costs of shape \(100, 2, 2\).*row_cost_weights",
        ),
    ],
)
def test_compute_class_weights_cost_matrix_errors(params, err_type, err_msg):
    """Check that a cost matrix of the wrong size gets a clear error (it was a
    numpy 'shapes not aligned' error)."""
    with pytest.raises(err_type, match=err_msg):
        compute_class_weights(y=Y, **params)


def test_labelled_dataframe_in_class_weight_cost():
    """Check that the 'cost' scheme reads a labelled DataFrame by label."""
    frame = pd.DataFrame([[0, 1], [9, 0]], index=["ok", "fraud"],
                         columns=["ok", "fraud"])
    by_label = compute_class_weights("cost", Y, cost_matrix=frame)
    by_position = compute_class_weights("cost", Y, cost_matrix=[[0, 9], [1, 0]])
    assert by_label == pytest.approx(by_position)
    assert by_label["fraud"] > by_label["ok"]


def test_row_cost_weights_by_hand_and_with_sample_weight():
    """Check the binary weights C_r[y, 1 - y] - C_r[y, y], the composition with
    sample_weight, the scaling to mean 1, and that inputs are unchanged."""
    costs = binary_cost_matrix(fp=1.0, fn=[4.0, 4.0, 10.0], tp=[0.0, 1.0, 0.0])
    kept = costs.copy()
    y = np.array([0, 1, 1])
    raw = np.array([1.0, 3.0, 10.0])
    assert_allclose(row_cost_weights(costs, y), raw * 3 / raw.sum())
    sw = np.array([2.0, 1.0, 0.0])
    assert_allclose(row_cost_weights(costs, y, sample_weight=sw),
                    raw * sw * 3 / (raw * sw).sum())
    assert_array_equal(costs, kept)
    assert_array_equal(sw, [2.0, 1.0, 0.0])


def test_row_cost_weights_multiclass_and_labels():
    """Check the multiclass weight (mean regret over wrong labels) with labels."""
    costs = np.zeros((2, 3, 3))
    costs[0, 2] = [4.0, 2.0, 0.0]  # row 0 is class "c": regrets 4 and 2
    costs[1, 0] = [0.0, 1.0, 1.0]  # row 1 is class "a": regrets 1 and 1
    weights = row_cost_weights(costs, ["c", "a"], classes=["a", "b", "c"])
    assert_allclose(weights, np.array([3.0, 1.0]) * 2 / 4)


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        ({"cost_matrix": [[0, 1], [5, 0]], "y": [0, 1]}, ValueError,
         r"needs per-row costs of shape \(2, 2, 2\)"),
        ({"cost_matrix": np.zeros((2, 2, 2)), "y": [0, 1]}, ValueError,
         r"every row a zero cost of misclassification"),
        ({"cost_matrix": np.ones((3, 2, 2)), "y": [0, 1]}, ValueError,
         r"holds 3 per-row cost matrices but X has 2 rows"),
        ({"cost_matrix": -np.ones((2, 2, 2)), "y": [0, 1]}, ValueError,
         r"negative costs in rows \[0, 1\]"),
        ({"cost_matrix": 1 - np.eye(2)[None].repeat(2, 0), "y": [0, 1],
          "sample_weight": [1.0, -1.0]}, ValueError,
         r"sample_weight has negative weights at rows \[1\]"),
        ({"cost_matrix": 1 - np.eye(2)[None].repeat(2, 0), "y": [0, 1],
          "sample_weight": [1.0, np.nan]}, ValueError, "sample_weight.*NaN"),
        ({"cost_matrix": 1 - np.eye(2)[None].repeat(2, 0), "y": [0, 1],
          "sample_weight": [1.0]}, ValueError,
         r"sample_weight has shape \(1,\) but y has 2 rows"),
        ({"cost_matrix": 1e308 * (1 - np.eye(2)[None].repeat(2, 0)), "y": [0, 1]},
         ValueError, r"cost_matrix has costs up to 1e\+308, too large"),
    ],
)
def test_row_cost_weights_errors(params, err_type, err_msg):
    """Check the errors of row_cost_weights."""
    with pytest.raises(err_type, match=err_msg):
        row_cost_weights(**params)



# --- WeightedKerasClassifier with costs per row (tiny networks). ---

FAST = dict(hidden_layer_sizes=(4,), epochs=3, learning_rate=0.01, random_state=0)


@pytest.fixture(scope="module")
def row_cost_data():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=5, weights=[0.8, 0.2],
                               random_state=0)
    amount = np.random.default_rng(0).lognormal(2, 1, size=len(y))
    return X, np.array(["no", "yes"])[y], binary_cost_matrix(fp=2.0, fn=amount)


@pytest.fixture(scope="module")
def fitted_net(row_cost_data):
    from skweight import WeightedKerasClassifier

    X, y, _ = row_cost_data
    return WeightedKerasClassifier(**FAST).fit(X, y)


def test_keras_predict_with_per_row_costs_is_the_brute_force_rule(
    row_cost_data, fitted_net
):
    """Check predict(X, cost_matrix=...) of the network against a loop over labels,
    decision_function's sign, and unchanged behaviour without the costs."""
    X, _, costs = row_cost_data
    kept = costs.copy()
    proba = fitted_net.predict_proba(X)
    expected = [fitted_net.classes_[int(np.argmin([p @ c[:, j] for j in range(2)]))]
                for p, c in zip(proba, costs, strict=True)]
    y_pred = fitted_net.predict(X, cost_matrix=costs)
    assert_array_equal(y_pred, expected)
    scores = fitted_net.decision_function(X, cost_matrix=costs)
    assert_array_equal(scores > 0, y_pred == "yes")
    assert_array_equal(costs, kept)
    assert_array_equal(fitted_net.predict(X),
                       fitted_net.classes_[np.argmax(
                           fitted_net.predict_weighted_proba(X), axis=1)])
    with pytest.raises(ValueError, match=r"holds 2 per-row cost matrices but X"):
        fitted_net.predict(X, cost_matrix=costs[:2])


def test_keras_per_row_costs_reach_the_network_in_a_pipeline(
    row_cost_data, fitted_net
):
    """Check that Pipeline.predict(X, cost_matrix=...) reaches the network."""
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from skweight import WeightedKerasClassifier

    X, y, costs = row_cost_data
    with sklearn.config_context(enable_metadata_routing=True):
        net = WeightedKerasClassifier(**FAST).set_predict_request(cost_matrix=True)
        net.set_fit_request(cost_matrix=False)
        pipe = make_pipeline(FunctionTransformer(), net).fit(X, y)
        assert_array_equal(pipe.predict(X, cost_matrix=costs),
                           fitted_net.predict(X, cost_matrix=costs))


def test_keras_cost_proportionate_training(row_cost_data):
    """Check that fit(X, y, cost_matrix=...) trains on the cost-proportionate row
    weights (composed with sample_weight) and corrects the probabilities with
    their per-class means."""
    from skweight import WeightedKerasClassifier
    from skweight._priors import correct_proba

    X, y, costs = row_cost_data
    sw = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    kept_sw, kept_costs = sw.copy(), costs.copy()
    by_costs = WeightedKerasClassifier(**FAST).fit(X, y, sample_weight=sw,
                                                   cost_matrix=costs)
    weights = row_cost_weights(costs, y, sample_weight=sw)
    by_weights = WeightedKerasClassifier(**FAST).fit(X, y, sample_weight=weights)
    assert_allclose(by_costs.predict_weighted_proba(X),
                    by_weights.predict_weighted_proba(X), rtol=1e-5, atol=1e-6)
    # Class counts are the summed sample weights scaled to total the rows.
    counts = np.array([sw[y == c].sum() for c in ["no", "yes"]]) * len(y) / sw.sum()
    class_means = np.array([weights[y == c].sum() for c in ["no", "yes"]]) / counts
    assert_allclose(list(by_costs.class_weight_.values()), class_means)
    assert_allclose(by_costs.predict_proba(X),
                    correct_proba(by_costs.predict_weighted_proba(X), class_means),
                    rtol=1e-5, atol=1e-6)
    assert_array_equal(sw, kept_sw)
    assert_array_equal(costs, kept_costs)


@pytest.mark.parametrize(
    "params, fit_costs, err_type, err_msg",
    [
        ({"class_weight": "balanced"}, "rows", ValueError,
         r"which replace class_weight, but class_weight='balanced'"),
        ({}, "short", ValueError, r"holds 5 per-row cost matrices but X has 300"),
        ({}, "negative", ValueError, r"negative costs in rows \[0\]"),
    ],
)
def test_keras_fit_per_row_cost_errors(row_cost_data, params, fit_costs, err_type,
                                       err_msg):
    """Check the errors of fit with per-row costs."""
    from skweight import WeightedKerasClassifier

    X, y, costs = row_cost_data
    bad = {"rows": costs, "short": costs[:5],
           "negative": np.concatenate([-costs[:1], costs[1:]])}[fit_costs]
    with pytest.raises(err_type, match=err_msg):
        WeightedKerasClassifier(**{**FAST, **params}).fit(X, y, cost_matrix=bad)


def test_keras_labelled_dataframe_cost_matrix_and_series_inputs(row_cost_data):
    """Check the estimator reads a labelled DataFrame cost matrix by label (it was
    transposed), rejects a labelled Series bias_init, and rejects a Series
    class_weight with scikit-learn's parameter error."""
    from sklearn.utils._param_validation import InvalidParameterError

    from skweight import WeightedKerasClassifier

    X, y, _ = row_cost_data
    frame = pd.DataFrame([[0, 9], [1, 0]], index=["yes", "no"],
                         columns=["yes", "no"])
    net = WeightedKerasClassifier(**FAST, cost_matrix=frame).fit(X, y)
    assert_array_equal(net.cost_matrix_, [[0, 1], [9, 0]])
    with pytest.raises(ValueError, match=r"bias_init is a pandas Series indexed"):
        WeightedKerasClassifier(
            **FAST, bias_init=pd.Series([0.1], index=["yes"])
        ).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"'class_weight' parameter"):
        WeightedKerasClassifier(
            **FAST, class_weight=pd.Series({"no": 1.0, "yes": 4.0})
        ).fit(X, y)


def test_cost_sensitive_classifier_routes_fit_costs_to_a_requesting_network(
    row_cost_data,
):
    """Check that CostSensitiveClassifier routes fit's per-row costs to a network
    that requests them (cost-proportionate training, then the per-row rule)."""
    import sklearn

    from skweight import CostSensitiveClassifier, WeightedKerasClassifier

    X, y, costs = row_cost_data
    direct = WeightedKerasClassifier(**FAST).fit(X, y, cost_matrix=costs)
    with sklearn.config_context(enable_metadata_routing=True):
        net = WeightedKerasClassifier(**FAST).set_fit_request(cost_matrix=True)
        clf = CostSensitiveClassifier(net).fit(X, y, cost_matrix=costs)
    assert_allclose(clf.predict_proba(X), direct.predict_proba(X), rtol=1e-5,
                    atol=1e-6)
    assert_array_equal(clf.predict(X, cost_matrix=costs),
                       direct.predict(X, cost_matrix=costs))
