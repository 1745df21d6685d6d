"""Losses beyond weighting: focal loss and the logit-adjusted loss (DESIGN §6).

Both take the network's probability output (sigmoid or softmax) and targets as a
0/1 column (binary) or integer class indices (multiclass), as every skweight loss.

* Focal loss (Lin et al. 2017) down-weights easy rows by ``(1 - p_t) ** gamma``.
  It is not a proper scoring rule: its probabilities are not estimates of
  ``p(c|x)`` and no closed-form correction exists; they tend to be
  under-confident. Calibrate them when probabilities matter (e.g. with
  :class:`~sklearn.calibration.CalibratedClassifierCV`).
* Logit-adjusted loss (Menon et al., ICLR 2021): cross-entropy of
  ``softmax(f_c + tau log π_c)``, where ``f`` are the network's logits. The
  network's own output ``softmax(f)`` then estimates ``p(c|x) / π_c ** tau``: the
  same shape as a network trained with class weights ``w_c = π_c ** -tau``, so
  skweight treats it exactly so. ``predict`` (argmax of ``f``) is the
  balanced-error rule for ``tau = 1`` and ``predict_proba`` is prior-corrected,
  ``p(c|x) ∝ softmax(f)_c π_c ** tau``.
"""

import keras
import numpy as np

_EPSILON = 1e-7


def _logits(probabilities):
    """Logits recovered from sigmoid or softmax outputs (up to a constant)."""
    p = keras.ops.clip(probabilities, _EPSILON, 1.0 - _EPSILON)
    if probabilities.shape[-1] == 1:
        return keras.ops.log(p) - keras.ops.log(1.0 - p)
    return keras.ops.log(p)


@keras.saving.register_keras_serializable(package="skweight")
class SparseFocalLoss(keras.losses.Loss):
    """Focal cross-entropy on probability outputs with 0/1 or class-index targets.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; 0 gives the cross-entropy.
    alpha : float or None, default=None
        Binary only: weight of the positive class, ``1 - alpha`` of the negative
        (Lin et al.'s α-balancing). None applies no balancing; prefer
        ``class_weight``, which skweight can correct for.
    """

    def __init__(self, gamma=2.0, alpha=None, name="sparse_focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.alpha = alpha

    def call(self, y_true, y_pred):
        p = keras.ops.clip(y_pred, _EPSILON, 1.0 - _EPSILON)
        if y_pred.shape[-1] == 1:
            y = keras.ops.cast(keras.ops.reshape(y_true, (-1, 1)), p.dtype)
            p_true = y * p + (1 - y) * (1 - p)
            alpha = 1.0 if self.alpha is None else y * self.alpha + (1 - y) * (
                1 - self.alpha
            )
        else:
            indices = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
            one_hot = keras.ops.one_hot(indices, y_pred.shape[-1], dtype=p.dtype)
            p_true = keras.ops.sum(one_hot * p, axis=-1, keepdims=True)
            alpha = 1.0
        loss = -alpha * keras.ops.power(1.0 - p_true, self.gamma) * keras.ops.log(
            p_true
        )
        return keras.ops.squeeze(loss, axis=-1)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="skweight")
class LogitAdjustedLoss(keras.losses.Loss):
    """Cross-entropy of the logits shifted by ``tau`` times the log class priors.

    Parameters
    ----------
    log_priors : sequence of float
        ``log π_c`` for each class (one value per class, also when binary).
    tau : float, default=1.0
        Strength of the adjustment; 0 gives the cross-entropy.
    """

    def __init__(self, log_priors=(0.0, 0.0), tau=1.0, name="logit_adjusted_loss",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.log_priors = [float(v) for v in log_priors]
        self.tau = tau

    def call(self, y_true, y_pred):
        logits = _logits(y_pred)
        shift = self.tau * np.asarray(self.log_priors, dtype="float32")
        if y_pred.shape[-1] == 1:
            logits = logits + float(shift[1] - shift[0])
            y = keras.ops.cast(keras.ops.reshape(y_true, (-1, 1)), logits.dtype)
            loss = keras.ops.binary_crossentropy(y, logits, from_logits=True)
            return keras.ops.squeeze(loss, axis=-1)
        logits = logits + keras.ops.convert_to_tensor(shift)
        indices = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        return keras.ops.sparse_categorical_crossentropy(indices, logits,
                                                         from_logits=True)

    def get_config(self):
        return {**super().get_config(), "log_priors": self.log_priors,
                "tau": self.tau}


class FunctionLoss(keras.losses.Loss):
    """A loss from a plain function ``fn(y_true, y_pred) -> per-row losses``.

    Gives any function the ``sample_weight`` handling and reduction of a Keras
    ``Loss``.
    """

    def __init__(self, fn, name=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "loss"), **kwargs)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def logit_adjustment_weights(priors, tau):
    """The class weights a logit-adjusted network behaves as: ``π_c ** -tau``."""
    return np.power(np.asarray(priors, dtype=float), -float(tau))
