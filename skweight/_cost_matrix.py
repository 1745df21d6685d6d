"""Cost matrices: one per problem or one per row, from arrays, frames and dicts.

Convention everywhere: ``cost_matrix[i, j]`` is the cost of predicting class ``j``
when the true class is ``i`` (rows = truth, columns = prediction, the orientation of
:func:`sklearn.metrics.confusion_matrix`), with rows and columns in the order of
``classes_``. Example-dependent costs are one such matrix per row, shape
``(n_samples, n_classes, n_classes)``.

References
----------
Elkan, C. (2001). The foundations of cost-sensitive learning. In *Proceedings of the
17th International Joint Conference on Artificial Intelligence (IJCAI)*, 973-978.
"""

import warnings
from collections.abc import Mapping

import numpy as np

from ._messages import short_repr

# Costs are summed over classes and over (weighted) rows: below this bound, sums
# of up to 10^8 of them stay finite in float64 (whose largest number is 1.8e308).
MAX_COST = 1e300


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



def _reject_huge_costs(costs, param_name):
    """Raise if the costs are so large that their sums would overflow."""
    largest = float(costs.max()) if costs.size else 0.0
    if largest > MAX_COST:
        raise ValueError(
            f"{param_name} has costs up to {largest:.3g}, too large to add up in "
            "float64 (expected and total costs would overflow to inf); only the "
            "ratios of the costs matter to a decision, so divide every cost by the "
            f"same number, e.g. by {largest:.0e}, to keep them below {MAX_COST:.0e}."
        )


def _is_frame(value):
    """A pandas DataFrame, recognised without importing pandas."""
    return hasattr(value, "columns") and hasattr(value, "index") and hasattr(
        value, "to_numpy"
    )


def _is_positional(index):
    return list(index) == list(range(len(index)))


def _matrix_from_frame(frame, classes, param_name):
    """Read a labelled DataFrame by label; a frame with a 0..K-1 index by position."""
    labels = _as_list(classes)
    index, columns = list(frame.index), list(frame.columns)
    if _is_positional(index) and _is_positional(columns) and labels != index:
        return np.array(frame.to_numpy(), dtype=float, copy=True)
    if sorted(map(repr, index)) != sorted(map(repr, labels)) or sorted(
        map(repr, columns)
    ) != sorted(map(repr, labels)):
        raise ValueError(
            f"{param_name} is a DataFrame with index {short_repr(index)} and "
            f"columns {short_repr(columns)}, but the classes are {labels!r}; label "
            "its index (true class) and columns (predicted class) with exactly "
            "these classes, or pass a plain array in the order of the classes."
        )
    position = {repr(label): i for i, label in enumerate(labels)}
    rows = [position[repr(label)] for label in index]
    cols = [position[repr(label)] for label in columns]
    values = np.array(frame.to_numpy(), dtype=float, copy=True)
    matrix = np.empty((len(labels), len(labels)))
    matrix[np.ix_(rows, cols)] = values
    return matrix


def _check_row_costs(costs, classes, n_samples, param_name, n_name):
    """Validate per-row costs, shape (n_samples, n_classes, n_classes)."""
    n_classes = len(classes)
    if costs.shape[1:] != (n_classes, n_classes):
        raise ValueError(
            f"{param_name} has shape {costs.shape} but there are {n_classes} classes "
            f"{_as_list(classes)!r}; example-dependent costs need shape "
            f"(n_samples, n_classes, n_classes) = (n_samples, {n_classes}, "
            f"{n_classes}): one matrix per row, rows = true class, columns = "
            "predicted class."
        )
    if n_samples is not None and len(costs) != n_samples:
        raise ValueError(
            f"{param_name} holds {len(costs)} per-row cost matrices but {n_name} has "
            f"{n_samples} rows; example-dependent costs need shape (n_samples, "
            f"n_classes, n_classes) = ({n_samples}, {n_classes}, {n_classes}), one "
            "matrix per row, in the order of the rows."
        )
    bad_rows = np.flatnonzero(~np.all(np.isfinite(costs), axis=(1, 2)))
    if len(bad_rows):
        raise ValueError(
            f"{param_name} has non-finite costs in rows "
            f"{short_repr(bad_rows.tolist())}; every cost must be a finite number "
            ">= 0."
        )
    bad_rows = np.flatnonzero(np.any(costs < 0, axis=(1, 2)))
    if len(bad_rows):
        raise ValueError(
            f"{param_name} has negative costs in rows "
            f"{short_repr(bad_rows.tolist())}; costs must be >= 0 (state a benefit "
            "as a cost of 0 and a larger cost for the other decision)."
        )
    _reject_huge_costs(costs, param_name)
    return costs


def validate_cost_matrix(
    cost_matrix,
    classes,
    *,
    param_name="cost_matrix",
    source="y has",
    warn=True,
    n_samples=None,
    n_name="X",
):
    """The validation behind :func:`check_cost_matrix`, with its wording options.

    ``source`` completes "but ... 2 classes" in the shape error (e.g. ``"labels
    has"``), ``warn`` turns the :class:`UnreasonableCostWarning` checks on and
    ``n_name`` names the data whose rows per-row costs must match.
    """
    classes = np.asarray(classes)
    if callable(cost_matrix):
        cost_matrix = cost_matrix(classes.copy())
        param_name = f"{param_name}(classes)"
    n_classes = len(classes)
    expected = f"a ({n_classes}, {n_classes}) matrix"
    if isinstance(cost_matrix, Mapping):
        matrix = _matrix_from_dict(cost_matrix, classes, param_name)
    elif _is_frame(cost_matrix):
        matrix = _matrix_from_frame(cost_matrix, classes, param_name)
    else:
        try:
            matrix = np.array(cost_matrix, dtype=float, copy=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{param_name} must be {expected} of numbers, a dict "
                "{true_label: {predicted_label: cost}}, a callable of the classes, "
                "or an array of shape (n_samples, n_classes, n_classes) of per-row "
                f"costs; got {short_repr(cost_matrix)}."
            ) from exc
        if matrix.ndim == 3:
            return _check_row_costs(matrix, classes, n_samples, param_name, n_name)
        if matrix.shape != (n_classes, n_classes):
            raise ValueError(
                f"{param_name} has shape {matrix.shape} but {source} {n_classes} "
                f"classes {_as_list(classes)!r}; pass {expected} with rows = true "
                "class, columns = predicted class (or one such matrix per row, "
                f"shape (n_samples, {n_classes}, {n_classes}))."
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
    _reject_huge_costs(matrix, param_name)
    if not np.any(matrix):
        raise ValueError(
            f"{param_name} is all zeros, so every decision would cost nothing; put "
            "the cost of each error off the diagonal, e.g. "
            f"1 - numpy.eye({n_classes}) for the 0-1 loss."
        )
    if warn:
        _warn_if_unreasonable(matrix, classes, param_name)
    return matrix


def check_cost_matrix(
    cost_matrix, classes, *, n_samples=None, param_name="cost_matrix"
):
    """Validate a cost matrix, or one per row, and return it as a float array.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes), DataFrame, dict, \
            callable or array-like of shape (n_samples, n_classes, n_classes)
        ``cost_matrix[i, j]`` is the cost of predicting ``classes[j]`` when the true
        class is ``classes[i]`` (rows = truth, columns = prediction). Either an
        array-like in the order of ``classes``; a pandas DataFrame whose index
        (true class) and columns (predicted class) are the labels, read by label
        (a DataFrame with the default ``0..K-1`` index is read by position); a dict
        of dicts keyed by the labels ``{true_label: {predicted_label: cost}}`` (a
        missing diagonal entry is 0, a missing error is an error); a callable
        taking ``classes`` and returning one of these; or a 3-d array of
        example-dependent costs, ``cost_matrix[n]`` being row ``n``'s own matrix
        (see :func:`binary_cost_matrix` for the common binary form).

    classes : array-like of shape (n_classes,)
        The class labels, in the order of the rows and columns.

    n_samples : int, default=None
        The number of rows per-row costs must have (that of ``X``). None skips
        this check; a single matrix is accepted whatever ``n_samples``.

    param_name : str, default="cost_matrix"
        Name used in error messages.

    Returns
    -------
    cost_matrix : ndarray of shape (n_classes, n_classes) or \
            (n_samples, n_classes, n_classes)
        A new float array; the caller's object is not modified.

    Raises
    ------
    ValueError
        If the shape does not match the classes or ``n_samples``, a cost is
        negative or not finite, every cost of a single matrix is zero, a dict or a
        DataFrame names labels that are not classes, or a dict lacks the cost of
        an error.

    Warns
    -----
    UnreasonableCostWarning
        If a correct prediction costs more than an error in the same row, or a
        column is dominated by another (that class would never be predicted).
        Single matrices only: per-row costs are not checked for this.

    Examples
    --------
    >>> import pandas as pd
    >>> from skweight import check_cost_matrix
    >>> check_cost_matrix({"neg": {"pos": 1}, "pos": {"neg": 5}}, ["neg", "pos"])
    array([[0., 1.],
           [5., 0.]])
    >>> frame = pd.DataFrame([[0, 1], [10, 0]], index=["ok", "fraud"],
    ...                      columns=["ok", "fraud"])
    >>> check_cost_matrix(frame, ["fraud", "ok"])  # read by label
    array([[ 0., 10.],
           [ 1.,  0.]])
    >>> check_cost_matrix([[[0, 1], [5, 0]], [[0, 2], [9, 0]]], [0, 1], n_samples=2)
    array([[[0., 1.],
            [5., 0.]],
    <BLANKLINE>
           [[0., 2.],
            [9., 0.]]])
    """
    return validate_cost_matrix(
        cost_matrix,
        classes,
        param_name=param_name,
        source="y has",
        warn=True,
        n_samples=n_samples,
    )


def _binary_cost_part(value, name):
    try:
        part = np.array(value, dtype=float, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a number or a 1-d array of per-row costs; got "
            f"{short_repr(value)}."
        ) from exc
    if part.ndim > 1:
        raise ValueError(
            f"{name} has shape {part.shape}; pass a number or a 1-d array with one "
            "cost per row."
        )
    if not np.all(np.isfinite(part)) or np.any(part < 0):
        bad = np.flatnonzero(~(np.isfinite(part) & (part >= 0)).ravel())
        where = "" if part.ndim == 0 else f" in rows {short_repr(bad.tolist())}"
        raise ValueError(
            f"{name} has negative or non-finite costs{where}; costs must be finite "
            "numbers >= 0."
        )
    return part


def binary_cost_matrix(*, fp, fn, tp=0.0, tn=0.0):
    """Binary cost matrix from the cost of each outcome, scalars or one per row.

    The usual way to state example-dependent costs (Bahnsen et al. 2014): a false
    alarm costs a fixed fee, a miss costs the row's amount. Class 0 is the negative
    class ``classes_[0]``, class 1 the positive ``classes_[1]``.

    Parameters
    ----------
    fp : float or array-like of shape (n_samples,)
        Cost of a false positive: predicting class 1 when the truth is class 0,
        ``C[0, 1]``.

    fn : float or array-like of shape (n_samples,)
        Cost of a false negative: predicting class 0 when the truth is class 1,
        ``C[1, 0]``.

    tp : float or array-like of shape (n_samples,), default=0.0
        Cost of a true positive, ``C[1, 1]`` (e.g. an administrative cost).

    tn : float or array-like of shape (n_samples,), default=0.0
        Cost of a true negative, ``C[0, 0]``.

    Returns
    -------
    cost_matrix : ndarray of shape (2, 2) or (n_samples, 2, 2)
        ``[[tn, fp], [fn, tp]]``: one matrix if every argument is a scalar, else
        one per row (scalars are repeated).

    Raises
    ------
    ValueError
        If a cost is negative or not finite, an array is not 1-d, or the arrays
        have different lengths.

    References
    ----------
    Bahnsen, A. C., Aouada, D., & Ottersten, B. (2014). Example-dependent
    cost-sensitive logistic regression for credit scoring. *ICMLA*, 263-269.

    Examples
    --------
    >>> from skweight import binary_cost_matrix
    >>> binary_cost_matrix(fp=1, fn=5)
    array([[0., 1.],
           [5., 0.]])
    >>> binary_cost_matrix(fp=2.0, fn=[100.0, 30.0]).shape
    (2, 2, 2)
    """
    parts = {
        name: _binary_cost_part(value, name)
        for name, value in {"tn": tn, "fp": fp, "fn": fn, "tp": tp}.items()
    }
    lengths = {name: len(part) for name, part in parts.items() if part.ndim == 1}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"the per-row costs have different lengths {lengths!r}; pass arrays with "
            "one cost per row, all of the same length, or scalars."
        )
    if not lengths:
        return np.array([[parts["tn"], parts["fp"]], [parts["fn"], parts["tp"]]])
    n_samples = next(iter(lengths.values()))
    tn, fp, fn, tp = (np.broadcast_to(part, (n_samples,)) for part in parts.values())
    return np.stack([np.stack([tn, fp], axis=1), np.stack([fn, tp], axis=1)], axis=1)
