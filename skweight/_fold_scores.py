"""The outputs and scores :func:`~skweight.compare_strategies` reads from each fold.

``cross_validate`` fits a strategy wrapped in a
:class:`~skweight.CostSensitiveClassifier`. Each fitted fold then runs the
strategy on its test rows **once** (:func:`fold_outputs`): its probabilities,
the network's probabilities before prior correction (when there is a network)
and its own ``predict`` only when neither gives it (an estimator that is not a
network, or a network whose ``predict`` reads a cost matrix, a calibration map
or deployment priors). Every decision's labels and
every score (:func:`fold_scores`) derive from those arrays: the cost, the
normalised cost, the savings and the balanced accuracy of each decision's
labels, and log loss, Brier score, expected calibration error, ROC AUC and
average precision of the shared probabilities.
"""

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from ._calibration_error import expected_calibration_error
from ._costs import (
    check_finite_proba,
    decision_scores,
    mean_cost,
    normalized_cost,
    predict_indices_from_scores,
)
from ._thresholds import binary_threshold

DECISION_METRICS = ("cost", "total_cost", "normalized_cost", "savings",
                    "balanced_accuracy")
PROBA_METRICS = ("average_precision", "roc_auc", "log_loss", "brier", "ece")


def aligned(proba, estimator_classes, classes):
    """``proba`` with one column per entry of ``classes`` (zeros for absent ones)."""
    out = np.zeros((len(proba), len(classes)))
    out[:, np.searchsorted(classes, estimator_classes)] = proba
    return out


def _final_network(estimator, X):
    """``(final step, its input)`` when the final step is a skweight network.

    Looks through a (scikit-learn or imbalanced-learn) pipeline; resamplers are
    skipped, as when predicting. ``(None, None)`` for other estimators.
    """
    final, Xt = estimator, X
    if hasattr(estimator, "steps"):
        final = estimator.steps[-1][1]
    if not hasattr(final, "predict_weighted_proba"):
        return None, None
    for _, step in getattr(estimator, "steps", [])[:-1]:
        if step is None or step == "passthrough" or hasattr(step, "fit_resample"):
            continue
        Xt = step.transform(Xt)
    return final, Xt


def _predicts_its_output(network):
    """Whether ``network.predict`` is the argmax of its weighted output.

    So it is without a cost matrix, a calibration map or deployment priors;
    with them, ``predict`` decides on the final probabilities instead
    (``argmax_c w_c p'(c|x)`` or the Bayes rule).
    """
    return all(getattr(network, name, None) is None for name in (
        "cost_matrix_", "calibrator_", "deployment_priors", "deployment_priors_"))


def fold_outputs(fitted, X_test, classes, decisions, row_costs=None):
    """Run one fitted fold on its test rows once; derive every decision from it.

    Parameters
    ----------
    fitted : CostSensitiveClassifier
        Fitted by ``cross_validate``; its ``estimator_`` is the fitted strategy.
    X_test : array-like
        The fold's test rows.
    classes : ndarray of shape (n_classes,)
        The sorted labels of the whole data (a fold may lack one).
    decisions : tuple of str
        Among ``"argmax"`` (the strategy's own ``predict``), ``"bayes"`` (least
        expected cost, ``argmin_j sum_i p(i|x) C[i, j]``, Elkan 2001) and
        ``"tuned"`` (the fitted wrapper's tuned threshold or offsets).
    row_costs : ndarray of shape (n_test, n_classes, n_classes) or None
        Each test row's costs (per-row mode); None uses ``fitted.cost_matrix_``.

    Returns
    -------
    outputs : dict
        ``proba`` (prior-corrected, columns in ``classes`` order), ``raw_proba``
        (a network's output before correction, or None), ``y_pred`` (``{decision:
        labels}``) and ``thresholds`` (``{decision: threshold on p(classes[1]|x)
        or None}``).
    """
    model = fitted.estimator_
    network, Xt = _final_network(model, X_test)
    if network is not None:
        # The preprocessing once, then the output before and after correction.
        raw = network.predict_weighted_proba(Xt)
        proba = check_finite_proba(network.predict_proba(Xt))
    else:
        raw = None
        proba = check_finite_proba(model.predict_proba(X_test))
    outputs = {"proba": aligned(proba, model.classes_, classes),
               "raw_proba": None if raw is None else aligned(raw, model.classes_,
                                                             classes),
               "y_pred": {}, "thresholds": {}}
    for decision in decisions:
        if decision == "argmax":
            if raw is not None and _predicts_its_output(network):
                labels = model.classes_[np.argmax(raw, axis=1)]
            elif network is not None:  # the preprocessing is done: Xt
                labels = network.predict(Xt)
            else:
                labels = model.predict(X_test)
            threshold = None
        elif decision == "tuned" or fitted.strategy == decision:
            labels = fitted.classes_[predict_indices_from_scores(
                fitted._scores_from_proba(proba, row_costs))]
            threshold = getattr(fitted, "threshold_", None)
        else:  # bayes around a wrapper tuned for the other decision
            costs = fitted.cost_matrix_ if row_costs is None else row_costs
            labels = fitted.classes_[predict_indices_from_scores(
                decision_scores(proba, costs))]
            threshold = binary_threshold(costs) if np.ndim(costs) == 2 \
                and len(classes) == 2 else None
        outputs["y_pred"][decision] = labels
        outputs["thresholds"][decision] = threshold
    return outputs


def fold_scores(y_test, outputs, classes, cost_matrix):
    """Every metric of one fold, from its :func:`fold_outputs`.

    Parameters
    ----------
    y_test : ndarray of shape (n_test,)
    outputs : dict
        From :func:`fold_outputs`.
    classes : ndarray of shape (n_classes,)
    cost_matrix : ndarray of shape (n_classes, n_classes) or (n_test, n_classes, \
            n_classes)
        The fold's costs (rows = true class, columns = predicted class).

    Returns
    -------
    scores : dict
        ``"<decision>:<metric>"`` for the metrics of labels (cost, total cost,
        normalised cost = cost / cost of the best constant prediction, savings =
        1 - normalised cost, balanced accuracy) and ``"<metric>"`` for those of
        the probabilities, each in its natural sense (costs: lower is better).
    """
    proba = outputs["proba"]
    binary = len(classes) == 2
    scores = {}
    for decision, y_pred in outputs["y_pred"].items():
        cost = mean_cost(y_test, y_pred, cost_matrix=cost_matrix, labels=classes)
        norm = normalized_cost(y_test, y_pred, cost_matrix=cost_matrix, labels=classes)
        scores |= {f"{decision}:cost": cost,
                   f"{decision}:total_cost": cost * len(y_test),
                   f"{decision}:normalized_cost": norm,
                   f"{decision}:savings": 1.0 - norm,
                   f"{decision}:balanced_accuracy": balanced_accuracy_score(y_test,
                                                                            y_pred)}
    positive = y_test == classes[1]
    scores |= {
        "average_precision": (average_precision_score(positive, proba[:, 1])
                              if binary else average_precision_score(y_test, proba)),
        "roc_auc": (roc_auc_score(positive, proba[:, 1]) if binary else
                    roc_auc_score(y_test, proba, multi_class="ovr")),
        "log_loss": log_loss(y_test, proba, labels=classes),
        "brier": (brier_score_loss(positive, proba[:, 1]) if binary else
                  brier_score_loss(y_test, proba, labels=classes)),
        # Deciles of P(classes[1]); the top-label confidence for more classes.
        "ece": expected_calibration_error(y_test, proba, labels=classes),
    }
    return scores
