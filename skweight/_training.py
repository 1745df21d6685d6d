"""The training loop's parts: the input pipeline, stopping rules and the NaN guard."""

import contextlib
import logging
import math

import keras
import numpy as np
from sklearn.metrics import log_loss

from ._forward import make_forward
from ._priors import correct_proba

# Steps run per call into the compiled training function: fewer Python round trips.
MAX_STEPS_PER_EXECUTION = 64


# Up to this many rows the per-row shuffle buffer is used (about 55 ms less per
# epoch than the index permutation on small data); above it, its memory dominates.
SHUFFLE_BUFFER_MAX_ROWS = 100_000


def fit_inputs(X, y, sample_weight, batch_size, seed):
    """Keyword arguments for ``Model.fit``: the data, shuffled every epoch.

    On TensorFlow, a ``tf.data`` pipeline that draws a new permutation of the row
    indices each epoch from an operation-level seed, so a seeded fit is
    repeatable without touching TensorFlow's global seed.
    On the other backends, arrays that Keras shuffles with NumPy's (JAX) or
    PyTorch's (torch) generator, which :func:`skweight._random.seeded` scopes.
    """
    if keras.backend.backend() != "tensorflow":
        return dict(x=X, y=y, sample_weight=sample_weight, batch_size=batch_size,
                    shuffle=True)
    import tensorflow as tf

    n_rows = X.shape[0]
    if n_rows <= SHUFFLE_BUFFER_MAX_ROWS:
        # Small data: a shuffle buffer over the rows has the least per-epoch cost.
        dataset = tf.data.Dataset.from_tensor_slices((X, y, sample_weight))
        dataset = (
            dataset.shuffle(n_rows, seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .prefetch(2)
        )
        return dict(x=dataset, shuffle=False)  # the pipeline shuffles itself
    # Large data: shuffle row indices, not rows. A shuffle buffer of a million
    # rows costs many times the data; one permutation per epoch, 8 bytes a row.
    data = tuple(tf.convert_to_tensor(array) for array in (X, y, sample_weight))

    def permutation(draw):
        return tf.random.experimental.stateless_shuffle(
            tf.range(n_rows, dtype=tf.int64), seed=tf.stack([draw, 0])
        )

    dataset = (
        tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        .take(1)
        .map(permutation)
        .unbatch()
        .batch(batch_size)
        .map(lambda rows: tuple(tf.gather(array, rows) for array in data))
        .prefetch(2)
    )
    return dict(x=dataset, shuffle=False)  # the pipeline shuffles itself


def steps_per_execution(n_rows, batch_size):
    """How many training steps to run per call into the compiled function."""
    if keras.backend.backend() == "torch":
        return 1  # Keras' torch trainer runs one step per call
    return max(1, min(MAX_STEPS_PER_EXECUTION, math.ceil(n_rows / batch_size)))


class _DropOwnRetracingWarning(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message
                    and "TensorFlowTrainer" in message)


@contextlib.contextmanager
def no_retracing_warning():
    """Silence TensorFlow's retracing warning about Keras' own training function.

    Every new model traces its training function once; TensorFlow counts those
    traces across all models (they share Keras' code) and, after five short fits
    in one process, as in a grid search, warns of "excessive retracing" that is in
    fact one trace per model. Only that message is dropped, only during fit.
    """
    logger = logging.getLogger("tensorflow")
    log_filter = _DropOwnRetracingWarning()
    logger.addFilter(log_filter)
    try:
        yield
    finally:
        logger.removeFilter(log_filter)


def keras_targets(y_encoded, n_outputs):
    """Targets in the form the default losses want: 0/1 column or class indices."""
    if n_outputs == 1:
        return y_encoded.astype(np.float32).reshape(-1, 1)
    return y_encoded.astype(np.int32)


def outputs_to_proba(outputs):
    """(n, 1) sigmoid outputs or (n, K) softmax outputs -> (n, K) probabilities."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[1] == 1:
        return np.hstack([1.0 - outputs, outputs])
    return outputs


class StopOnNaN(keras.callbacks.Callback):
    """Stop training as soon as the loss is not finite, and remember when."""

    def __init__(self):
        super().__init__()
        self.failed_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.failed_epoch = epoch + 1
            self.model.stop_training = True


class StopWhenFlat(keras.callbacks.Callback):
    """Stop when a score has not improved by ``tol`` for ``patience`` epochs.

    The score is the training loss, or, with a validation split, either the
    validation loss with the training weights (``"loss"``, the training objective)
    or the log loss of the prior-corrected probabilities (``"log_loss"``, the
    honest score). With a validation split the best weights are restored at the end.

    Parameters
    ----------
    patience : int or None
        Epochs without improvement before stopping; None never stops.
    tol : float
        Smallest decrease that counts as an improvement.
    validation : tuple or None
        ``(X_val, y_val_encoded, row_weight_val, sample_weight_val)``.
    monitor : {"loss", "log_loss"}
        Score computed on the validation split.
    loss_fn : keras loss
        The training loss, for ``monitor="loss"``.
    class_weight : ndarray of shape (n_classes,)
        Class weights, for the prior correction of ``monitor="log_loss"``.
    """

    def __init__(self, patience, tol, validation=None, monitor="loss", loss_fn=None,
                 class_weight=None):
        super().__init__()
        self.patience = patience
        self.tol = tol
        self.validation = validation
        self.monitor = monitor
        self.loss_fn = loss_fn
        self.class_weight = class_weight
        self.best_score = np.inf
        self.best_epoch = 0
        self.best_weights = None
        self._since_best = 0

    @property
    def log_key(self):
        return "loss" if self.validation is None else f"val_{self.monitor}"

    def _validation_score(self):
        X_val, y_val, row_weight, sample_weight = self.validation
        outputs = make_forward(self.model)(X_val)
        if self.monitor == "log_loss":
            proba = correct_proba(outputs_to_proba(outputs), self.class_weight)
            return log_loss(y_val, proba, sample_weight=sample_weight,
                            labels=np.arange(proba.shape[1]))
        targets = keras_targets(y_val, outputs.shape[1])
        value = self.loss_fn(targets, outputs, sample_weight=row_weight)
        return float(keras.ops.convert_to_numpy(value))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self.validation is not None:
            logs[self.log_key] = self._validation_score()
        score = logs.get(self.log_key)
        if score is None or not np.isfinite(score):
            return
        if score < self.best_score - self.tol:
            self.best_score, self.best_epoch, self._since_best = score, epoch + 1, 0
            if self.validation is not None:
                self.best_weights = self.model.get_weights()
            return
        self._since_best += 1
        if self.patience is not None and self._since_best >= self.patience:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
