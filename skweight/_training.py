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
# Fewer steps per call than this cost more than a new iterator per epoch does.
MIN_STEPS_PER_EXECUTION = 8


class ShuffledBatches:
    """Shuffled mini-batches of NumPy arrays, read one step at a time by ``tf.data``.

    Reading the batches from NumPy makes no copy of X: a fit on a million rows
    needs a fraction of X on top of X itself, where converting X to a tensor
    alone doubles it at its peak. Each pass over the rows follows a new
    permutation drawn from a generator seeded once per fit, so a seeded fit is
    repeatable without touching any global seed.

    TensorFlow keeps the Python function of a ``tf.numpy_function`` alive after
    its dataset is gone (tensorflow/tensorflow#57690), so :meth:`close` drops the
    arrays this object holds.

    Parameters
    ----------
    arrays : tuple of ndarray
        Arrays with the same number of rows, batched together.
    batch_size : int
        Rows per batch (the last batch of a pass may be smaller).
    seed : int or None
        Seed of the permutations; None draws fresh entropy.
    """

    def __init__(self, arrays, batch_size, seed):
        self.arrays = arrays
        self.batch_size = batch_size
        self.n_rows = arrays[0].shape[0]
        self.batches_per_pass = math.ceil(self.n_rows / batch_size)
        self._rng = np.random.default_rng(seed)
        self._order = None

    def __call__(self, step):
        """The batch of ``step``, counted from the start of the stream.

        Steps are read in order (``tf.data`` maps them one after the other); the
        first step of a pass draws the pass's permutation.
        """
        index = int(step) % self.batches_per_pass
        if index == 0:
            self._order = self._rng.permutation(self.n_rows)
        start = index * self.batch_size
        rows = self._order[start : start + self.batch_size]
        return tuple(array[rows] for array in self.arrays)

    def close(self):
        self.arrays = self._order = None


def steps_per_execution(n_rows, batch_size):
    """How many training steps to run per call into the compiled function.

    As many as there are batches in an epoch, up to ``MAX_STEPS_PER_EXECUTION``,
    and a divisor of that number where one of at least ``MIN_STEPS_PER_EXECUTION``
    exists, so that every call ends within an epoch and the whole fit can read
    one stream of batches (see :func:`fit_inputs`).
    """
    if keras.backend.backend() == "torch":
        return 1  # Keras' torch trainer runs one step per call
    n_batches = math.ceil(n_rows / batch_size)
    if n_batches <= MAX_STEPS_PER_EXECUTION:
        return max(1, n_batches)
    divisor = max(d for d in range(1, MAX_STEPS_PER_EXECUTION + 1)
                  if n_batches % d == 0)
    return divisor if divisor >= MIN_STEPS_PER_EXECUTION else MAX_STEPS_PER_EXECUTION


@contextlib.contextmanager
def fit_inputs(X, y, sample_weight, batch_size, seed, epochs, steps_per_call):
    """Keyword arguments for ``Model.fit``: the data, shuffled every epoch.

    On TensorFlow, a ``tf.data`` pipeline reading :class:`ShuffledBatches`, whose
    arrays are released when the block ends. Where ``steps_per_call`` divides the
    batches of an epoch, one stream carries every epoch's pass, so Keras makes one
    iterator per fit instead of one per epoch (about 10 ms each). On the other
    backends, the arrays, which Keras shuffles with NumPy's (JAX) or PyTorch's
    (torch) generator, which :func:`skweight._random.seeded` scopes.
    """
    if keras.backend.backend() != "tensorflow":
        yield dict(x=X, y=y, sample_weight=sample_weight, batch_size=batch_size,
                   shuffle=True)
        return
    import tensorflow as tf

    batches = ShuffledBatches((X, y, sample_weight), batch_size, seed)
    per_pass = batches.batches_per_pass
    one_stream = per_pass % steps_per_call == 0
    dtypes = tuple(tf.as_dtype(array.dtype) for array in batches.arrays)
    shapes = tuple((None, *array.shape[1:]) for array in batches.arrays)

    def read(step):
        tensors = tf.numpy_function(batches, [step], dtypes)
        for tensor, shape in zip(tensors, shapes, strict=True):
            tensor.set_shape(shape)
        return tensors

    dataset = (
        tf.data.Dataset.range(per_pass * (epochs if one_stream else 1))
        .map(read)
        .prefetch(2)
    )
    try:
        # The batches come shuffled; steps_per_epoch makes Keras keep its iterator.
        yield dict(x=dataset, shuffle=False,
                   steps_per_epoch=per_pass if one_stream else None)
    finally:
        batches.close()


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
