"""Cost matrices, the Bayes minimum-risk decision, and the cost metric and scorer.

Convention everywhere: ``cost_matrix[i, j]`` is the cost of predicting class ``j``
when the true class is ``i`` (rows = truth, columns = prediction, the orientation of
:func:`sklearn.metrics.confusion_matrix`), with rows and columns in the order of
``classes_``.

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
from sklearn.metrics import make_scorer
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import unique_labels


class UnreasonableCostWarning(UserWarning):
    """Warning for a cost matrix that contradicts itself.

    Raised when a correct prediction costs more than a wrong one in the same row, or
    when a column is dominated: predicting that class is never cheaper than
    predicting another one, whatever the probabilities (Elkan 2001).

    Examples
    --------
    >>> import warnings
    >>> from skweight import UnreasonableCostWarning, make_cost_scorer
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", UnreasonableCostWarning)
    ...     try:
    ...         make_cost_scorer([[0, 1], [5, 8]], labels=["neg", "pos"])
    ...     except UnreasonableCostWarning as warning:
    ...         print(warning)
    cost_matrix: predicting the true class 'pos' costs 8.0, more than the error of
    predicting 'neg' (5.0). ...
    """


def _as_list(classes):
    return np.asarray(classes).tolist()


def label_indices(labels, y, *, name="y", hint=None):
    """Positions of the entries of ``y`` in ``labels`` (which need not be sorted).

    Parameters
    ----------
    labels : array-like of shape (n_classes,)
        The labels, in the order whose positions are returned.

    y : array-like of shape (n_samples,)
        Labels to locate.

    name : str, default="y"
        Name of ``y`` in the error message.

    hint : str, default=None
        The fix suggested in the error message.

    Returns
    -------
    indices : ndarray of shape (n_samples,)
        ``labels[indices]`` equals ``y``.

    Raises
    ------
    ValueError
        If ``y`` holds a label that is not in ``labels``.
    """
    labels = np.asarray(labels)
    y = np.asarray(y)
    sorter = np.argsort(labels, kind="stable")
    pos = np.searchsorted(labels, y, sorter=sorter)
    pos = np.clip(pos, 0, len(labels) - 1)
    indices = sorter[pos]
    unknown = labels[indices] != y
    if np.any(unknown):
        hint = hint or (
            "pass labels listing every class in the order of the rows and columns "
            "of cost_matrix"
        )
        raise ValueError(
            f"{name} contains labels {_as_list(np.unique(y[unknown]))!r} that are not "
            f"among the classes {_as_list(labels)!r}; {hint}."
        )
    return indices


# Former private name, kept until every caller uses ``label_indices``.
_label_indices = label_indices


def _matrix_from_dict(cost_dict, classes, param_name):
    position = {label: i for i, label in enumerate(_as_list(classes))}
    n_classes = len(position)
    matrix = np.full((n_classes, n_classes), np.nan)
    np.fill_diagonal(matrix, 0.0)
    unknown = []
    for true_label, row in cost_dict.items():
        if not isinstance(row, Mapping):
            raise ValueError(
                f"{param_name}[{true_label!r}] must be a dict "
                f"{{predicted label: cost}}; got {row!r}. Use "
                "{true_label: {predicted_label: cost}}."
            )
        unknown.extend(label for label in (true_label, *row) if label not in position)
        for pred_label, cost in row.items():
            if true_label in position and pred_label in position:
                try:
                    matrix[position[true_label], position[pred_label]] = float(cost)
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"{param_name}[{true_label!r}][{pred_label!r}] must be a "
                        f"number; got {cost!r}."
                    ) from exc
    if unknown:
        raise ValueError(
            f"{param_name} has labels {list(dict.fromkeys(unknown))!r} that are not "
            f"classes; the classes are {_as_list(classes)!r}. Key the dict by these "
            "labels: {true_label: {predicted_label: cost}}."
        )
    missing = np.argwhere(np.isnan(matrix))
    if len(missing):
        labels = _as_list(classes)
        pairs = [(labels[i], labels[j]) for i, j in missing]
        raise ValueError(
            f"{param_name} has no cost for the (true, predicted) pairs {pairs!r}; "
            "give the cost of every error (the diagonal defaults to 0)."
        )
    return matrix


def _warn_if_unreasonable(matrix, classes, param_name):
    labels = _as_list(classes)
    for i, j in np.argwhere(np.diag(matrix)[:, None] > matrix):
        warnings.warn(
            f"{param_name}: predicting the true class {labels[i]!r} costs "
            f"{float(matrix[i, i])!r}, more than the error of predicting "
            f"{labels[j]!r} ({float(matrix[i, j])!r}). Rows are true classes and "
            "columns predicted classes; a correct prediction should cost least in "
            "its row.",
            UnreasonableCostWarning,
            stacklevel=4,
        )
    for j in range(len(labels)):
        for k in range(len(labels)):
            if j != k and np.all(matrix[:, j] >= matrix[:, k]):
                warnings.warn(
                    f"{param_name}: column {labels[j]!r} is >= column {labels[k]!r} in "
                    f"every row, so predicting {labels[j]!r} is never cheaper than "
                    f"predicting {labels[k]!r}, whatever the probabilities (Elkan "
                    f"2001): the cost-based decision has no reason to predict "
                    f"{labels[j]!r}. Check the costs in column {labels[j]!r}.",
                    UnreasonableCostWarning,
                    stacklevel=4,
                )
                break


def _validate_cost_matrix(cost_matrix, classes, *, param_name, source, warn):
    classes = np.asarray(classes)
    if callable(cost_matrix):
        cost_matrix = cost_matrix(classes.copy())
        param_name = f"{param_name}(classes)"
    n_classes = len(classes)
    expected = f"a ({n_classes}, {n_classes}) matrix"
    if isinstance(cost_matrix, Mapping):
        matrix = _matrix_from_dict(cost_matrix, classes, param_name)
    else:
        try:
            matrix = np.array(cost_matrix, dtype=float, copy=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{param_name} must be {expected} of numbers, a dict "
                "{true_label: {predicted_label: cost}} or a callable of the classes; "
                f"got {cost_matrix!r}."
            ) from exc
        if matrix.shape != (n_classes, n_classes):
            raise ValueError(
                f"{param_name} has shape {matrix.shape} but {source} {n_classes} "
                f"classes {_as_list(classes)!r}; pass {expected} with rows = true "
                "class, columns = predicted class."
            )
    labels = _as_list(classes)
    bad = np.argwhere(~np.isfinite(matrix))
    if len(bad):
        raise ValueError(
            f"{param_name} has non-finite costs at the (true, predicted) pairs "
            f"{[(labels[i], labels[j]) for i, j in bad]!r}; every cost must be a "
            "finite number >= 0."
        )
    bad = np.argwhere(matrix < 0)
    if len(bad):
        raise ValueError(
            f"{param_name} has negative costs at the (true, predicted) pairs "
            f"{[(labels[i], labels[j]) for i, j in bad]!r}; costs must be >= 0. "
            "Adding the same constant to every entry of a row changes no decision, "
            "so shift such a row up instead."
        )
    if not np.any(matrix):
        raise ValueError(
            f"{param_name} is all zeros, so every decision would cost nothing; put "
            "the cost of each error off the diagonal, e.g. "
            f"1 - numpy.eye({n_classes}) for the 0-1 loss."
        )
    if warn:
        _warn_if_unreasonable(matrix, classes, param_name)
    return matrix


def check_cost_matrix(cost_matrix, classes, *, param_name="cost_matrix"):
    """Validate a cost matrix against the classes and return it as a float array.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes), dict or callable
        ``cost_matrix[i, j]`` is the cost of predicting ``classes[j]`` when the true
        class is ``classes[i]``. Either an array-like in the order of ``classes``,
        a dict of dicts keyed by the labels ``{true_label: {predicted_label: cost}}``
        (a missing diagonal entry is 0, a missing error is an error), or a callable
        taking ``classes`` and returning one of these.

    classes : array-like of shape (n_classes,)
        The class labels, in the order of the rows and columns.

    param_name : str, default="cost_matrix"
        Name used in error messages.

    Returns
    -------
    cost_matrix : ndarray of shape (n_classes, n_classes)
        A new float array; the caller's object is not modified.

    Raises
    ------
    ValueError
        If the shape does not match the classes, a cost is negative or not finite,
        every cost is zero, or a dict names labels that are not classes or lacks
        the cost of an error.

    Warns
    -----
    UnreasonableCostWarning
        If a correct prediction costs more than an error in the same row, or a
        column is dominated by another (that class would never be predicted).

    Examples
    --------
    >>> from skweight._costs import check_cost_matrix
    >>> check_cost_matrix({"neg": {"pos": 1}, "pos": {"neg": 5}}, ["neg", "pos"])
    array([[0., 1.],
           [5., 0.]])
    """
    return _validate_cost_matrix(
        cost_matrix, classes, param_name=param_name, source="y has", warn=True
    )


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


def _check_example_costs(cost_matrix, n_samples, n_classes):
    costs = np.array(cost_matrix, dtype=float, copy=True)
    if costs.shape != (n_samples, n_classes, n_classes):
        raise ValueError(
            f"cost_matrix has shape {costs.shape}; example-dependent costs need shape "
            f"(n_samples, n_classes, n_classes) = ({n_samples}, {n_classes}, "
            f"{n_classes})."
        )
    if not np.all(np.isfinite(costs)) or np.any(costs < 0):
        raise ValueError(
            "cost_matrix has negative or non-finite costs; every cost must be a "
            "finite number >= 0."
        )
    return costs


def _row_costs(y_true, y_pred, cost_matrix, labels, sample_weight):
    """Cost of each row for each possible prediction, and the rows' weights."""
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
            raise ValueError(f"labels must not repeat a label; got {_as_list(labels)}.")
        source = "labels has"
    true_idx = label_indices(labels, y_true, name="y_true")
    pred_idx = label_indices(labels, y_pred, name="y_pred")
    if np.ndim(cost_matrix) == 3:
        costs = _check_example_costs(cost_matrix, len(y_true), len(labels))
        per_class = costs[np.arange(len(y_true)), true_idx]
    else:
        matrix = _validate_cost_matrix(
            cost_matrix, labels, param_name="cost_matrix", source=source, warn=False
        )
        per_class = matrix[true_idx]
    if sample_weight is None:
        weights = np.ones(len(y_true))
    else:
        weights = np.asarray(sample_weight, dtype=float)
    return per_class, pred_idx, weights


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
    per_class, pred_idx, weights = _row_costs(
        y_true, y_pred, cost_matrix, labels, sample_weight
    )
    costs = per_class[np.arange(len(pred_idx)), pred_idx]
    return float(np.average(costs, weights=weights))


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
    per_class, pred_idx, weights = _row_costs(
        y_true, y_pred, cost_matrix, labels, sample_weight
    )
    cost = np.average(per_class[np.arange(len(pred_idx)), pred_idx], weights=weights)
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


def make_cost_scorer(cost_matrix, labels=None):
    """Scorer returning minus the mean cost of the predictions (greater is better).

    Usable as ``scoring=`` of :class:`~sklearn.model_selection.GridSearchCV`,
    :func:`~sklearn.model_selection.cross_validate` or
    :class:`~sklearn.model_selection.TunedThresholdClassifierCV`.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes), dict or callable
        ``cost_matrix[i, j]`` is the cost of predicting ``labels[j]`` when the truth
        is ``labels[i]``; or a dict ``{true_label: {predicted_label: cost}}`` (a
        missing diagonal entry is 0); or a callable of the labels returning
        either.

    labels : array-like of shape (n_classes,), default=None
        The labels in the order of the rows and columns of ``cost_matrix``. If
        None, the labels of a dict ``cost_matrix``, otherwise the sorted union of
        the labels of ``y_true`` and ``y_pred`` in each evaluation: the order of
        ``classes_`` of scikit-learn classifiers, exact as long as every validation
        fold holds every class (stratified splits do). Pass ``labels`` otherwise.

    Returns
    -------
    scorer : callable
        A scorer ``scorer(estimator, X, y, sample_weight=None)`` built by
        :func:`sklearn.metrics.make_scorer` from :func:`mean_cost`.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skweight._costs import make_cost_scorer
    >>> X, y = make_classification(weights=[0.9, 0.1], random_state=0)
    >>> scorer = make_cost_scorer([[0, 1], [10, 0]])
    >>> scores = cross_val_score(LogisticRegression(), X, y, scoring=scorer, cv=3)
    >>> bool((scores <= 0).all())
    True
    """
    if isinstance(cost_matrix, Mapping) or labels is not None:
        if labels is None:
            keys = [*cost_matrix, *(k for row in cost_matrix.values() for k in row)]
            labels = unique_labels(keys)
        labels = np.asarray(labels)
        cost_matrix = _validate_cost_matrix(
            cost_matrix,
            labels,
            param_name="cost_matrix",
            source="labels has",
            warn=True,
        )
    elif not callable(cost_matrix):
        cost_matrix = np.array(cost_matrix, dtype=float, copy=True)
    return make_scorer(
        mean_cost, greater_is_better=False, cost_matrix=cost_matrix, labels=labels
    )
