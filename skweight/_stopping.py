"""When training stops: Keras' own stopping callbacks, and a validation score.

* A loss that stops being finite ends the fit at once (Keras'
  :class:`~keras.callbacks.TerminateOnNaN`) with a :class:`FloatingPointError`
  that says what to change.
* The patience rule is Keras' :class:`~keras.callbacks.EarlyStopping`: on the
  training loss without a validation split (as
  :class:`~sklearn.neural_network.MLPClassifier` does), else on a validation
  score, restoring the best weights.
* :class:`ValidationScore` computes that score at the end of each epoch into the
  epoch's logs, where ``EarlyStopping`` and ``history_`` read it: the log loss of
  the prior-corrected probabilities (``val_log_loss``, the honest score), or the
  training objective with the class weights (``val_loss``).
"""

import keras
import numpy as np
from sklearn.metrics import log_loss

from ._forward import _to_numpy, make_forward
from ._losses import wants_one_hot
from ._priors import correct_proba
from ._training import keras_targets, outputs_to_proba

# The first words of the error TerminateOnNaN(raise_error=True) raises.
_NAN_LOSS_MESSAGE = "NaN or Inf loss"


class ValidationScore(keras.callbacks.Callback):
    """Write a validation score into each epoch's logs.

    Parameters
    ----------
    validation : tuple
        ``(X_val, y_val_encoded, row_weight_val, sample_weight_val)``.
    monitor : {"loss", "log_loss"}
        ``"log_loss"``: log loss of the prior-corrected probabilities, logged as
        ``val_log_loss``; ``"loss"``: ``loss_fn`` with the row weights, logged as
        ``val_loss``.
    loss_fn : keras loss
        The training loss, for ``monitor="loss"``.
    output_factors : ndarray of shape (n_classes,)
        The factors the network's output carries on top of ``p(c|x)``, divided
        out for ``monitor="log_loss"``.

    Attributes
    ----------
    diverged : bool
        Whether the network's outputs on the validation rows stopped being
        finite; training is then stopped.
    """

    def __init__(self, validation, monitor, loss_fn, output_factors):
        super().__init__()
        self.validation = validation
        self.monitor = monitor
        self.loss_fn = loss_fn
        self.output_factors = output_factors
        self.diverged = False

    @property
    def log_key(self):
        return f"val_{self.monitor}"

    def _score(self):
        X_val, y_val, row_weight, sample_weight = self.validation
        outputs = make_forward(self.model)(X_val)
        if not np.all(np.isfinite(outputs)):
            self.diverged = True
            return float("nan")
        if self.monitor == "log_loss":
            proba = correct_proba(outputs_to_proba(outputs), self.output_factors)
            return log_loss(y_val, proba, sample_weight=sample_weight,
                            labels=np.arange(proba.shape[1]))
        targets = keras_targets(y_val, outputs.shape[1], wants_one_hot(self.loss_fn))
        value = self.loss_fn(targets, outputs, sample_weight=row_weight)
        return float(keras.ops.convert_to_numpy(value))

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs[self.log_key] = self._score()
        if self.diverged:
            self.model.stop_training = True


def stopping_callbacks(patience, tol, epochs, validation=None, monitor="log_loss",
                       loss_fn=None, output_factors=None):
    """The callbacks that end a fit, in the order Keras must call them.

    Parameters
    ----------
    patience : int or None
        Epochs without an improvement of at least ``tol`` before stopping; None
        never stops early (with a validation split the best weights are still
        restored).
    tol : float
        Smallest decrease of the monitored score that counts as an improvement.
    epochs : int
        Epochs of the fit (the patience of "never").
    validation, monitor, loss_fn, output_factors
        As in :class:`ValidationScore`; ``validation=None`` monitors the
        training loss.

    Returns
    -------
    callbacks : list of keras.callbacks.Callback
    early_stopping : keras.callbacks.EarlyStopping or None
        Its ``best_epoch`` (counted from 0) is the epoch whose weights were kept.
    """
    callbacks = [keras.callbacks.TerminateOnNaN(raise_error=True)]
    if validation is not None:
        callbacks.append(ValidationScore(validation, monitor, loss_fn, output_factors))
    elif patience is None:
        return callbacks, None
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="loss" if validation is None else f"val_{monitor}",
        min_delta=tol,
        patience=epochs + 1 if patience is None else patience,
        mode="min",
        restore_best_weights=validation is not None,
    )
    callbacks.append(early_stopping)
    return callbacks, early_stopping


def is_nan_loss_error(exc):
    """Whether ``exc`` is the error of ``TerminateOnNaN(raise_error=True)``."""
    return isinstance(exc, RuntimeError) and str(exc).startswith(_NAN_LOSS_MESSAGE)


def has_finite_weights(keras_model):
    """Whether every floating-point weight of ``keras_model`` is a finite number.

    Read through the backend array: ``get_weights`` calls ``np.array`` on each
    Variable, which NumPy 2 warns about on JAX.
    """
    return all(np.all(np.isfinite(_to_numpy(w))) for w in keras_model.weights
               if keras.backend.is_float_dtype(w.dtype))


def divergence_advice(keras_model):
    """What to change when training diverged, with the learning rate in use."""
    try:
        rate = float(keras.ops.convert_to_numpy(keras_model.optimizer.learning_rate))
        rate = f"{rate:g}"
    except (AttributeError, TypeError, ValueError):
        rate = "a schedule"
    return (
        f"Lower learning_rate (the optimizer's is {rate}), scale the features "
        "(e.g. sklearn.preprocessing.StandardScaler) or check the class and "
        "sample weights for extreme values."
    )
