"""skweight: class weights, output-bias initialisation and cost-based decisions
for Keras classifiers, behind a scikit-learn estimator."""

import importlib

__version__ = "0.1.0.dev0"

# Public names and the modules defining them, imported on first use: the
# ``skweight`` command checks its arguments before Keras (and TensorFlow, with
# its start-up log lines) is imported.
_MODULES = {
    "CostScorer": "._scorers",
    "CostSensitiveClassifier": "._cost_sensitive",
    "EffectiveNumber": "._weights",
    "RowSampler": "._resample",
    "UnreasonableCostWarning": "._cost_matrix",
    "WeightedKerasClassifier": "._classifier",
    "binary_cost_matrix": "._cost_matrix",
    "check_cost_matrix": "._cost_matrix",
    "compare_strategies": "._compare",
    "compute_class_weights": "._weights",
    "default_strategies": "._strategies",
    "expected_calibration_error": "._calibration_error",
    "make_cost_scorer": "._scorers",
    "load": "._saving",
    "make_savings_scorer": "._scorers",
    "mean_cost": "._costs",
    "normalized_cost": "._costs",
    "row_cost_weights": "._weights",
    "save": "._saving",
    "savings_score": "._costs",
}

__all__ = sorted(["__version__", *_MODULES])


def _import_keras():
    try:
        import keras  # noqa: F401  (fails here when no backend framework is installed)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"skweight needs Keras 3 with a backend, and importing keras failed "
            f"({exc}). Install one, e.g. pip install 'skweight[tensorflow-cpu]' (or "
            "[jax], [torch]) and set KERAS_BACKEND accordingly."
        ) from exc


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module 'skweight' has no attribute {name!r}")
    if name == "WeightedKerasClassifier":
        _import_keras()
    value = getattr(importlib.import_module(_MODULES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_MODULES})
