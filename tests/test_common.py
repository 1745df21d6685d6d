"""scikit-learn's estimator checks over every public estimator."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skweight import CostSensitiveClassifier, WeightedKerasClassifier

# The smallest network found to pass check_classifiers_train (accuracy > 0.83)
# for seeds 0-4 in both configurations: (8,) with 10 epochs passed all, with
# 5 epochs or (4,) units none, so 20 epochs leaves a margin.
CHECK_NETWORK = dict(hidden_layer_sizes=(8,), epochs=20, learning_rate=0.01)

# Reasons scikit-learn itself gives for the same failures of its own estimators.
SAMPLE_WEIGHT_REASON = (
    "sample_weight is not equivalent to removing/repeating samples: stochastic "
    "mini-batch training, as for SGDClassifier and MLPClassifier(solver='sgd')."
)
# The reason scikit-learn gives for FixedThresholdClassifier and
# TunedThresholdClassifierCV: the check wants predict == argmax(predict_proba).
THRESHOLD_REASON = "Threshold at probability 0.5 does not hold"


class LastClassCosts:
    """Costs for any set of classes: missing the last class costs 3, other errors 1.

    A callable ``cost_matrix`` lets one estimator instance be fitted on targets with
    any classes, as scikit-learn's estimator checks do.
    """

    def __call__(self, classes):
        costs = 1.0 - np.eye(len(classes))
        costs[-1, :-1] = 3.0
        return costs

    def __repr__(self):
        return "LastClassCosts()"


def _expected_failed_checks(estimator):
    if isinstance(estimator, CostSensitiveClassifier):
        return {"check_classifiers_train": THRESHOLD_REASON}
    return {"check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON}


@parametrize_with_checks(
    [
        WeightedKerasClassifier(**CHECK_NETWORK),
        WeightedKerasClassifier(class_weight="balanced", bias_init="auto",
                                **CHECK_NETWORK),
        WeightedKerasClassifier(n_members=2, class_weight="balanced",
                                **CHECK_NETWORK),
        CostSensitiveClassifier(LogisticRegression(), cost_matrix=LastClassCosts()),
        CostSensitiveClassifier(
            LogisticRegression(), cost_matrix=LastClassCosts(), strategy="tuned", cv=3
        ),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    """Check that the estimator passes scikit-learn's estimator checks."""
    check(estimator)
