"""The scores :func:`~skweight.compare_strategies` reads from each fitted fold.

``cross_validate`` fits a strategy wrapped in a
:class:`~skweight.CostSensitiveClassifier`; :class:`FoldScorer` then scores
every decision of that one fit with scikit-learn scorers: the cost, the
normalised cost and the balanced accuracy of each decision's labels, and log
loss, Brier score, ROC AUC and average precision of the shared probabilities.
"""

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    get_scorer,
    log_loss,
    make_scorer,
    roc_auc_score,
)
from sklearn.utils import _safe_indexing

from ._cost_sensitive import CostSensitiveClassifier
from ._costs import mean_cost, normalized_cost
from ._scorers import make_cost_scorer

DECISION_METRICS = ("cost", "total_cost", "normalized_cost", "savings",
                    "balanced_accuracy")
PROBA_METRICS = ("average_precision", "roc_auc", "log_loss", "brier")


def decided(fitted, decision):
    """The classifier that decides as ``decision`` from one fitted fold.

    Parameters
    ----------
    fitted : CostSensitiveClassifier
        Fitted by ``cross_validate``; its ``estimator_`` is the fitted strategy.
    decision : {"argmax", "bayes", "tuned"}
        ``"argmax"``: the strategy itself; ``"bayes"``: the Bayes rule around it
        (``cv="prefit"``, nothing refitted); ``"tuned"``: ``fitted`` itself.

    Returns
    -------
    classifier : fitted estimator
    """
    if decision == "argmax":
        return fitted.estimator_
    if decision == fitted.strategy:
        return fitted
    bayes = CostSensitiveClassifier(fitted.estimator_, cost_matrix=fitted.cost_matrix_,
                                    strategy="bayes", cv="prefit")
    # With cv="prefit" and strategy="bayes", fit only checks the labels.
    return bayes.fit(np.zeros((len(fitted.classes_), 0)), fitted.classes_)


def _scorers(classes, cost_matrix):
    """``{metric: (scorer, sign)}``; ``sign * scorer(...)`` is the metric."""
    binary = len(classes) == 2
    positive = {"pos_label": classes[1]} if binary else {}
    proba = "predict_proba"
    costs = {} if np.ndim(cost_matrix) == 3 else {
        "cost": (make_cost_scorer(cost_matrix, labels=classes), -1),
        "normalized_cost": (make_scorer(normalized_cost, greater_is_better=False,
                                        cost_matrix=cost_matrix, labels=classes), -1),
    }
    return costs | {
        "balanced_accuracy": (get_scorer("balanced_accuracy"), 1),
        "average_precision": (make_scorer(average_precision_score,
                                          response_method=proba, **positive), 1),
        "roc_auc": (make_scorer(roc_auc_score, response_method=proba,
                                **({} if binary else {"multi_class": "ovr"})), 1),
        "log_loss": (make_scorer(log_loss, response_method=proba,
                                 greater_is_better=False, labels=classes), -1),
        "brier": (make_scorer(brier_score_loss, response_method=proba,
                              greater_is_better=False,
                              **(positive if binary else {"labels": classes})), -1),
    }


class FoldScorer:
    """A multi-metric scorer for ``cross_validate``: every decision of one fit.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        The sorted labels, the order of ``cost_matrix``.
    cost_matrix : ndarray of shape (n_classes, n_classes) or \
            (n_samples, n_classes, n_classes)
        Validated costs, rows = true class, columns = predicted class. Per-row
        costs are left to :func:`row_cost_scores`.
    decisions : tuple of str
        Among ``"argmax"``, ``"bayes"``, ``"tuned"``.

    Returns (when called as ``scorer(fitted, X, y)``) a dict keyed
    ``"<decision>:<metric>"`` for the metrics of labels and ``"<metric>"`` for
    those of probabilities, each in its natural sense (costs: lower is better).
    """

    def __init__(self, classes, cost_matrix, decisions):
        self.classes = classes
        self.cost_matrix = cost_matrix
        self.decisions = decisions

    def __call__(self, fitted, X, y):
        scorers = _scorers(self.classes, self.cost_matrix)
        scores = {}
        for metric in PROBA_METRICS:
            scorer, sign = scorers[metric]
            scores[metric] = sign * scorer(fitted.estimator_, X, y)
        if np.ndim(self.cost_matrix) == 3:  # labels need each row's costs
            return scores  # row_cost_scores adds them
        for decision in self.decisions:
            model = decided(fitted, decision)
            for metric in DECISION_METRICS:
                if metric in scorers:
                    scorer, sign = scorers[metric]
                    scores[f"{decision}:{metric}"] = sign * scorer(model, X, y)
            scores |= _derived(decision, scores, len(y))
        return scores


def _derived(decision, scores, n_rows):
    """Total cost and savings from the mean and the normalised cost."""
    return {f"{decision}:total_cost": scores[f"{decision}:cost"] * n_rows,
            f"{decision}:savings": 1.0 - scores[f"{decision}:normalized_cost"]}


def predict_decided(fitted, decision, X, row_costs=None):
    """The labels of ``decision``; with ``row_costs``, each row's own Bayes rule."""
    model = decided(fitted, decision)
    if row_costs is None or decision == "argmax":
        return model.predict(X)
    return model.predict(X, cost_matrix=row_costs)


def row_cost_scores(result, X, y, row_costs, classes, decisions):
    """Add the label metrics under per-row costs to a ``cross_validate`` result.

    scikit-learn's scorers get no per-row metadata without routing, so each
    fitted fold predicts its test rows with their own costs here.
    """
    n_folds = len(result["indices"]["test"])
    for decision in decisions:
        for metric in DECISION_METRICS:
            result[f"test_{decision}:{metric}"] = np.full(n_folds, np.nan)
    for k, (fitted, test) in enumerate(zip(result["estimator"],
                                           result["indices"]["test"], strict=True)):
        if not hasattr(fitted, "estimator_"):  # a failed fit
            continue
        X_test, y_test, costs = _safe_indexing(X, test), y[test], row_costs[test]
        for decision in decisions:
            y_pred = predict_decided(fitted, decision, X_test, costs)
            scores = {
                f"{decision}:cost": mean_cost(y_test, y_pred, cost_matrix=costs,
                                              labels=classes),
                f"{decision}:normalized_cost": normalized_cost(
                    y_test, y_pred, cost_matrix=costs, labels=classes),
                f"{decision}:balanced_accuracy": balanced_accuracy_score(y_test,
                                                                         y_pred)}
            for key, value in (scores | _derived(decision, scores, len(test))).items():
                result[f"test_{key}"][k] = value
    return result
