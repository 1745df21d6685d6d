"""skweight: class weights, output-bias initialisation and cost-based decisions
for Keras classifiers, behind a scikit-learn estimator."""

try:
    import keras  # noqa: F401  (fails here when no backend framework is installed)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"skweight needs Keras 3 with a backend, and importing keras failed ({exc}). "
        "Install one, e.g. pip install 'skweight[tensorflow-cpu]' (or [jax], "
        "[torch]) and set KERAS_BACKEND accordingly."
    ) from exc

from ._classifier import WeightedKerasClassifier
from ._compare import compare_strategies, default_strategies
from ._cost_sensitive import CostSensitiveClassifier
from ._costs import (
    UnreasonableCostWarning,
    binary_cost_matrix,
    check_cost_matrix,
    mean_cost,
    normalized_cost,
    savings_score,
)
from ._scorers import CostScorer, make_cost_scorer, make_savings_scorer
from ._weights import EffectiveNumber, compute_class_weights, row_cost_weights

__version__ = "0.1.0.dev0"

__all__ = [
    "CostScorer",
    "CostSensitiveClassifier",
    "EffectiveNumber",
    "UnreasonableCostWarning",
    "WeightedKerasClassifier",
    "__version__",
    "binary_cost_matrix",
    "check_cost_matrix",
    "compare_strategies",
    "compute_class_weights",
    "default_strategies",
    "make_cost_scorer",
    "make_savings_scorer",
    "mean_cost",
    "normalized_cost",
    "row_cost_weights",
    "savings_score",
]
