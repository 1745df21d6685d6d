"""Deployment priors on an estimator: the ``deployment_priors`` parameter and
``adapt_priors`` (the maths is in ``_prior_shift.py``, DESIGN §9).

:class:`DeploymentPriorsMixin` gives a fitted classifier both. The priors that
``predict_proba`` and the decision use are, in this order:

1. the ``deployment_priors`` parameter, when not None (known priors, read at every
   prediction, so ``set_params`` changes them without refitting);
2. the priors :meth:`~DeploymentPriorsMixin.adapt_priors` estimated
   (``deployment_priors_``);
3. otherwise the training priors: the probabilities are left as they are.
"""

import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._prior_shift import (
    PRIOR_METHODS,
    bbse_priors,
    check_priors,
    em_priors,
    shift_proba,
)

ADAPTED_ATTRIBUTES = ("deployment_priors_", "priors_n_iter_", "priors_converged_")


def _count_rows(X):
    """Rows of ``X`` in any input form (a dict of named inputs included)."""
    if isinstance(X, Mapping):
        if not X:
            return 0
        X = next(iter(X.values()))
    try:
        return _num_samples(X)
    except TypeError:
        return len(X)


class DeploymentPriorsMixin:
    """``deployment_priors`` and ``adapt_priors`` for a classifier.

    The class provides ``classes_``, a ``deployment_priors`` parameter and:

    * ``_training_priors()``: the priors π its probabilities assume;
    * ``_proba_before_shift(X)``: its probabilities under π (validating ``X``);
    * ``_heldout_confusion()``: the soft confusion matrix of held-out rows
      (:func:`skweight._prior_shift.soft_confusion`), or None with the reason
      as a string, for ``method="bbse"``.
    """

    def _deployment_priors(self, classes=None):
        """The priors in use at prediction (see the module docstring), or None.

        ``classes`` defaults to ``classes_`` (given in ``fit``, to validate the
        parameter before training).
        """
        if self.deployment_priors is not None:
            return check_priors(self.deployment_priors,
                                self.classes_ if classes is None else classes)
        return getattr(self, "deployment_priors_", None)

    def _shift(self, proba, training_priors=None, classes=None):
        """``proba`` under the deployment priors (unchanged without them).

        ``training_priors`` and ``classes`` default to the estimator's.
        """
        priors = self._deployment_priors(classes)
        if priors is None:
            return proba
        if training_priors is None:
            training_priors = self._training_priors()
        return shift_proba(proba, training_priors, priors)

    def _forget_adapted_priors(self):
        """A new fit: priors estimated with the last model no longer apply."""
        for name in ADAPTED_ATTRIBUTES:
            vars(self).pop(name, None)

    def adapt_priors(self, X, method="em", *, tol=1e-6, max_iter=1000):
        """Estimate the class priors of unlabelled deployment rows and use them.

        The probabilities, and so every decision, are then shifted to the
        estimated priors, ``p'(c|x) ∝ p(c|x) π'_c / π_c`` (Saerens, Latinne &
        Decaestecker 2002).

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Unlabelled rows from deployment, in the form ``fit`` was given.
        method : {"em", "bbse"}, default="em"
            ``"em"``: maximum likelihood by EM on the (calibrated) probabilities
            (Saerens et al. 2002; Alexandari et al. 2020). ``"bbse"``: black-box
            shift estimation (Lipton et al. 2018) from the soft confusion matrix
            of held-out training rows; a fallback where EM is unstable.
        tol : float, default=1e-6
            EM stops when no prior changes by more than ``tol``.
        max_iter : int, default=1000
            EM's maximum number of iterations. If it does not converge it warns
            (``ConvergenceWarning``) and the training priors are kept.

        Returns
        -------
        self : object
            With ``deployment_priors_`` (the estimated priors, in the order of
            ``classes_``; the training priors if EM did not converge),
            ``priors_n_iter_`` (EM iterations, 0 for BBSE) and
            ``priors_converged_``. On any error these are left as they were.
        """
        check_is_fitted(self)
        if method not in PRIOR_METHODS:
            raise ValueError(
                f"method={method!r} is not a prior estimation method; use one of "
                f"{list(PRIOR_METHODS)}."
            )
        if self.deployment_priors is not None:
            raise ValueError(
                f"deployment_priors={self.deployment_priors!r} is set, and known "
                "priors take precedence over estimated ones; call "
                "set_params(deployment_priors=None) before adapt_priors."
            )
        if _count_rows(X) == 0:
            raise ValueError(
                "adapt_priors got X with 0 rows; the priors are estimated from "
                "unlabelled deployment rows, so pass at least one (many more for a "
                "useful estimate)."
            )
        proba = self._proba_before_shift(X)
        training = self._training_priors()
        if method == "em" and getattr(self, "calibrator_", False) is None:
            warnings.warn(
                "adapt_priors runs EM on probabilities that were not calibrated "
                "(calibrator_ is None); EM needs calibrated probabilities and can "
                "be far off without them. Fit with calibration='temperature' (or "
                "early_stopping=True with calibration='auto').",
                UserWarning,
                stacklevel=2,
            )
        if method == "em":
            estimate = em_priors(proba, training, tol=tol, max_iter=max_iter)
        else:
            confusion = self._heldout_confusion()
            if isinstance(confusion, str):
                raise ValueError(f"method='bbse' needs {confusion}; use method='em'.")
            estimate = bbse_priors(proba, confusion)
        self.deployment_priors_ = np.asarray(estimate.priors, dtype=float)
        self.priors_n_iter_ = estimate.n_iter
        self.priors_converged_ = estimate.converged
        return self
