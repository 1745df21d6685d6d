"""scikit-learn's estimator checks over the public estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skweight import WeightedKerasClassifier

# Reasons scikit-learn itself gives for the same failures of its own estimators.
SAMPLE_WEIGHT_REASON = (
    "sample_weight is not equivalent to removing/repeating samples: stochastic "
    "mini-batch training, as for SGDClassifier and MLPClassifier(solver='sgd')."
)


EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON,
}


@parametrize_with_checks(
    [
        WeightedKerasClassifier(),
        WeightedKerasClassifier(class_weight="balanced", bias_init="auto"),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_estimator(estimator, check):
    """Check that the estimator passes scikit-learn's estimator checks."""
    check(estimator)
