"""skweight: class weights, output-bias initialisation and cost-based decisions
for Keras classifiers, behind a scikit-learn estimator."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
