"""Decisions from costs (the Bayes minimum-risk rule) and the cost of decisions.

The cost matrices themselves (their forms, validation and convention) are in
``skweight._cost_matrix``: ``cost_matrix[i, j]`` is the cost of predicting class
``j`` when the true class is ``i``, one matrix or one per row.

The Bayes minimum-risk rule (Elkan 2001) predicts the class of least expected cost,
``argmin_j sum_i p(i|x) C[i, j]``. Ties (equal expected costs) go to the class that
comes first in ``classes_``, the convention of :func:`numpy.argmin`. With two classes
and a zero diagonal it predicts the positive class ``classes_[1]`` when
``p(classes_[1]|x) > C[0, 1] / (C[0, 1] + C[1, 0])``.

References
----------
Elkan, C. (2001). The foundations of cost-sensitive learning. In *Proceedings of the
17th International Joint Conference on Artificial Intelligence (IJCAI)*, 973-978.
"""

import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import unique_labels

from ._cost_matrix import label_indices, validate_cost_matrix
from ._weights import checked_sample_weight


def check_finite_proba(proba, source="the estimator's predict_proba",
                       consequence="no label is given for them"):
    """``proba`` as a float array, or an error naming the rows that are not finite.

    A decision taken on NaN probabilities is no decision: ``argmin`` over NaN
    costs returns class 0 for every such row.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities.
    source : str, default="the estimator's predict_proba"
        What produced them, for the message.
    consequence : str, default="no label is given for them"
        What the caller refuses to do with them, for the message.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)

    Raises
    ------
    FloatingPointError
        If any row holds a NaN or an infinite value.
    """
    proba = np.asarray(proba, dtype=float)
    finite = np.isfinite(proba).all(axis=1)
    if not finite.all():
        rows = np.flatnonzero(~finite)
        raise FloatingPointError(
            f"{source} is not finite for {len(rows)} of {len(proba)} rows (first: "
            f"row {rows[0]}, {proba[rows[0]].tolist()!r}); {consequence}. Check "
            "those input rows and the fitted classifier."
        )
    return proba


def check_proba(proba, source="the estimator's predict_proba", consequence=None):
    """``proba`` as a float array of probabilities, or an error naming a bad row.

    Finite (:func:`check_finite_proba`) and within [0, 1] (to 1e-6, for float32
    rounding): a negative or > 1 "probability" would make the expected costs, and
    so the decision, meaningless.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities.
    source : str, default="the estimator's predict_proba"
        What produced them, for the message.
    consequence : str or None, default=None
        What the caller refuses to do with them, for the message; None: no
        label is given.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)

    Raises
    ------
    FloatingPointError
        If any row holds a NaN or an infinite value.
    ValueError
        If any value is below 0 or above 1.
    """
    proba = check_finite_proba(proba, source,
                               consequence or "no label is given for them")
    outside = ((proba < -1e-6) | (proba > 1 + 1e-6)).any(axis=1)
    if outside.any():
        rows = np.flatnonzero(outside)
        raise ValueError(
            f"{source} gives values outside [0, 1] for {len(rows)} of {len(proba)} "
            f"rows (first: row {rows[0]}, {proba[rows[0]].tolist()!r}); these are "
            f"not probabilities, so {consequence or 'no cost-based label is given'}"
            ". Wrap a classifier whose predict_proba returns probabilities (or "
            "calibrate its scores)."
        )
    return proba


def expected_costs(proba, cost_matrix):
    """Expected cost of predicting each class, with one matrix or one per row.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities, columns in the order of the cost matrix.

    cost_matrix : ndarray of shape (n_classes, n_classes) or \
            (n_samples, n_classes, n_classes)
        Validated cost matrix (see :func:`check_cost_matrix`), or one matrix per
        row of ``proba`` (example-dependent costs).

    Returns
    -------
    costs : ndarray of shape (n_samples, n_classes)
        ``costs[n, j] = sum_i proba[n, i] * C[i, j]``, where ``C`` is
        ``cost_matrix`` or, per row, ``cost_matrix[n]``.

    Examples
    --------
    >>> from skweight._costs import expected_costs
    >>> expected_costs([[0.8, 0.2]], [[0, 1], [5, 0]])
    array([[1. , 0.8]])
    >>> expected_costs([[0.8, 0.2], [0.8, 0.2]], [[[0, 1], [5, 0]], [[0, 1], [1, 0]]])
    array([[1. , 0.8],
           [0.2, 0.8]])
    """
    proba = np.asarray(proba, dtype=float)
    cost_matrix = np.asarray(cost_matrix, dtype=float)
    n_classes = cost_matrix.shape[-1] if cost_matrix.ndim else 0
    per_row = cost_matrix.ndim == 3
    expected_shape = (len(proba), n_classes, n_classes) if per_row else None
    if (
        proba.ndim != 2
        or cost_matrix.ndim not in (2, 3)
        or cost_matrix.shape[-2] != n_classes
        or proba.shape[1] != n_classes
        or (per_row and cost_matrix.shape != expected_shape)
    ):
        raise ValueError(
            f"proba has shape {proba.shape} but cost_matrix has shape "
            f"{cost_matrix.shape}; pass probabilities of shape (n_samples, "
            f"n_classes) with columns in the order of the classes, and a cost "
            "matrix of shape (n_classes, n_classes) or, one per row, (n_samples, "
            "n_classes, n_classes)."
        )
    if per_row:
        return np.einsum("ni,nij->nj", proba, cost_matrix)
    return proba @ cost_matrix


def bayes_predict_indices(proba, cost_matrix):
    """Bayes minimum-risk decision: index of the class of least expected cost.

    Predicts ``argmin_j sum_i proba[n, i] * C[i, j]`` (Elkan 2001), with ``C`` the
    cost matrix or, for example-dependent costs, row ``n``'s own matrix. Ties go to
    the lowest index, the convention of :func:`numpy.argmin`.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities, columns in the order of the cost matrix.

    cost_matrix : ndarray of shape (n_classes, n_classes) or \
            (n_samples, n_classes, n_classes)
        Validated cost matrix (see :func:`check_cost_matrix`), or one per row.

    Returns
    -------
    indices : ndarray of shape (n_samples,)
        Class indices; ``classes_[indices]`` are the labels.

    Examples
    --------
    >>> from skweight._costs import bayes_predict_indices
    >>> bayes_predict_indices([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]], [[0, 1], [4, 0]])
    array([0, 0, 1])
    """
    return np.argmin(expected_costs(proba, cost_matrix), axis=1)


def decision_scores(proba, cost_matrix):
    """Decision scores of the Bayes rule, from the expected costs.

    The scores agree with :func:`bayes_predict_indices`: with two classes, the
    expected cost of predicting class 0 minus that of predicting class 1 (positive
    iff class 1 is predicted, the convention of ``decision_function``); with more,
    minus the expected costs, whose argmax is the prediction.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities, columns in the order of the cost matrix.

    cost_matrix : ndarray of shape (n_classes, n_classes) or \
            (n_samples, n_classes, n_classes)
        Validated cost matrix (see :func:`check_cost_matrix`), or one per row.

    Returns
    -------
    scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Binary: the expected cost saved by predicting class 1. Otherwise: minus
        the expected cost of each class.

    Examples
    --------
    >>> from skweight._costs import decision_scores
    >>> decision_scores([[0.9, 0.1], [0.7, 0.3]], [[0, 1], [4, 0]])
    array([-0.5,  0.5])
    """
    costs = expected_costs(proba, cost_matrix)
    if costs.shape[1] == 2:
        return costs[:, 0] - costs[:, 1]
    return -costs


def predict_indices_from_scores(scores):
    """Class indices predicted by decision scores (binary: positive means class 1).

    Ties of a multiclass argmax go to the lowest index; a binary score of exactly 0
    gives class 0, the tie convention of :func:`bayes_predict_indices`.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Decision scores, as returned by ``decision_function``.

    Returns
    -------
    indices : ndarray of shape (n_samples,)
        Class indices.
    """
    scores = np.asarray(scores)
    if scores.ndim == 1:
        return (scores > 0).astype(np.intp)
    return np.argmax(scores, axis=1)


def _row_costs(y_true, y_pred, cost_matrix, labels, sample_weight):
    """Cost of each row for each possible prediction and for its prediction.

    Returns ``(per_class, paid, weights)``: ``per_class[n, j]`` is what row ``n``
    would cost if ``j`` were predicted, ``paid[n]`` what its prediction costs, and
    ``weights`` the rows' weights (ones when ``sample_weight`` is None).
    """
    y_true = column_or_1d(y_true)
    y_pred = column_or_1d(y_pred)
    check_consistent_length(y_true, y_pred, sample_weight)
    if labels is None:
        if isinstance(cost_matrix, Mapping):
            keys = [*cost_matrix, *(k for row in cost_matrix.values() for k in row)]
            labels = unique_labels(keys)
        else:
            labels = unique_labels(y_true, y_pred)
        source = "y_true and y_pred have"
    else:
        labels = np.asarray(labels)
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"labels must not repeat a label; got {labels.tolist()}.")
        source = "labels has"
    true_idx = label_indices(labels, y_true, name="y_true")
    pred_idx = label_indices(labels, y_pred, name="y_pred")
    if len(labels) < 2 and source.startswith("y_true"):
        shape = None if callable(cost_matrix) else np.shape(cost_matrix)
        raise ValueError(
            f"y_true and y_pred hold a single class {labels.tolist()!r}, so the rows "
            f"and columns of cost_matrix{'' if shape is None else f' (shape {shape})'} "
            "cannot be matched to classes; pass labels listing every class in the "
            "order of the rows and columns, e.g. labels=[0, 1]."
        )
    matrix = validate_cost_matrix(
        cost_matrix,
        labels,
        param_name="cost_matrix",
        source=source,
        warn=False,
        n_samples=len(y_true),
        n_name="y_true",
    )
    if matrix.ndim == 3:
        per_class = matrix[np.arange(len(y_true)), true_idx]
    else:
        per_class = matrix[true_idx]
    weights = checked_sample_weight(sample_weight, len(y_true), n_name="y_true")
    paid = per_class[np.arange(len(pred_idx)), pred_idx]
    return per_class, paid, weights


def mean_cost(y_true, y_pred, *, cost_matrix, labels=None, sample_weight=None):
    """Mean misclassification cost: the average of ``cost_matrix[true, pred]``.

    Lower is better; :func:`make_cost_scorer` turns it into a scorer.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    cost_matrix : array-like of shape (n_classes, n_classes), dict, callable or \
            array-like of shape (n_samples, n_classes, n_classes)
        ``cost_matrix[i, j]`` is the cost of predicting ``labels[j]`` when the truth
        is ``labels[i]``; or a dict ``{true_label: {predicted_label: cost}}`` (a
        missing diagonal entry is 0); or a callable of the labels returning
        either. A 3-d array gives example-dependent costs, one matrix per row.

    labels : array-like of shape (n_classes,), default=None
        The labels in the order of the rows and columns of ``cost_matrix``. If
        None, the labels of a dict ``cost_matrix``, otherwise the sorted union of
        the labels in ``y_true`` and ``y_pred`` (as in ``confusion_matrix``, and the
        order of ``classes_`` of scikit-learn classifiers). Pass it when a class can
        be absent from both ``y_true`` and ``y_pred``.

    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows; the result is then their weighted mean cost.

    Returns
    -------
    cost : float
        The (weighted) mean cost per row.

    Examples
    --------
    >>> from skweight._costs import mean_cost
    >>> cost = [[0, 1], [5, 0]]
    >>> mean_cost(["pos", "neg", "neg", "pos"], ["neg", "neg", "pos", "pos"],
    ...           cost_matrix=cost)
    1.5
    >>> mean_cost([1, 0, 0, 1], [0, 0, 1, 1], cost_matrix={0: {1: 1}, 1: {0: 5}})
    1.5
    """
    _, paid, weights = _row_costs(y_true, y_pred, cost_matrix, labels, sample_weight)
    return float(np.average(paid, weights=weights))


def normalized_cost(y_true, y_pred, *, cost_matrix, labels=None, sample_weight=None):
    """Mean cost divided by the mean cost of the best constant prediction.

    The denominator is ``min_j sum_i pi_i C[i, j]``, where ``pi`` is the (weighted)
    class distribution of ``y_true``: the cost of always predicting the single
    cheapest class. Below 1, the predictions beat every constant prediction; 0 is
    perfect. Useful to compare costs across data sets.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    cost_matrix : array-like of shape (n_classes, n_classes), dict, callable or \
            array-like of shape (n_samples, n_classes, n_classes)
        As in :func:`mean_cost`.

    labels : array-like of shape (n_classes,), default=None
        As in :func:`mean_cost`.

    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows.

    Returns
    -------
    cost : float
        The normalised cost; NaN, with an ``UndefinedMetricWarning``, when the best
        constant prediction costs nothing.

    Examples
    --------
    >>> from skweight._costs import normalized_cost
    >>> y_true = ["neg"] * 8 + ["pos"] * 2
    >>> normalized_cost(y_true, ["pos"] * 10, cost_matrix=[[0, 1], [5, 0]])
    1.0
    >>> normalized_cost(y_true, ["neg"] * 7 + ["pos"] * 3,
    ...                 cost_matrix=[[0, 1], [5, 0]])
    0.125
    """
    per_class, paid, weights = _row_costs(
        y_true, y_pred, cost_matrix, labels, sample_weight
    )
    cost = np.average(paid, weights=weights)
    best_constant = np.min(np.average(per_class, axis=0, weights=weights))
    if best_constant == 0:
        warnings.warn(
            "normalized_cost is undefined: a constant prediction costs nothing on "
            "these labels (for instance y_true holds a single class); returning nan.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(cost / best_constant)


def savings_score(y_true, y_pred, *, cost_matrix, labels=None, sample_weight=None):
    """Savings: the share of the cost of the best constant policy that is saved.

    ``1 - cost / cost of the best constant policy`` (Bahnsen et al. 2014), where the
    best constant policy predicts the single class that costs least in total on
    these rows (with per-row costs, each row pays its own matrix). 1 is perfect, 0
    is no better than the best constant prediction, below 0 is worse. It is ``1 -``
    :func:`normalized_cost`; greater is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.

    y_pred : array-like of shape (n_samples,)
        Predicted labels.

    cost_matrix : array-like of shape (n_classes, n_classes), dict, callable or \
            array-like of shape (n_samples, n_classes, n_classes)
        As in :func:`mean_cost`.

    labels : array-like of shape (n_classes,), default=None
        As in :func:`mean_cost`.

    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows.

    Returns
    -------
    savings : float
        NaN, with an ``UndefinedMetricWarning``, when the best constant policy
        costs nothing.

    References
    ----------
    Bahnsen, A. C., Aouada, D., & Ottersten, B. (2014). Example-dependent
    cost-sensitive logistic regression for credit scoring. *ICMLA*, 263-269.

    Examples
    --------
    >>> from skweight import binary_cost_matrix, savings_score
    >>> costs = binary_cost_matrix(fp=1.0, fn=[10.0, 2.0, 0.5, 0.5])
    >>> # Predicting all negative costs 10 + 2; all positive costs 1 + 1.
    >>> savings_score([1, 1, 0, 0], [1, 0, 0, 0], cost_matrix=costs)
    0.0
    >>> savings_score([1, 1, 0, 0], [1, 1, 0, 0], cost_matrix=costs)
    1.0
    """
    return 1.0 - normalized_cost(
        y_true, y_pred, cost_matrix=cost_matrix, labels=labels,
        sample_weight=sample_weight,
    )
