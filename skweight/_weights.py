"""Class-weight schemes: from the training labels to per-class and per-row weights.

Every scheme (DESIGN §1) maps the class counts ``n_c`` (or, with sample weights,
the summed sample weight of each class) to one weight per class:

* ``"balanced"``: ``w_c = n / (K n_c)`` (King & Zeng 2001; scikit-learn);
* ``"majority"``: ``w_c = n_max / n_c``;
* ``"inverse_sqrt"``: ``w_c ∝ n_c ** -0.5``;
* ``"log_inverse"``: ``w_c ∝ log(n / n_c)``;
* ``"effective_number"`` or :class:`EffectiveNumber`: ``w_c ∝ (1 - β) / (1 - β ** n_c)``
  (Cui et al., CVPR 2019);
* ``"cost"``: ``w_c ∝ Σ_j C[c, j]``, from a cost matrix;
* a dict keyed by the original labels, used as given;
* a callable of ``y`` returning such a dict (or an array in class order).

All schemes but a user dict are scaled so that the mean per-row weight over the
training set is 1, as ``"balanced"`` already is, so a learning rate tuned without
weights still fits.
"""

import numbers
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ._checks import check_row_weights
from ._cost_matrix import check_cost_matrix, label_indices

SCHEMES = (
    "balanced",
    "majority",
    "inverse_sqrt",
    "log_inverse",
    "effective_number",
    "cost",
)


class EffectiveNumber:
    """Class weights from the effective number of samples (Cui et al., CVPR 2019).

    ``w_c ∝ (1 - beta) / (1 - beta ** n_c)``: with ``beta = 0`` every class weighs
    the same; as ``beta`` tends to 1 the weights tend to ``1 / n_c``.

    Parameters
    ----------
    beta : float, default=0.999
        Hyper-parameter in ``[0, 1)``.

    Examples
    --------
    >>> from skweight import EffectiveNumber, compute_class_weights
    >>> weights = compute_class_weights(EffectiveNumber(beta=0.9), ["a"] * 9 + ["b"])
    >>> {label: round(w, 3) for label, w in weights.items()}
    {'a': 0.661, 'b': 4.05}
    """

    def __init__(self, beta=0.999):
        self.beta = beta

    def __repr__(self):
        return f"EffectiveNumber(beta={self.beta!r})"

    def __eq__(self, other):
        return isinstance(other, EffectiveNumber) and other.beta == self.beta

    def __hash__(self):
        return hash(("EffectiveNumber", self.beta))

    def raw_weights(self, counts):
        """Unnormalised weights for the given per-class counts."""
        beta = self.beta
        if not (
            isinstance(beta, numbers.Real) and not isinstance(beta, bool)
        ) or not 0 <= beta < 1:
            raise ValueError(
                f"EffectiveNumber(beta={beta!r}) is invalid: beta must be a float "
                "in [0, 1), e.g. 0.999 (Cui et al. 2019)."
            )
        return (1.0 - beta) / (1.0 - np.power(beta, counts))


def reject_negative_weights(sample_weight):
    """Raise unless every row weight is >= 0, naming the first offending rows.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,)
        Validated, finite row weights.
    """
    negative = np.flatnonzero(sample_weight < 0)
    if len(negative):
        shown = negative[:5].tolist()
        raise ValueError(
            f"sample_weight has negative weights at rows {shown!r}"
            f"{' ...' if len(negative) > 5 else ''} (e.g. "
            f"{float(sample_weight[negative[0]])!r}); weights must be >= 0. Drop "
            "such rows or give them weight 0."
        )


def checked_sample_weight(sample_weight, n_rows, n_name="y"):
    """``sample_weight`` as finite, non-negative float64 row weights.

    The checks of a fit (:func:`~skweight._checks.check_row_weights`, then
    :func:`reject_negative_weights`) for the functions that take row weights
    outside one: the class-weight schemes, the per-row cost weights and the cost
    metrics. None gives ones.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        The row weights (a number: the weight of every row).
    n_rows : int
        The number of rows they must match.
    n_name : str, default="y"
        The data those rows belong to, for the message.

    Returns
    -------
    sample_weight : ndarray of shape (n_rows,)
        A new array.
    """
    weights = check_row_weights(sample_weight, n_rows, n_name=n_name)
    reject_negative_weights(weights)
    return weights


def class_counts(y_encoded, n_classes, sample_weight=None):
    """Number of rows of each class, or their share of the sample weight.

    With ``sample_weight`` the counts are the summed weights of each class,
    scaled to total the number of rows: only the ratios of the weights matter,
    so ``c * sample_weight`` gives the same counts (and class weights) for any
    ``c > 0``, the effective-number scheme included.

    Parameters
    ----------
    y_encoded : ndarray of shape (n_samples,)
        Class indices in ``range(n_classes)``.
    n_classes : int
        Number of classes.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the rows.

    Returns
    -------
    counts : ndarray of shape (n_classes,), float
    """
    counts = np.bincount(y_encoded, weights=sample_weight,
                         minlength=n_classes).astype(float)
    if sample_weight is not None:
        total = counts.sum()
        if total > 0:
            counts *= len(y_encoded) / total
    return counts


def _raw_scheme_weights(scheme, counts, cost_matrix):
    total = counts.sum()
    if scheme == "balanced":
        return total / (len(counts) * counts)
    if scheme == "majority":
        return counts.max() / counts
    if scheme == "inverse_sqrt":
        return 1.0 / np.sqrt(counts)
    if scheme == "log_inverse":
        return np.log(total / counts)
    if scheme == "effective_number":
        return EffectiveNumber().raw_weights(counts)
    if scheme == "cost":
        if cost_matrix is None:
            raise ValueError(
                "class_weight='cost' needs a cost matrix: pass cost_matrix "
                "(rows = true class, columns = predicted class), or choose another "
                f"scheme among {list(SCHEMES)}."
            )
        return np.asarray(cost_matrix, dtype=float).sum(axis=1)
    raise ValueError(
        f"class_weight={scheme!r} is not a known scheme; use one of "
        f"{list(SCHEMES)}, a dict keyed by the class labels, or a callable of y."
    )


def _weights_from_mapping(mapping, classes, param):
    labels = list(mapping)
    unknown = [label for label in labels if label not in set(classes.tolist())]
    if unknown:
        raise ValueError(
            f"{param} has keys {unknown!r} that are not labels of y; the classes "
            f"are {classes.tolist()!r}. Key the dict by the original labels."
        )
    # Classes left out of a user dict weigh 1, as in scikit-learn.
    weights = []
    for label in classes.tolist():
        value = mapping.get(label, 1.0)
        try:
            weights.append(float(value))
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{param} gives class {label!r} the weight {value!r}, which is not "
                "a number; give every class a finite number > 0, or leave the "
                "class out of the dict (it then weighs 1)."
            ) from exc
    return np.array(weights)


def _is_series(value):
    """A pandas Series, recognised without importing pandas."""
    return hasattr(value, "index") and hasattr(value, "to_dict") and not hasattr(
        value, "columns"
    )


def resolve_class_weight(
    class_weight, y, classes, counts, *, cost_matrix=None, param="class_weight"
):
    """Turn a ``class_weight`` specification into one weight per class.

    Parameters
    ----------
    class_weight : None, str, dict, EffectiveNumber or callable
        The specification (see the module docstring).
    y : ndarray of shape (n_samples,)
        The original training labels, handed to a callable.
    classes : ndarray of shape (n_classes,)
        Sorted class labels; the order of the result.
    counts : ndarray of shape (n_classes,)
        Per-class counts (or summed sample weights) used by the schemes.
    cost_matrix : ndarray of shape (n_classes, n_classes), default=None
        Validated cost matrix, for the ``"cost"`` scheme.
    param : str, default="class_weight"
        Parameter name used in error messages.

    Returns
    -------
    weights : ndarray of shape (n_classes,)
        Positive, finite weights in the order of ``classes``.
    """
    if class_weight is None:
        return np.ones(len(classes))
    if _is_series(class_weight):  # read by label, as a dict
        class_weight = class_weight.to_dict()
    normalise = True
    if isinstance(class_weight, str):
        weights = _raw_scheme_weights(class_weight, counts, cost_matrix)
    elif isinstance(class_weight, EffectiveNumber):
        weights = class_weight.raw_weights(counts)
    elif isinstance(class_weight, Mapping):
        weights = _weights_from_mapping(class_weight, classes, param)
        normalise = False
    elif isinstance(class_weight, Callable):
        result = class_weight(y)
        if isinstance(result, Mapping):
            weights = _weights_from_mapping(result, classes, f"{param}(y)")
        else:
            weights = np.asarray(result, dtype=float)
            if weights.shape != (len(classes),):
                raise ValueError(
                    f"{param}(y) returned an array of shape {weights.shape}; return "
                    f"a dict keyed by the labels or an array of shape "
                    f"({len(classes)},) in the order {classes.tolist()!r}."
                )
    else:
        raise TypeError(
            f"{param} must be None, one of {list(SCHEMES)}, a dict keyed by the "
            f"class labels, EffectiveNumber(beta) or a callable of y; got "
            f"{class_weight!r} of type {type(class_weight).__name__}."
        )
    weights = np.asarray(weights, dtype=float)
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        bad = {
            label: float(w)
            for label, w in zip(classes.tolist(), weights, strict=True)
            if not (np.isfinite(w) and w > 0)
        }
        raise ValueError(
            f"{param}={class_weight!r} gives non-positive or non-finite weights "
            f"{bad!r}; every class weight must be a finite number > 0 (drop a class "
            "from the data rather than giving it weight 0)."
        )
    if normalise:
        # Mean per-row weight of 1 over the training set, so learning rates transfer.
        weights = weights * counts.sum() / np.dot(weights, counts)
    return weights


def compute_class_weights(class_weight, y, *, sample_weight=None, cost_matrix=None):
    """Per-class weights of a scheme, keyed by the original labels.

    Parameters
    ----------
    class_weight : None, str, dict, EffectiveNumber or callable
        ``"balanced"``, ``"majority"``, ``"inverse_sqrt"``, ``"log_inverse"``,
        ``"effective_number"``, ``"cost"`` (needs ``cost_matrix``), a dict keyed by
        the labels, :class:`EffectiveNumber` or a callable of ``y``.
    y : array-like of shape (n_samples,)
        Training labels (strings allowed).
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights: the schemes then use the summed weight of each class.
    cost_matrix : array-like of shape (n_classes, n_classes), DataFrame or dict, \
            default=None
        ``C[i, j]`` = cost of predicting class j when the truth is class i, in the
        order of the sorted labels (a labelled DataFrame or a dict is read by
        label); used by ``"cost"``. Validated as by
        :func:`~skweight.check_cost_matrix`.

    Returns
    -------
    weights : dict
        ``{label: weight}``, in the order of the sorted labels.

    Examples
    --------
    >>> from skweight import compute_class_weights
    >>> y = ["ok"] * 95 + ["fraud"] * 5
    >>> compute_class_weights("balanced", y)
    {'fraud': 10.0, 'ok': 0.526...}
    """
    y = np.asarray(y)
    missing = np.flatnonzero(pd.isna(y)) if y.ndim == 1 else []
    if len(missing):
        raise ValueError(
            f"y has {len(missing)} missing label(s) (None or NaN, first at row "
            f"{missing[0]}); class weights need a label on every row. Drop those "
            "rows, or fill them with a label."
        )
    classes, y_encoded = np.unique(y, return_inverse=True)
    if cost_matrix is not None:
        cost_matrix = check_cost_matrix(cost_matrix, classes)
        if cost_matrix.ndim == 3:
            raise ValueError(
                "compute_class_weights got per-row costs of shape "
                f"{cost_matrix.shape}; they give one weight per row, not per class: "
                "use skweight.row_cost_weights(cost_matrix, y) instead."
            )
    sw = None
    if sample_weight is not None:
        sw = checked_sample_weight(sample_weight, len(y))
    counts = class_counts(y_encoded, len(classes), sw)
    weights = resolve_class_weight(
        class_weight, y, classes, counts, cost_matrix=cost_matrix
    )
    return dict(zip(classes.tolist(), weights.tolist(), strict=True))


def row_cost_weights(cost_matrix, y, *, classes=None, sample_weight=None):
    """Cost-proportionate row weights from per-row costs (Zadrozny et al. 2003).

    Training on rows weighted by what misclassifying them costs makes an
    ordinary learner minimise the expected per-row cost. Row ``r`` of true class
    ``y_r`` weighs the cost of its error, ``C_r[y_r, 1 - y_r] - C_r[y_r, y_r]`` for
    two classes; with more classes the mean of ``C_r[y_r, j] - C_r[y_r, y_r]``
    over the wrong labels ``j``. Negative regrets count 0. The weights are
    multiplied by ``sample_weight`` and scaled to a mean of 1, so learning rates
    transfer; the caller's arrays are not modified.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_samples, n_classes, n_classes)
        Each row's costs, rows = true class, columns = predicted class, in the
        order of ``classes``.

    y : array-like of shape (n_samples,)
        True labels.

    classes : array-like of shape (n_classes,), default=None
        The labels in the order of the costs; None: the sorted labels of ``y``.

    sample_weight : array-like of shape (n_samples,), default=None
        Row weights to compose with.

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Non-negative row weights with mean 1.

    Raises
    ------
    ValueError
        If the costs are invalid (see :func:`~skweight.check_cost_matrix`) or
        every row costs nothing to misclassify.

    References
    ----------
    Zadrozny, B., Langford, J., & Abe, N. (2003). Cost-sensitive learning by
    cost-proportionate example weighting. *ICDM*, 435-442.

    Examples
    --------
    >>> from skweight import binary_cost_matrix, row_cost_weights
    >>> costs = binary_cost_matrix(fp=1.0, fn=[4.0, 4.0, 10.0])
    >>> row_cost_weights(costs, [0, 1, 1])
    array([0.2, 0.8, 2. ])
    """
    y = np.asarray(y)
    classes = np.unique(y) if classes is None else np.asarray(classes)
    costs = check_cost_matrix(cost_matrix, classes, n_samples=len(y))
    if costs.ndim != 3:
        raise ValueError(
            f"row_cost_weights needs per-row costs of shape ({len(y)}, "
            f"{len(classes)}, {len(classes)}); got shape {costs.shape}. For one "
            "matrix for every row use class_weight='cost'."
        )
    y_idx = label_indices(classes, y, name="y")
    rows = np.arange(len(y))
    own = costs[rows, y_idx]  # (n, K): what row r pays for each prediction
    regret = np.maximum(own - own[rows, y_idx][:, None], 0.0)
    weights = regret.sum(axis=1) / (len(classes) - 1)
    if sample_weight is not None:
        weights = weights * checked_sample_weight(sample_weight, len(y))
    total = weights.sum()
    if not total > 0:
        raise ValueError(
            "cost_matrix gives every row a zero cost of misclassification, so "
            "cost-proportionate weights are all 0; check the per-row costs "
            "(rows = true class, columns = predicted class)."
        )
    return weights * len(weights) / total


def class_weights_of_rows(row_weight, y_encoded, counts):
    """Per-class weights implied by row weights: their mean within each class.

    ``w_c = sum_{r in c} row_weight_r / counts_c``, so that ``w_c * counts_c`` is
    the total training weight of class ``c``: the weights the prior correction
    and the output bias use after cost-proportionate training.

    Parameters
    ----------
    row_weight : ndarray of shape (n_samples,)
        The training weight of each row (sample weight included).

    y_encoded : ndarray of shape (n_samples,)
        Class indices of the rows.

    counts : ndarray of shape (n_classes,)
        Per-class counts (summed sample weights).

    Returns
    -------
    weights : ndarray of shape (n_classes,)
        Positive, finite class weights.

    Raises
    ------
    ValueError
        If a class gets a total weight of 0.
    """
    totals = np.bincount(y_encoded, weights=row_weight, minlength=len(counts))
    weights = totals / counts
    if not np.all(np.isfinite(weights) & (weights > 0)):
        empty = np.flatnonzero(~(np.isfinite(weights) & (weights > 0))).tolist()
        raise ValueError(
            f"cost_matrix gives the classes at positions {empty!r} a zero total "
            "cost of misclassification, so cost-proportionate training would not "
            "see them; every class needs rows whose errors cost something."
        )
    return weights


def cost_proportionate_weights(
    row_costs, y_encoded, classes, counts, *, class_weight=None, sample_weight=None
):
    """Row weights and class weights for training with per-row costs.

    The row weights are :func:`row_cost_weights` (composed with
    ``sample_weight``); the class weights, used by the prior correction and the
    output bias, are their per-class means (:func:`class_weights_of_rows`).

    Parameters
    ----------
    row_costs : array-like of shape (n_samples, n_classes, n_classes)
        Each training row's costs, in the order of ``classes``.

    y_encoded : ndarray of shape (n_samples,)
        Class indices of the rows.

    classes : ndarray of shape (n_classes,)
        The class labels.

    counts : ndarray of shape (n_classes,)
        Per-class counts (summed sample weights).

    class_weight : None or str, default=None
        The estimator's ``class_weight``: per-row costs replace it, so only None
        and ``"cost"`` are accepted.

    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights to compose with.

    Returns
    -------
    row_weight : ndarray of shape (n_samples,)
        A new array.

    class_weights : ndarray of shape (n_classes,)
    """
    if not (class_weight is None or (isinstance(class_weight, str)
                                     and class_weight == "cost")):
        raise ValueError(
            "per-row costs passed to fit train by cost-proportionate row weights, "
            f"which replace class_weight, but class_weight={class_weight!r}; set "
            "class_weight=None (or 'cost'), or do not pass cost_matrix to fit."
        )
    row_weight = row_cost_weights(
        row_costs, classes[y_encoded], classes=classes, sample_weight=sample_weight
    )
    return row_weight, class_weights_of_rows(row_weight, y_encoded, counts)
