"""Deployment priors: probabilities for a class mix unlike the training one (DESIGN §9).

* Known new priors π' (Saerens, Latinne & Decaestecker 2002):
  ``p'(c|x) ∝ p(c|x) π'_c / π_c``, renormalised over classes.
* Unknown new priors, from unlabelled deployment rows:

  - EM (Saerens et al. 2002): start at π; E-step the shifted probabilities
    ``p'(c|x_i)`` under the current estimate; M-step ``π'_c = mean_i p'(c|x_i)``;
    stop when no prior changes by more than ``tol``. It needs calibrated
    probabilities (Alexandari, Kundaje & Shrikumar 2020).
  - BBSE, black-box shift estimation (Lipton, Wang & Smola 2018): with the joint
    confusion matrix ``C[i, j] = P(predict i, truth j)`` of held-out training rows
    and the mean prediction ``μ_i`` on the deployment rows, solve ``C v = μ`` for
    the ratios ``v_j = π'_j / π_j``, clip them at 0 and renormalise. Here the
    "predictions" are probabilities (the soft confusion matrix), which keeps ``C``
    well conditioned when a rare class is seldom the argmax.

References
----------
* Saerens, M., Latinne, P. & Decaestecker, C. (2002). Adjusting the outputs of a
  classifier to new a priori probabilities: a simple procedure. Neural
  Computation 14(1).
* Lipton, Z., Wang, Y.-X. & Smola, A. (2018). Detecting and correcting for label
  shift with black box predictors. ICML.
* Alexandari, A., Kundaje, A. & Shrikumar, A. (2020). Maximum likelihood with
  bias-corrected calibration is hard-to-beat at label shift adaptation. ICML.
"""

import warnings
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

PRIOR_METHODS = ("em", "bbse")


class PriorEstimate(NamedTuple):
    """The result of a prior estimate.

    Attributes
    ----------
    priors : ndarray of shape (n_classes,)
        The estimated deployment priors (the training priors if EM did not
        converge).
    n_iter : int
        EM iterations run (0 for BBSE).
    converged : bool
        Whether EM met its tolerance (True for BBSE).
    """

    priors: np.ndarray
    n_iter: int
    converged: bool


def check_priors(priors, classes, param_name="deployment_priors"):
    """Validate deployment priors; return them in the order of ``classes``.

    Parameters
    ----------
    priors : dict or array-like of shape (n_classes,)
        A dict keyed by every label of ``classes``, or one value per class in the
        order of ``classes``. Finite, >= 0, summing to 1 (within 1e-6). They are
        not renormalised: priors that do not sum to 1 are an error.
    classes : ndarray of shape (n_classes,)
        The fitted class labels.
    param_name : str, default="deployment_priors"
        The name used in error messages.

    Returns
    -------
    priors : ndarray of float of shape (n_classes,)
        A new array.

    Examples
    --------
    >>> import numpy as np
    >>> check_priors({"spam": 0.3, "ham": 0.7}, np.array(["ham", "spam"]))
    array([0.7, 0.3])
    """
    labels = list(np.asarray(classes).tolist())
    if isinstance(priors, Mapping):
        keys = [key.item() if isinstance(key, np.generic) else key for key in priors]
        unknown = [key for key in keys if key not in labels]
        missing = [label for label in labels if label not in keys]
        if unknown or missing:
            raise ValueError(
                f"{param_name} is keyed by {keys!r}, but the classes are {labels!r}"
                + (f"; unknown labels: {unknown!r}" if unknown else "")
                + (f"; missing classes: {missing!r}" if missing else "")
                + ". Give one prior per class, keyed by the class labels."
            )
        lookup = dict(zip(keys, priors.values(), strict=True))
        values = [lookup[label] for label in labels]
    else:
        values = priors
    try:
        array = np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{param_name} must be a dict keyed by the class labels or an array of "
            f"{len(labels)} floats in the order of classes_ {labels!r}; got "
            f"{priors!r}."
        ) from exc
    if array.shape != (len(labels),):
        raise ValueError(
            f"{param_name} has shape {array.shape} ({priors!r}) but there are "
            f"{len(labels)} classes {labels!r}; pass one prior per class in the "
            "order of classes_, or a dict keyed by the labels."
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(
            f"{param_name}={array.tolist()!r} holds a negative or non-finite value; "
            "priors are finite probabilities >= 0."
        )
    if not np.isclose(array.sum(), 1.0, rtol=0.0, atol=1e-6):
        raise ValueError(
            f"{param_name}={array.tolist()!r} sums to {float(array.sum())!r}, not 1; "
            "pass priors that sum to 1 (they are not renormalised for you, since a sum "
            "other than 1 is often a mistake)."
        )
    return array


def shift_proba(proba, train_priors, new_priors):
    """Probabilities under new class priors, ``p'(c|x) ∝ p(c|x) π'_c / π_c``.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Probabilities under the training priors.
    train_priors, new_priors : ndarray of shape (n_classes,)
        π (training) and π' (deployment).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        A new array. A row whose shifted mass is 0 (every class it gives
        probability has π' = 0) keeps its probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> shift_proba(np.array([[0.5, 0.5]]), np.array([0.5, 0.5]),
    ...             np.array([0.8, 0.2]))
    array([[0.8, 0.2]])
    """
    proba = np.asarray(proba, dtype=float)
    ratio = np.asarray(new_priors, dtype=float) / np.asarray(train_priors, dtype=float)
    scaled = proba * ratio
    total = scaled.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, scaled / total, proba)


def em_priors(proba, train_priors, *, tol=1e-6, max_iter=1000):
    """Deployment priors by EM on unlabelled rows (Saerens et al. 2002).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Calibrated probabilities (under the training priors) of deployment rows.
    train_priors : ndarray of shape (n_classes,)
        The priors ``proba`` assumes, where EM starts.
    tol : float, default=1e-6
        Stop when no prior changes by more than ``tol`` in an iteration.
    max_iter : int, default=1000
        At most this many iterations. If EM has not converged by then it warns
        (:class:`~sklearn.exceptions.ConvergenceWarning`) and returns the
        training priors, which change nothing.

    Returns
    -------
    estimate : PriorEstimate

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1]] * 3 + [[0.1, 0.9]] * 7)
    >>> estimate = em_priors(proba, np.array([0.5, 0.5]))
    >>> estimate.priors.round(2), estimate.converged
    (array([0.25, 0.75]), True)
    """
    proba = np.asarray(proba, dtype=float)
    train_priors = np.asarray(train_priors, dtype=float)
    priors = train_priors.copy()
    for n_iter in range(1, max_iter + 1):
        new = shift_proba(proba, train_priors, priors).mean(axis=0)
        change = np.max(np.abs(new - priors))
        priors = new
        if change < tol:
            return PriorEstimate(priors, n_iter, True)
    warnings.warn(
        f"EM did not converge in {max_iter} iterations (last change "
        f"{change:.2g} > tol={tol}); the training priors {train_priors.tolist()!r} "
        "are kept. Calibrate the probabilities, give more rows, or try "
        "method='bbse'.",
        ConvergenceWarning,
        stacklevel=2,
    )
    return PriorEstimate(train_priors.copy(), max_iter, False)


def soft_confusion(proba, y_encoded, sample_weight=None):
    """The joint soft confusion matrix ``C[i, j] = mean_n p(i|x_n) [y_n = j]``.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Probabilities of held-out labelled rows.
    y_encoded : ndarray of int of shape (n_samples,)
        Their classes, as column indices.
    sample_weight : ndarray of shape (n_samples,) or None
        Row weights of the mean.

    Returns
    -------
    confusion : ndarray of shape (n_classes, n_classes)
        Sums to 1; its column sums are the held-out priors.
    """
    proba = np.asarray(proba, dtype=float)
    weight = np.ones(len(proba)) if sample_weight is None else np.asarray(
        sample_weight, dtype=float)
    onehot = np.eye(proba.shape[1])[y_encoded] * weight[:, None]
    return proba.T @ onehot / weight.sum()


def bbse_priors(proba, confusion):
    """Deployment priors by black-box shift estimation (Lipton et al. 2018).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Probabilities of the deployment rows, from the same model as
        ``confusion``.
    confusion : ndarray of shape (n_classes, n_classes)
        :func:`soft_confusion` of held-out labelled training rows.

    Returns
    -------
    estimate : PriorEstimate
        ``n_iter=0``, ``converged=True``.

    Examples
    --------
    >>> import numpy as np
    >>> confusion = np.array([[0.4, 0.1], [0.1, 0.4]])  # priors 0.5, 0.5
    >>> proba = np.array([[0.8, 0.2]] * 2 + [[0.2, 0.8]] * 8)  # mean 0.32, 0.68
    >>> bbse_priors(proba, confusion).priors.round(2)
    array([0.2, 0.8])
    """
    mean_prediction = np.asarray(proba, dtype=float).mean(axis=0)
    ratios = np.linalg.lstsq(confusion, mean_prediction, rcond=None)[0]
    priors = np.clip(ratios, 0.0, None) * confusion.sum(axis=0)
    if priors.sum() <= 0:  # every ratio clipped: no information; change nothing
        return PriorEstimate(confusion.sum(axis=0), 0, True)
    return PriorEstimate(priors / priors.sum(), 0, True)
