"""The training loop's parts: the input pipeline and the targets Keras trains on.

The rules that stop training are in :mod:`skweight._stopping`.
"""

import contextlib
import logging
import math

import keras
import numpy as np

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

    ``X`` is an array (numbers, or an object array of strings) or a dict of
    arrays keyed by the model's input names; each batch keeps that structure.
    """
    if keras.backend.backend() != "tensorflow":
        yield dict(x=X, y=y, sample_weight=sample_weight, batch_size=batch_size,
                   shuffle=True)
        return
    import tensorflow as tf

    names = list(X) if isinstance(X, dict) else None
    x_arrays = tuple(X.values()) if names is not None else (X,)
    batches = ShuffledBatches((*x_arrays, y, sample_weight), batch_size, seed)
    per_pass = batches.batches_per_pass
    one_stream = per_pass % steps_per_call == 0
    dtypes = tuple(_tf_dtype(array) for array in batches.arrays)
    shapes = tuple((None, *array.shape[1:]) for array in batches.arrays)

    def read(step):
        tensors = tf.numpy_function(batches, [step], dtypes)
        for tensor, shape in zip(tensors, shapes, strict=True):
            tensor.set_shape(shape)
        *x, y_batch, w_batch = tensors
        x = dict(zip(names, x, strict=True)) if names is not None else x[0]
        return x, y_batch, w_batch

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


def _tf_dtype(array):
    import tensorflow as tf

    # Object arrays hold strings (raw text inputs); tf.data carries them as bytes.
    return tf.string if array.dtype == object else tf.as_dtype(array.dtype)


def keras_targets(y_encoded, n_outputs, one_hot=False):
    """Targets in the form the loss wants: 0/1 column, class indices or one-hot."""
    if n_outputs == 1:
        return y_encoded.astype(np.float32).reshape(-1, 1)
    if one_hot:
        return np.eye(n_outputs, dtype=np.float32)[y_encoded]
    return y_encoded.astype(np.int32)


def outputs_to_proba(outputs):
    """(n, 1) sigmoid outputs or (n, K) softmax outputs -> (n, K) probabilities."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[1] == 1:
        return np.hstack([1.0 - outputs, outputs])
    return outputs


def check_probabilities(outputs):
    """Raise unless the network's outputs are probabilities.

    Parameters
    ----------
    outputs : ndarray of shape (n_samples, n_outputs)
        One sigmoid unit, or one softmax unit per class.
    """
    outputs = np.asarray(outputs)
    tolerance = 1e-3
    # One pass for the usual case: NaN fails both comparisons.
    ok = ((outputs >= -tolerance) & (outputs <= 1 + tolerance)).all()
    if ok and outputs.shape[1] > 1:
        ok = (np.abs(outputs.sum(axis=1) - 1.0) <= tolerance).all()
    if ok:
        return
    finite = np.isfinite(outputs).all(axis=1)
    if not finite.all():
        rows = np.flatnonzero(~finite)
        raise FloatingPointError(
            f"the network's output is not finite for {len(rows)} of {len(outputs)} "
            f"rows (first: row {rows[0]}, {outputs[rows[0]].tolist()!r}); no label "
            "is given for them. Check the input rows for extreme values."
        )
    bad = ((outputs < -tolerance) | (outputs > 1 + tolerance)).any(axis=1)
    if outputs.shape[1] > 1:
        bad |= np.abs(outputs.sum(axis=1) - 1.0) > tolerance
    row = np.flatnonzero(bad)[0]
    raise ValueError(
        "the model's outputs are not probabilities (e.g. "
        f"{np.round(outputs[row], 4).tolist()!r} for row {row}): a model must end "
        "in one sigmoid unit (two classes) or a softmax over the classes. A model "
        "that outputs logits needs activation='sigmoid' or 'softmax' on its last "
        "layer."
    )
