"""Post-hoc calibration of prior-corrected probabilities (DESIGN §8).

Prior correction, ``p(c|x) ∝ p_w(c|x) / w_c``, is exact only for a network that
learned the weighted posterior; with early stopping and finite capacity it is off.
A map fitted on rows the network did not train on fixes what is left:

* ``"temperature"``: a temperature and a bias on the corrected logits ``z = log p``,
  ``q(c|x) = softmax(z / T + b)_c`` (Guo et al. 2017, temperature and vector scaling).
  For two classes this is Platt scaling of the corrected logit
  ``z = log(p_1 / p_0)``: ``q_1 = σ(a z + b)`` with ``a = 1 / T`` and
  ``b = b_1 - b_0`` (Platt 1999). Fitted by minimising the weighted log loss; a
  temperature without a bias cannot undo a shift of the logits, which is what the
  bias is for. With a handful of minority rows among the calibration rows the
  slope ``1 / T`` is poorly determined, so ``log(1 / T)`` gets a Gaussian prior
  around 0 (a maximum a posteriori fit) whose width, or none, cross-validation
  on the calibration rows picks (:func:`prior_width`): where the rows demand a
  large change of slope, no prior; where they only hint at one, the map stays
  near the identity (``benchmarks/temperature_prior.py``). With 1000 rows or
  more of every class, no prior and no cross-validation.
* ``"isotonic"``: a non-decreasing map of each class's probability (one against
  the rest), renormalised over classes (Zadrozny & Elkan 2002); for two classes,
  one map of ``p_1``.

The maps act on probabilities and return probabilities: they know nothing of the
network, so any classifier's corrected probabilities can be calibrated with them.

References
----------
* Platt, J. (1999). Probabilistic outputs for support vector machines and
  comparisons to regularized likelihood methods.
* Zadrozny, B. & Elkan, C. (2002). Transforming classifier scores into accurate
  multiclass probability estimates. KDD.
* Guo, C., Pleiss, G., Sun, Y. & Weinberger, K. Q. (2017). On calibration of
  modern neural networks. ICML.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from ._checks import require_two_rows_per_class

CALIBRATION_METHODS = ("temperature", "isotonic")

# Probabilities are clipped here before their log is taken: a corrected
# probability of exactly 0 would give an infinite logit.
_TINY = 1e-12
# Bounds of log(1 / T): a temperature in [e^-7, e^7]. On separable calibration
# rows the log loss keeps falling as T -> 0; the bound and the small L2 penalty
# below keep the fit finite and unique.
_LOG_SLOPE_BOUND = 7.0
_L2 = 1e-4
# Widths (standard deviations) of the Gaussian prior on log(1 / T) that
# cross-validation on the calibration rows chooses from; inf is no prior.
# benchmarks/temperature_prior.py measures them.
PRIOR_WIDTHS = (np.inf, 0.4, 0.2, 0.1, 0.05)
_PRIOR_FOLDS = 5
# With this many rows of every class the slope is well determined: no prior,
# and no cross-validation (25 more fits, seconds on a few hundred thousand rows).
_ROWS_WITHOUT_PRIOR = 1000


def logits(proba):
    """The logits ``z = log p`` of probabilities (clipped away from 0).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)

    Returns
    -------
    z : ndarray of shape (n_samples, n_classes)
    """
    return np.log(np.clip(np.asarray(proba, dtype=float), _TINY, 1.0))


def _objective(theta, z, onehot, weight, slope_prior=0.0):
    """Weighted mean log loss of ``softmax(exp(t) z + b)`` and its gradient.

    ``theta = (t, b_0, ..., b_{K-1})`` with ``t = log(1 / T)``, plus
    ``_L2 (t^2 + |b|^2)``, which pulls towards the identity map (T = 1, b = 0),
    plus ``slope_prior t^2``, a Gaussian prior on ``t`` per unit of weight.
    """
    slope, bias = np.exp(theta[0]), theta[1:]
    scores = slope * z + bias
    log_q = log_softmax(scores, axis=1)
    loss = -(weight * (onehot * log_q).sum(axis=1)).sum()
    # d loss / d scores = w_i (q_ic - y_ic)
    residual = weight[:, None] * (np.exp(log_q) - onehot)
    grad_slope = (residual * z).sum()
    grad = np.concatenate([[grad_slope * slope], residual.sum(axis=0)])
    loss += _L2 * (theta @ theta) + slope_prior * theta[0] ** 2
    grad += 2.0 * _L2 * theta
    grad[0] += 2.0 * slope_prior * theta[0]
    return loss, grad


def _fit_map(z, onehot, weight, width):
    """``(log(1 / T), b)`` minimising the weighted log loss plus a Gaussian prior
    of standard deviation ``width`` on ``log(1 / T)`` (inf: none); ``weight``
    counts rows (a weight of 2 is a row counted twice against the prior)."""
    total = weight.sum()
    slope_prior = 0.0 if np.isinf(width) else 1.0 / (2.0 * width**2 * total)
    bounds = [(-_LOG_SLOPE_BOUND, _LOG_SLOPE_BOUND)] + [(-50.0, 50.0)] * z.shape[1]
    result = minimize(_objective, np.zeros(z.shape[1] + 1), jac=True,
                      args=(z, onehot, weight / total, slope_prior),
                      method="L-BFGS-B", bounds=bounds)
    return result.x[0], result.x[1:] - result.x[1:].mean()


def prior_width(z, y_encoded, weight):
    """The width of the prior on ``log(1 / T)`` that cross-validation picks.

    Stratified ``_PRIOR_FOLDS``-fold (fewer when a class has fewer rows) on the
    calibration rows: for each width of ``PRIOR_WIDTHS``, the weighted log loss
    of the held-out rows under maps fitted on the others; the least wins, ties
    going to the wider prior. No prior (inf) when a class has fewer than 2 rows,
    or when every class has ``_ROWS_WITHOUT_PRIOR`` (1000) rows or more.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
        Logits of the corrected probabilities (:func:`logits`).
    y_encoded : ndarray of int of shape (n_samples,)
    weight : ndarray of shape (n_samples,)
        Row weights, as counts of rows.

    Returns
    -------
    width : float
    """
    counts = np.bincount(y_encoded, minlength=z.shape[1])
    n_folds = int(min(_PRIOR_FOLDS, counts[counts > 0].min()))
    if n_folds < 2 or counts.min() >= _ROWS_WITHOUT_PRIOR:
        return np.inf
    onehot = np.eye(z.shape[1])[y_encoded]
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=0).split(
        z, y_encoded)
    losses = np.zeros(len(PRIOR_WIDTHS))
    for fit_rows, held in folds:
        for k, width in enumerate(PRIOR_WIDTHS):
            t, b = _fit_map(z[fit_rows], onehot[fit_rows], weight[fit_rows], width)
            log_q = log_softmax(np.exp(t) * z[held] + b, axis=1)
            losses[k] -= weight[held] @ (onehot[held] * log_q).sum(axis=1)
    return PRIOR_WIDTHS[int(np.argmin(losses))]


@dataclass
class TemperatureCalibrator:
    """``q(c|x) = softmax(log p(c|x) / T + b)_c``; Platt scaling for two classes.

    A dataclass, so that skweight's save format stores it by its fields.

    Parameters
    ----------
    temperature : float, default=1.0
        ``T`` (set by :meth:`fit`); the slope of Platt scaling is ``1 / T``.
    bias : ndarray of shape (n_classes,) or None, default=None
        ``b`` (set by :meth:`fit`), one value per class, centred (only
        differences between classes matter; for two classes Platt's intercept
        is ``bias[1] - bias[0]``).
    """

    temperature: float = 1.0
    bias: np.ndarray | None = None

    def fit(self, proba, y_encoded, sample_weight=None):
        """Fit ``T`` and ``b`` by minimising the weighted log loss, with the
        prior on ``log(1 / T)`` that cross-validation picks (:func:`prior_width`).

        Parameters
        ----------
        proba : ndarray of shape (n_samples, n_classes)
            Corrected probabilities of held-out rows.
        y_encoded : ndarray of int of shape (n_samples,)
            Their classes, as indices into the columns of ``proba``.
        sample_weight : ndarray of shape (n_samples,) or None
            Row weights of the loss, as counts of rows (their total weighs the
            data against the prior); None weighs every row 1.

        Returns
        -------
        self : TemperatureCalibrator
        """
        z = logits(proba)
        y_encoded = np.asarray(y_encoded)
        onehot = np.eye(z.shape[1])[y_encoded]
        weight = np.ones(len(z)) if sample_weight is None else np.asarray(
            sample_weight, dtype=float)
        t, self.bias = _fit_map(z, onehot, weight, prior_width(z, y_encoded, weight))
        self.temperature = float(np.exp(-t))
        return self

    def transform(self, proba):
        """Calibrated probabilities.

        Parameters
        ----------
        proba : ndarray of shape (n_samples, n_classes)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            A new array; rows sum to 1.
        """
        return softmax(logits(proba) / self.temperature + self.bias, axis=1)


@dataclass
class IsotonicCalibrator:
    """Isotonic regression of each class's probability, renormalised.

    Two classes: one non-decreasing map of ``p_1`` and ``q_0 = 1 - q_1``. More
    classes: one map per class (that class against the rest), the results divided
    by their sum; a row whose maps are all 0 gets ``1 / n_classes``, as
    :class:`~sklearn.calibration.CalibratedClassifierCV` does.

    Parameters
    ----------
    regressors : list of IsotonicRegression or None, default=None
        Set by :meth:`fit`: one for two classes, else one per class.
    """

    regressors: list | None = None

    def fit(self, proba, y_encoded, sample_weight=None):
        """Fit the maps on held-out rows (see :meth:`TemperatureCalibrator.fit`).

        Returns
        -------
        self : IsotonicCalibrator
        """
        proba = np.asarray(proba, dtype=float)
        columns = [1] if proba.shape[1] == 2 else range(proba.shape[1])
        self.regressors = [
            IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
                proba[:, c], (y_encoded == c).astype(float), sample_weight=sample_weight
            )
            for c in columns
        ]
        return self

    def transform(self, proba):
        """Calibrated probabilities (see :meth:`TemperatureCalibrator.transform`)."""
        proba = np.asarray(proba, dtype=float)
        if proba.shape[1] == 2:
            positive = self.regressors[0].predict(proba[:, 1])
            return np.column_stack([1.0 - positive, positive])
        mapped = np.column_stack([regressor.predict(proba[:, c])
                                  for c, regressor in enumerate(self.regressors)])
        total = mapped.sum(axis=1, keepdims=True)
        uniform = np.full_like(mapped, 1.0 / mapped.shape[1])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, mapped / total, uniform)


def fit_calibrator(method, proba, y_encoded, sample_weight=None):
    """Fit the calibration map ``method`` on held-out probabilities.

    Parameters
    ----------
    method : {"temperature", "isotonic"}
        The map (see the module docstring).
    proba : ndarray of shape (n_samples, n_classes)
        Prior-corrected probabilities of rows the model did not train on.
    y_encoded : ndarray of int of shape (n_samples,)
        Their classes, as column indices of ``proba``.
    sample_weight : ndarray of shape (n_samples,) or None
        Row weights of the fit (not class weights: the target is the honest
        probability).

    Returns
    -------
    calibrator : TemperatureCalibrator or IsotonicCalibrator
        Fitted; ``calibrator.transform(proba)`` gives calibrated probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p1 = rng.uniform(0.01, 0.5, 4000)  # over-confident: the truth is p1 / 2
    >>> y = (rng.uniform(size=4000) < p1 / 2).astype(int)
    >>> proba = np.column_stack([1 - p1, p1])
    >>> calibrator = fit_calibrator("temperature", proba, y)
    >>> bool(calibrator.transform(proba)[:, 1].mean() < p1.mean())
    True
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(
            f"calibration={method!r} is not a calibration method; use one of "
            f"{list(CALIBRATION_METHODS)} or None."
        )
    if sample_weight is not None and not np.sum(sample_weight) > 0:
        raise ValueError(
            "the calibration rows have a total sample_weight of 0, so there is "
            "nothing to calibrate on; give them positive weights, use another "
            "random_state for the split, or pass calibration=None."
        )
    calibrator = TemperatureCalibrator() if method == "temperature" else (
        IsotonicCalibrator())
    return calibrator.fit(np.asarray(proba, dtype=float), np.asarray(y_encoded),
                          sample_weight)


def calibration_split(y_encoded, classes, fraction, seed):
    """Row indices to train on and to calibrate on: a stratified split.

    Parameters
    ----------
    y_encoded : ndarray of int of shape (n_samples,)
        Classes of the training rows, as indices into ``classes``.
    classes : ndarray of shape (n_classes,)
        The labels, for messages.
    fraction : float
        Share of the rows held out for calibration (``calibration_fraction``).
    seed : int
        Seed of the split.

    Returns
    -------
    train_rows, calibration_rows : ndarray of int
    """
    require_two_rows_per_class(
        y_encoded, classes, "calibration holds out a stratified "
        "calibration_fraction of the rows", "Pass calibration=None")
    try:
        return train_test_split(np.arange(len(y_encoded)), test_size=fraction,
                                stratify=y_encoded, random_state=seed)
    except ValueError as exc:
        raise ValueError(
            f"calibration_fraction={fraction!r} leaves no room for a stratified "
            f"split of {len(y_encoded)} rows and {len(classes)} classes ({exc}); "
            "raise calibration_fraction or pass calibration=None."
        ) from exc


def cross_fit_rows(y_encoded, classes, n_folds, seed):
    """Each member's rows to train on and to hold out: stratified folds.

    Member ``k`` holds out fold ``k`` (for early stopping and as its
    calibration rows) and trains on the others, so every training row is held
    out by exactly one member. A class with fewer rows than folds is missing
    from some folds; with at least 2 rows, every member still trains on it.

    Parameters
    ----------
    y_encoded : ndarray of int of shape (n_samples,)
        Classes of the training rows, as indices into ``classes``.
    classes : ndarray of shape (n_classes,)
        The labels, for messages.
    n_folds : int
        ``n_members``, at least 2.
    seed : int or None
        Seed of the shuffle before the folds are cut.

    Returns
    -------
    rows : list of (train_rows, held_out_rows)
        One pair of index arrays per member.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0] * 6 + [1] * 3)
    >>> rows = cross_fit_rows(y, np.array(["a", "b"]), 3, seed=0)
    >>> sorted(np.concatenate([held for _, held in rows]).tolist()) == list(range(9))
    True
    >>> [int(y[held].sum()) for _, held in rows]
    [1, 1, 1]
    """
    require_two_rows_per_class(
        y_encoded, classes, "cross_fit=True trains each member on all folds but one",
        "Pass cross_fit=False")
    if len(y_encoded) < n_folds:
        raise ValueError(
            f"cross_fit=True cuts the {len(y_encoded)} training rows into "
            f"n_members={n_folds} folds, one per member; lower n_members or pass "
            "cross_fit=False."
        )
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # "The least populated class in y has only ... members": expected, and
        # said in the docstring (such a class is missing from some folds).
        warnings.filterwarnings("ignore", message="The least populated class",
                                category=UserWarning)
        return list(folds.split(np.zeros(len(y_encoded)), y_encoded))
