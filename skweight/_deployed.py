"""The model ``skweight fit`` saves and ``skweight predict`` applies.

A :class:`DeployedModel` holds the fitted strategy, wrapped in a
:class:`~skweight.CostSensitiveClassifier` exactly as ``skweight compare``
measured it, and what the commands need to use it on new rows: the decision
(argmax, Bayes rule or tuned), the training columns and their kinds, the text
values seen in training, the costs. It is saved with :func:`skweight.save`
(no pickle), and its ``info`` can be read from the file's manifest without
importing Keras, so ``skweight predict`` checks the new table first.
"""

import json
import zipfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ._costs import expected_costs, predict_indices_from_scores

MAX_CATEGORIES = 10_000  # text values kept per column for the predict-time check


def columns_info(X):
    """``{column: {"kind": "number" | "text", "values": [...] or None}}``.

    The values of a text column (as strings, sorted) when there are at most
    ``MAX_CATEGORIES``; None turns the unseen-value check off for that column.
    """
    info = {}
    for name in X.columns:
        column = X[name]
        if column.dtype.kind in "biuf":
            info[str(name)] = {"kind": "number", "values": None}
            continue
        values = sorted({str(v) for v in column.dropna()})
        info[str(name)] = {"kind": "text", "values": values
                           if len(values) <= MAX_CATEGORIES else None}
    return info


def for_prediction(estimator):
    """The fitted strategy without its resamplers (they act in fit only).

    An imbalanced-learn pipeline becomes a scikit-learn Pipeline of the same
    fitted steps minus the resamplers: it predicts identically, and the save
    format stores it.
    """
    from sklearn.pipeline import Pipeline

    steps = getattr(estimator, "steps", None)
    if steps is None:
        return estimator
    kept = [(name, step) for name, step in steps
            if not hasattr(step, "fit_resample") and step is not None
            and step != "passthrough"]
    return Pipeline(kept)


class DeployedModel(ClassifierMixin, BaseEstimator):
    """A fitted, cost-sensitive strategy with what its commands need to apply it.

    Parameters
    ----------
    estimator : CostSensitiveClassifier, default=None
        Fitted; its ``estimator_`` is the strategy (preprocessing and model).
    info : dict, default=None
        JSON-ready: ``decision`` ("argmax", "bayes" or "tuned"), ``strategy``,
        ``target``, ``columns`` (see :func:`columns_info`), ``dropped_columns``,
        ``costs`` (text), ``cost_matrix`` (or None with costs per row),
        ``row_costs`` (the per-row cost options of fit, or None), ``positive``,
        ``command``.
    """

    def __init__(self, *, estimator=None, info=None):
        self.estimator = estimator
        self.info = info

    def fit(self, X, y=None):
        """Nothing to learn: the model is fitted by ``skweight fit``.

        Returns
        -------
        self : DeployedModel
        """
        return self

    @property
    def classes_(self):
        """The class labels, in the order of the cost matrix."""
        return self.estimator.classes_

    def predict_proba(self, X):
        """Class probabilities of the strategy (prior-corrected for a network).

        Parameters
        ----------
        X : DataFrame
            Rows with the training columns.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self.estimator.estimator_.predict_proba(X)

    def decide(self, X, row_costs=None):
        """Decisions, probabilities and expected costs, the strategy run once.

        Parameters
        ----------
        X : DataFrame
            Rows with the training columns.
        row_costs : ndarray of shape (n_samples, n_classes, n_classes), default=None
            Each row's costs; None: the fitted cost matrix.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        proba : ndarray of shape (n_samples, n_classes)
        cost : ndarray of shape (n_samples,)
            The expected cost of each decision, ``sum_i p(i|x) C[i, y_pred]``.
        """
        from ._costs import check_finite_proba

        model = self.estimator
        proba = check_finite_proba(model.estimator_.predict_proba(X))
        costs = model.cost_matrix_ if row_costs is None else row_costs
        if self.info["decision"] == "argmax":
            y_pred = model.estimator_.predict(X)
        else:
            y_pred = model.classes_[predict_indices_from_scores(
                model._scores_from_proba(proba, row_costs))]
        index = np.searchsorted(model.classes_, y_pred)
        cost = expected_costs(proba, costs)[np.arange(len(proba)), index]
        return y_pred, proba, cost

    def predict(self, X, cost_matrix=None):
        """The decisions (see :meth:`decide`).

        Parameters
        ----------
        X : DataFrame
        cost_matrix : ndarray of shape (n_samples, n_classes, n_classes), \
                default=None

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self.decide(X, cost_matrix)[0]


def read_info(path):
    """The ``info`` of a saved :class:`DeployedModel`, without importing Keras.

    Raises
    ------
    ValueError
        When ``path`` is not a file written by ``skweight fit``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        node = manifest["estimator"]
        if node.get("__estimator__") != f"{__name__}.DeployedModel":
            raise KeyError("class")
        info = node["params"]["info"]
        if not isinstance(info, dict) or "columns" not in info:
            raise KeyError("info")
    except (OSError, zipfile.BadZipFile, KeyError, TypeError, ValueError,
            AttributeError) as exc:
        raise ValueError(f"{str(path)[:200]!r} is not a model written by "
                         "'skweight fit' (its manifest cannot be read)") from exc
    return info
