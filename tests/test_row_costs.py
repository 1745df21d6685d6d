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
    ],
)
def test_row_cost_weights_errors(params, err_type, err_msg):
    """Check the errors of row_cost_weights."""
    with pytest.raises(err_type, match=err_msg):
        row_cost_weights(**params)

