"""Class-weight schemes against their formulas, computed by hand."""

import numpy as np
import pytest

from skweight import EffectiveNumber, compute_class_weights

# 6 rows of "a", 3 of "b", 1 of "c": n = 10, K = 3.
Y = np.array(["a"] * 6 + ["b"] * 3 + ["c"])
COUNTS = np.array([6.0, 3.0, 1.0])


def _normalised(raw):
    """Scale raw weights to a mean per-row weight of 1 over Y."""
    return raw * COUNTS.sum() / np.dot(raw, COUNTS)


@pytest.mark.parametrize(
    "scheme, expected",
    [
        ("balanced", [10 / (3 * 6), 10 / (3 * 3), 10 / (3 * 1)]),
        ("majority", _normalised(np.array([6 / 6, 6 / 3, 6 / 1]))),
        ("inverse_sqrt", _normalised(np.array([6**-0.5, 3**-0.5, 1.0]))),
        (
            "log_inverse",
            _normalised(np.array([np.log(10 / 6), np.log(10 / 3), np.log(10)])),
        ),
        (
            "effective_number",
            _normalised(
                np.array([0.001 / (1 - 0.999**6), 0.001 / (1 - 0.999**3), 1.0])
            ),
        ),
        (
            EffectiveNumber(beta=0.5),
            _normalised(np.array([0.5 / (1 - 0.5**6), 0.5 / (1 - 0.5**3), 1.0])),
        ),
    ],
)
def test_schemes_match_formulas(scheme, expected):
    """Check that each scheme gives its published formula, scaled to mean weight 1."""
    weights = compute_class_weights(scheme, Y)
    assert list(weights) == ["a", "b", "c"]
    np.testing.assert_allclose(list(weights.values()), expected, rtol=1e-12)
    mean_row_weight = np.dot(list(weights.values()), COUNTS) / COUNTS.sum()
    assert mean_row_weight == pytest.approx(1.0)


def test_balanced_matches_sklearn():
    """Check that "balanced" equals scikit-learn's compute_class_weight."""
    from sklearn.utils.class_weight import compute_class_weight

    expected = compute_class_weight("balanced", classes=np.unique(Y), y=Y)
    np.testing.assert_allclose(
        list(compute_class_weights("balanced", Y).values()), expected
    )


def test_sample_weight_counts_weighted_rows():
    """Check that with sample weights the schemes use the summed weight per class."""
    sample_weight = np.array([1.0] * 6 + [2.0] * 3 + [4.0])  # class sums 6, 6, 4
    weights = compute_class_weights("balanced", Y, sample_weight=sample_weight)
    np.testing.assert_allclose(list(weights.values()), [16 / 18, 16 / 18, 16 / 12])


def test_cost_scheme_uses_row_sums():
    """Check that "cost" weighs each class by the total cost of its errors."""
    cost = np.array([[0, 1, 1], [2, 0, 2], [10, 10, 0]], dtype=float)
    weights = compute_class_weights("cost", Y, cost_matrix=cost)
    np.testing.assert_allclose(
        list(weights.values()), _normalised(np.array([2.0, 4.0, 20.0]))
    )


def test_dict_is_used_as_given_and_missing_classes_weigh_one():
    """Check that a user dict keyed by string labels is not rescaled."""
    weights = compute_class_weights({"c": 7.5, "a": 0.5}, Y)
    assert weights == {"a": 0.5, "b": 1.0, "c": 7.5}


def test_callable_returning_dict_or_array_is_normalised():
    """Check that a callable of y may return a dict or an array in class order."""
    from_dict = compute_class_weights(lambda y: {"a": 1.0, "b": 2.0, "c": 6.0}, Y)
    from_array = compute_class_weights(lambda y: np.array([1.0, 2.0, 6.0]), Y)
    expected = _normalised(np.array([1.0, 2.0, 6.0]))
    np.testing.assert_allclose(list(from_dict.values()), expected)
    np.testing.assert_allclose(list(from_array.values()), expected)


def test_caller_arrays_are_not_modified():
    """Check that neither y nor sample_weight is changed."""
    y = Y.copy()
    sample_weight = np.linspace(1, 2, len(Y))
    sw_before = sample_weight.copy()
    compute_class_weights("balanced", y, sample_weight=sample_weight)
    np.testing.assert_array_equal(y, Y)
    np.testing.assert_array_equal(sample_weight, sw_before)


@pytest.mark.parametrize(
    "class_weight, kwargs, err_type, err_msg",
    [
        ("unknown", {}, ValueError, "class_weight='unknown' is not a known scheme"),
        ({"z": 2.0}, {}, ValueError, r"keys \['z'\] that are not labels of y"),
        ({"a": 0.0}, {}, ValueError, "every class weight must be a finite number > 0"),
        ({"a": -1.0}, {}, ValueError, "non-positive or non-finite weights"),
        ({"a": np.inf}, {}, ValueError, "non-positive or non-finite weights"),
        ("cost", {}, ValueError, "class_weight='cost' needs a cost matrix"),
        (EffectiveNumber(beta=1.0), {}, ValueError,
         r"beta must be a float in \[0, 1\)"),
        (lambda y: [1.0, 2.0], {}, ValueError, r"returned an array of shape \(2,\)"),
        (3.0, {}, TypeError, "class_weight must be None"),
        ("balanced", {"sample_weight": [-1.0] + [1.0] * 9}, ValueError,
         r"sample_weight has negative weights at rows \[0\]"),
        ("balanced", {"sample_weight": [np.nan] + [1.0] * 9}, ValueError,
         "sample_weight.*NaN"),
        ("balanced", {"sample_weight": [1.0] * 3}, ValueError,
         r"sample_weight has shape \(3,\) but y has 10 rows"),
        ("balanced", {"sample_weight": np.zeros(10)}, ValueError,
         "sample_weight is zero on every row"),
        ("cost", {"cost_matrix": 1e308 * (1 - np.eye(3))}, ValueError,
         r"cost_matrix has costs up to 1e\+308, too large"),
    ],
)
def test_bad_class_weight(class_weight, kwargs, err_type, err_msg):
    """Check that bad class weights get an error naming the value and the fix."""
    with pytest.raises(err_type, match=err_msg):
        compute_class_weights(class_weight, Y, **kwargs)
