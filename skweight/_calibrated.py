"""The probabilities the Keras estimator returns, step by step (DESIGN §3, §8, §9).

    network output p_w(c|x)
      -> prior correction    p(c|x) ∝ p_w(c|x) / w_c            (_priors.py)
         (several members: the mean of their p(c|x))             (_ensemble.py)
      -> calibration         q(c|x) = calibrator_(p)(c|x)        (_calibration.py)
      -> deployment priors   q'(c|x) ∝ q(c|x) π'_c / π_c        (_prior_shift.py)

``predict_proba`` is the last line. The default decision (no cost matrix) is the
Bayes rule with the costs the class weights imply, ``argmax_c w_c q'(c|x)``; with
``calibration=None`` and no deployment priors that is the argmax of ``p_w``, the
label the weighted network prefers. The predict side (``_predict.py``) applies
these steps to one fitted-state snapshot.

:class:`CalibratedProbaMixin` holds what
:class:`~skweight.WeightedKerasClassifier` needs for them: which calibration
method, fitting the map on held-out rows, and the hooks of
:class:`~skweight._deployment.DeploymentPriorsMixin`.
"""

import sys

import numpy as np

from ._calibration import fit_calibrator
from ._class_state import n_outputs
from ._deployment import DeploymentPriorsMixin
from ._ensemble import mean_corrected_proba
from ._forward import predict_in_batches
from ._inputs import take_rows
from ._prior_shift import soft_confusion
from ._training import check_probabilities, outputs_to_proba

_SKLEARN_CALIBRATION = "sklearn.calibration"


def _sklearn_calibration_method():
    """The ``method`` of scikit-learn's CalibratedClassifierCV calling us, if any.

    CalibratedClassifierCV calls ``decision_function`` without saying what it
    will fit on the scores; its frames on the call stack do.
    """
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == _SKLEARN_CALIBRATION:
            method = frame.f_locals.get("method")
            if method is None:
                method = getattr(frame.f_locals.get("self"), "method", None)
            if method in ("sigmoid", "isotonic", "temperature"):
                return method
        frame = frame.f_back
    return None


class CalibratedProbaMixin(DeploymentPriorsMixin):
    """Calibration method and map, and the deployment-prior hooks."""

    # ------------------------------------------------------------------ fit

    def _calibration_method(self):
        """``calibration`` with ``"auto"`` resolved.

        ``"auto"`` calibrates (``"temperature"``) only where rows are held out
        anyway, the early-stopping split or ``cross_fit``'s folds, so
        calibration never takes rows from training (see
        ``benchmarks/calibration_default.py``).
        """
        if self.calibration == "auto":
            held_out = self.early_stopping or self.cross_fit
            return "temperature" if held_out else None
        return self.calibration

    def _fit_calibration(self, held_out, forwards, member_rows=None):
        """Fit ``calibrator_`` on held-out rows (None: no calibration).

        ``held_out`` is ``(X, y_encoded, row_weight, sample_weight)`` of rows the
        networks did not train on, ``forwards`` the trained networks' inference
        functions, one per member of the ensemble: the map is fitted on the
        average of their corrected probabilities (DESIGN §8). Also keeps the
        soft confusion matrix of the calibrated probabilities on those rows,
        which ``adapt_priors(method="bbse")`` needs.

        With ``member_rows`` (``cross_fit``), ``held_out`` is every training row
        and member ``k`` held out ``member_rows[k][1]``: the map is fitted on
        every row's out-of-fold probability, each from the one member that did
        not train on it.
        """
        self._forget_adapted_priors()
        method = self._calibration_method()
        if method is None or held_out is None:
            self.calibrator_ = None
            self.calibration_confusion_ = None
            return
        X, y_encoded, _, sample_weight = held_out
        if member_rows is not None:
            corrected = np.empty((len(y_encoded), len(self.classes_)))
            for forward, (_, rows) in zip(forwards, member_rows, strict=True):
                corrected[rows] = mean_corrected_proba(
                    [self._held_out_proba(forward, take_rows(X, rows))],
                    self._output_factors)
        else:
            corrected = mean_corrected_proba(
                [self._held_out_proba(forward, X) for forward in forwards],
                self._output_factors)
        calibrator = fit_calibrator(method, corrected, y_encoded, sample_weight)
        calibrated = calibrator.transform(corrected)
        check_probabilities(calibrated)
        self.calibrator_ = calibrator
        self.calibration_confusion_ = soft_confusion(calibrated, y_encoded,
                                                     sample_weight)

    def _held_out_proba(self, forward, X):
        """One member's probabilities as trained, checked."""
        outputs = predict_in_batches(forward, X, n_outputs(self.classes_))
        check_probabilities(outputs)
        return outputs_to_proba(outputs)

    def _drop_calibration(self):
        """partial_fit changes the network: a map fitted on the old one is wrong."""
        self.calibrator_ = None
        self.calibration_confusion_ = None

    # ------------------------------------------- hooks of DeploymentPriorsMixin

    def _proba_before_shift(self, X):
        """Calibrated probabilities under the training priors (``X`` checked)."""
        return self._proba(self._state(), X, shift=False)

    def _training_priors(self):
        return self.priors_

    def _heldout_confusion(self):
        confusion = getattr(self, "calibration_confusion_", None)
        if confusion is None:
            return (
                "the predictions of held-out rows, which fit keeps when it "
                "calibrates; pass calibration='temperature' or 'isotonic' (or "
                "early_stopping=True with calibration='auto') and refit"
            )
        return confusion

    # -------------------------------------------------------------- predict

    def _refuse_sklearn_temperature(self, state):
        """Raise when sklearn's temperature scaling would get shifted scores.

        Without a cost matrix ``decision_function`` is ``log(w_c q(c|x))``:
        it agrees with ``predict``, the rule the class weights imply, so its zero
        (two classes) is not where ``q = 1/2``. Platt scaling (``"sigmoid"``) and
        isotonic regression absorb the shift ``log(w_1 / w_0)``; a temperature
        alone cannot, and would silently make the probabilities worse.
        """
        factors = state.output_factors
        if np.allclose(factors, factors[0]):
            return
        if _sklearn_calibration_method() == "temperature":
            raise ValueError(
                "CalibratedClassifierCV(method='temperature') scales "
                "decision_function, which for this estimator is the log-odds of "
                "the class-weighted rule (shifted by log(w_c), class weights "
                f"{np.round(factors, 4).tolist()!r}); a temperature cannot undo "
                "that shift and would make the probabilities worse. Use the "
                "estimator's own calibration='temperature' (fitted on the "
                "prior-corrected probabilities), or CalibratedClassifierCV("
                "method='sigmoid') or 'isotonic', which absorb the shift."
            )
