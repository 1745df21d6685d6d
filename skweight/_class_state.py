"""An estimator's class state: counts, weights, priors, costs and ``meta``.

Computed from the labels of a fit (or, for ``partial_fit``, from the running
counts of all its calls), in the order of ``classes_``; see DESIGN §1-§3.
"""

import numpy as np

from ._checks import check_row_weights
from ._cost_matrix import check_cost_matrix
from ._losses import output_factors
from ._priors import weighted_priors
from ._weights import (
    class_counts,
    cost_proportionate_weights,
    reject_negative_weights,
    resolve_class_weight,
)


def n_outputs(classes):
    """Output units of the network: one sigmoid unit for 2 classes, else K."""
    return 1 if len(classes) == 2 else len(classes)


def set_class_state(estimator, y, y_encoded, sample_weight, *, row_costs=None,
                    running=False):
    """Set an estimator's class counts, weights, priors, cost matrix and factors.

    A fit's class counts come from this ``y`` alone; with ``running`` (a
    ``partial_fit``) they add up over calls, a class not seen yet
    counting as one row. Sets ``cost_matrix_``, ``class_weight_``,
    ``priors_`` and ``_output_factors``, the factors the network's output
    carries on top of ``p(c|x)`` (:func:`skweight._losses.output_factors`),
    which prior correction divides out.

    Returns
    -------
    row_weight : ndarray of float64
        ``sample_weight`` times the class weight of each row (a new array),
        or the cost-proportionate row weights of ``row_costs``.
    sample_weight : ndarray of float64
    """
    sample_weight = check_row_weights(sample_weight, len(y_encoded))
    reject_negative_weights(sample_weight)
    counts = class_counts(y_encoded, len(estimator.classes_), sample_weight)
    if running:
        estimator._counts = estimator._counts + counts
        counts = np.where(estimator._counts > 0, estimator._counts, 1.0)
    else:
        if np.any(counts <= 0):
            empty = estimator.classes_[counts <= 0].tolist()
            raise ValueError(
                f"sample_weight sums to 0 for class(es) {empty!r}; every class "
                "of y needs a positive total weight. Drop those rows from y, or "
                "give them positive weights."
            )
        estimator._counts = counts
    row_weight = class_weights = None
    if row_costs is not None:  # cost-proportionate training (_weights.py)
        row_weight, class_weights = cost_proportionate_weights(
            row_costs, y_encoded, estimator.classes_, counts,
            class_weight=estimator.class_weight, sample_weight=sample_weight,
        )
    classes = estimator.classes_
    estimator.cost_matrix_ = (None if estimator.cost_matrix is None
                              else check_cost_matrix(estimator.cost_matrix, classes))
    if class_weights is None:
        class_weights = resolve_class_weight(
            estimator.class_weight, y, estimator.classes_, counts,
            cost_matrix=estimator.cost_matrix_,
        )
    estimator.class_weight_ = dict(zip(classes.tolist(), class_weights.tolist(),
                                       strict=True))
    estimator.priors_ = counts / counts.sum()
    estimator._output_factors = output_factors(
        class_weights, estimator.priors_, estimator.loss, estimator.loss_params)
    if row_weight is None:
        row_weight = sample_weight * class_weights[y_encoded]
    return row_weight, sample_weight


def builder_meta(estimator, seed):
    """The ``meta`` dict a model builder gets (see :mod:`skweight._model`)."""
    counts = estimator._counts
    return {
        # Not set for N-D arrays, text and dicts (see skweight._inputs).
        "n_features_in_": getattr(estimator, "n_features_in_", None),
        **estimator._input_spec.meta(),
        "classes_": estimator.classes_,
        "n_classes_": len(estimator.classes_),
        "n_outputs_": n_outputs(estimator.classes_),
        "class_counts_": counts,
        "class_weight_": np.array(list(estimator.class_weight_.values())),
        "priors_": estimator.priors_,
        "weighted_priors_": weighted_priors(counts, estimator._output_factors),
        "output_bias_": estimator.bias_init_,
        "random_state_": seed,
    }
