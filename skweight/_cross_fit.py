"""Fitting the classifier a meta-estimator wraps: its classes, the parameters
routed to it, the cross-validation splits and the out-of-fold probabilities.

Used by :class:`~skweight.CostSensitiveClassifier`, whose ``strategy="tuned"``
chooses its decision on probabilities of rows the classifier did not train on.
"""

from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_method_params,
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
)
from sklearn_compat.utils._indexing import _safe_indexing
from sklearn_compat.utils.metadata_routing import process_routing

from ._cost_matrix import check_cost_matrix, label_indices
from ._costs import check_proba
from ._weights import reject_negative_weights


def check_sample_weight_non_negative(sample_weight, X):
    """Validate row weights: a new float array, or an error for a negative weight.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        The caller's weights (not modified).

    X : array-like
        The rows the weights belong to.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if sample_weight is None:
        return None
    weights = _check_sample_weight(sample_weight, X, dtype=float, copy=True)
    reject_negative_weights(weights)
    return weights


def fit_classes(estimator, y, prefit):
    """The classes: those of ``y``, or of the fitted ``estimator`` for prefit.

    Parameters
    ----------
    estimator : estimator instance
        The wrapped classifier (fitted when ``prefit``).
    y : ndarray of shape (n_samples,)
    prefit : bool

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    """
    if prefit:
        try:
            check_is_fitted(estimator, "classes_")
        except NotFittedError as exc:
            raise NotFittedError(
                "cv='prefit' needs a fitted estimator; fit it first, or use an "
                "int or a splitter as cv."
            ) from exc
        classes = np.asarray(estimator.classes_)
        label_indices(
            classes,
            y,
            name="y",
            hint="with cv='prefit', y may only hold the classes of the estimator",
        )
    else:
        classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(
            "CostSensitiveClassifier needs at least 2 classes in y; got 1 class: "
            f"{classes.tolist()!r}."
        )
    return classes


def check_fit_costs(estimator, strategy, cost_matrix, row_costs, classes, n_rows):
    """Validate the per-row costs given to fit, and that the strategy has costs.

    Parameters
    ----------
    estimator : estimator instance
        The wrapped classifier (which may request the per-row costs).
    strategy : {"bayes", "tuned"}
    cost_matrix : ndarray of shape (n_classes, n_classes) or None
        The validated ``cost_matrix`` parameter.
    row_costs : array-like of shape (n_rows, n_classes, n_classes) or None
        ``fit``'s ``cost_matrix``.
    classes : ndarray of shape (n_classes,)
    n_rows : int

    Returns
    -------
    row_costs : ndarray of shape (n_rows, n_classes, n_classes) or None
    """
    if row_costs is not None:
        row_costs = check_cost_matrix(
            row_costs, classes, n_samples=n_rows, param_name="cost_matrix"
        )
        if row_costs.ndim != 3:
            raise ValueError(
                "cost_matrix passed to fit gives each row its own costs and must "
                f"have shape (n_samples, {len(classes)}, {len(classes)}); got "
                f"shape {row_costs.shape}. Pass a single matrix as the "
                "cost_matrix parameter of CostSensitiveClassifier instead."
            )
    if strategy == "tuned" and cost_matrix is None and row_costs is None:
        raise ValueError(
            "strategy='tuned' needs costs to tune on: set cost_matrix of "
            "CostSensitiveClassifier, or pass per-row costs to fit "
            "(fit(X, y, cost_matrix=...))."
        )
    if strategy == "bayes" and row_costs is not None:
        _check_row_costs_used(estimator)
    return row_costs


def _check_row_costs_used(estimator):
    """With the Bayes rule, fit's per-row costs serve only a requesting model."""
    routed = (
        get_config()["enable_metadata_routing"]
        and hasattr(estimator, "get_metadata_routing")
        and estimator.get_metadata_routing().consumes("fit", ["cost_matrix"])
    )
    if not routed:
        raise ValueError(
            "cost_matrix was passed to fit, but strategy='bayes' does not use "
            "per-row costs in fit: pass them to predict (predict(X, "
            "cost_matrix=...)), use strategy='tuned' to tune a correction on "
            "them, or, with metadata routing, request them on the estimator "
            "(set_fit_request(cost_matrix=True)) to train with them."
        )


def route_params(meta_estimator, prefit, sample_weight, row_costs, fit_params):
    """Parameters for ``estimator.fit`` and for ``cv.split``.

    Parameters
    ----------
    meta_estimator : estimator instance
        The meta-estimator, whose ``estimator`` and ``cv`` receive the metadata.
    prefit : bool
    sample_weight, row_costs : ndarray or None
    fit_params : dict
        Other metadata (only with metadata routing enabled).

    Returns
    -------
    estimator_params, split_params : dict
    """
    if get_config()["enable_metadata_routing"]:
        metadata = dict(fit_params)
        if sample_weight is not None:
            metadata["sample_weight"] = sample_weight
        if row_costs is not None:
            metadata["cost_matrix"] = row_costs
        routed = process_routing(meta_estimator, "fit", **metadata)
        return routed.estimator.fit, routed.splitter.split
    if sample_weight is None or prefit:
        return {}, {}
    estimator = meta_estimator.estimator
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(
            f"sample_weight was passed but {type(estimator).__name__}.fit "
            "does not accept sample_weight. For a pipeline, enable metadata "
            "routing (sklearn.set_config(enable_metadata_routing=True)) and "
            "request the weights on the step that uses them, e.g. "
            "LogisticRegression().set_fit_request(sample_weight=True)."
        )
    return {"sample_weight": sample_weight}, {}


def make_splits(cv, X, y, *, prefit, refit, random_state, split_params):
    """(train, test) index pairs; prefit is one split, train None, test all."""
    if prefit:
        return [(None, np.arange(len(y)))]
    if cv is None or isinstance(cv, Integral):
        splitter = StratifiedKFold(
            n_splits=5 if cv is None else cv, shuffle=True, random_state=random_state
        )
    else:
        splitter = check_cv(cv, y, classifier=True)
    splits = list(splitter.split(X, y, **split_params))
    if not refit and len(splits) != 1:
        raise ValueError(
            f"refit=False needs cv with a single split, but cv={cv!r} "
            f"gives {len(splits)}; pass e.g. cv=StratifiedShuffleSplit("
            "n_splits=1, test_size=0.25), or refit=True."
        )
    return splits


def _fit_predict_fold(estimator, X, y, train, test, fit_params, classes):
    """Fit on ``train`` (None: prefit, used as is); probabilities for ``test``."""
    if train is not None:
        fit_params = _check_method_params(X, params=fit_params, indices=train)
        estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **fit_params)
    proba = np.zeros((len(test), len(classes)))
    columns = label_indices(classes, estimator.classes_, name="estimator.classes_")
    proba[:, columns] = check_proba(
        estimator.predict_proba(_safe_indexing(X, test)),
        "the estimator's out-of-fold predict_proba",
    )
    return estimator, proba


def out_of_fold(estimator, X, y, classes, splits, fit_params, n_jobs):
    """Probabilities of each split's test rows from a clone fitted on its train rows.

    Returns
    -------
    fitted : list of estimator
        The estimator of each split (``estimator`` itself for a prefit split).
    proba : ndarray of shape (n_rows, n_classes)
        Columns in the order of ``classes``.
    rows : ndarray of int
        The rows of ``proba``, the test indices of the splits one after another.
    """
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_predict_fold)(
            estimator if train is None else clone(estimator),
            X, y, train, test, fit_params, classes,
        )
        for train, test in splits
    )
    rows = np.concatenate([test for _, test in splits])
    return ([fitted for fitted, _ in results],
            np.concatenate([proba for _, proba in results]), rows)
