"""The fitted state predict reads, as one object swapped in at the end of a fit.

A fit sets many attributes one after the other (``classes_``, the class
weights, the input spec, ``model_``). A thread predicting while another refits
the same estimator would read some of them old and some new: labels of the new
``classes_`` computed with the old network. So everything predict needs is
gathered in one :class:`FittedState`, built aside once the network is trained and
checked, and stored in one attribute assignment; predict reads that attribute
once, at its start, and uses nothing else. It sees the old fit or the new one,
never a mix.

A network trained in place (``partial_fit``, ``warm_start``) is the same object
before and after: a prediction during such a fit runs the network as it trains.
"""

import numpy as np


class FittedState:
    """What predict needs of one fit.

    Parameters
    ----------
    models : list of keras.Model
        The trained networks, one per member of the ensemble (one without).
    forwards : list of callable
        Their inference functions (:func:`skweight._forward.make_forward`).
    input_spec : InputSpec
        The input form the network was fitted on.
    classes : ndarray of shape (n_classes,)
    output_factors : ndarray of shape (n_classes,)
        The factors prior correction divides out.
    cost_matrix : ndarray of shape (n_classes, n_classes) or None
    features : dict
        ``n_features_in_`` and ``feature_names_in_``, where set.

    Attributes
    ----------
    model, forward
        The first network and its inference function (the only ones without an
        ensemble).
    """

    __slots__ = ("calibrator", "classes", "cost_matrix", "cost_source", "features",
                 "forward",
                 "forwards", "input_spec", "model", "models", "output_factors",
                 "priors", "uniform_factors")

    def __init__(self, models, forwards, input_spec, classes, output_factors,
                 cost_matrix, features, calibrator=None, priors=None,
                 cost_source=None):
        self.models = list(models)
        self.forwards = list(forwards)
        self.model = self.models[0]
        self.forward = self.forwards[0]
        self.input_spec = input_spec
        self.classes = classes
        self.output_factors = output_factors
        self.uniform_factors = bool(np.all(output_factors == output_factors[0]))
        self.cost_matrix = cost_matrix
        self.cost_source = cost_source  # the parameter cost_matrix was read from
        self.features = features
        self.calibrator = calibrator  # the calibration map, or None
        self.priors = priors  # the training priors, for deployment priors

    @classmethod
    def of(cls, estimator, forwards):
        """The state of ``estimator``'s public and private fitted attributes.

        ``forwards`` are the inference functions of ``estimator.models_`` (of
        ``model_`` alone for an estimator without ``models_``).
        """
        features = {name: vars(estimator)[name]
                    for name in ("n_features_in_", "feature_names_in_")
                    if name in vars(estimator)}
        return cls(fitted_networks(estimator), forwards, estimator._input_spec,
                   estimator.classes_, estimator._output_factors,
                   estimator.cost_matrix_, features,
                   calibrator=vars(estimator).get("calibrator_"),
                   priors=estimator.priors_, cost_source=estimator.cost_matrix)

    def feature_checker(self, estimator_type):
        """An object of ``estimator_type`` holding only this fit's feature facts.

        scikit-learn's ``validate_data(reset=False)`` reads ``n_features_in_`` and
        ``feature_names_in_`` from the estimator it is given; this one gives it
        those of this fit (and the estimator's name and tags for its messages).
        """
        checker = object.__new__(estimator_type)
        vars(checker).update(self.features)
        return checker


def fitted_networks(estimator):
    """The estimator's trained networks: ``models_``, or ``[model_]`` without it."""
    models = vars(estimator).get("models_")
    return list(models) if models is not None else [estimator.model_]
