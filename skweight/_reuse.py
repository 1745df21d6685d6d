"""Compiled training functions, reused from one fit to the next.

Keras compiles a model's training step the first time the model is fitted: on
TensorFlow about 0.6 s on a CPU for a small MLP, longer than five epochs on 10,000
rows take. Every new model compiles it again, so a grid search or a
cross-validation paid it once per candidate and fold.

So skweight trains the default network on a *trainer*: a compiled model of the
same architecture, loss, optimizer and ``steps_per_execution``, kept after a fit
for the next fit with the same configuration. Before training, the trainer takes
the new model's whole initial state (weights, dropout seed states, optimizer
variables, the learning rate among them); after training, the new model takes the
trainer's. The trained model is thus the one training it directly would give, bit
for bit (``tests/test_reuse.py`` checks this), and it stays the estimator's own.

The key of a trainer names everything its compiled step depends on; a
configuration that cannot be named with certainty (a custom builder, a loss
object) gets no key and trains its own model, as Keras does. At most
``MAX_IDLE_TRAINERS`` trainers are kept, the least recently used dropped first.
"""

import contextlib
import threading
from collections import OrderedDict

MAX_IDLE_TRAINERS = 4

_lock = threading.Lock()
_idle = OrderedDict()  # key -> idle trainers; least recently used first


def _count_idle():  # the caller holds _lock
    return sum(len(trainers) for trainers in _idle.values())


def _take(key):
    with _lock:
        trainers = _idle.get(key)
        if not trainers:
            return None
        trainer = trainers.pop()
        if not trainers:
            del _idle[key]
        return trainer


def _put(key, trainer):
    with _lock:
        _idle.setdefault(key, []).append(trainer)
        _idle.move_to_end(key)
        while _count_idle() > MAX_IDLE_TRAINERS:
            oldest = next(iter(_idle))
            _idle[oldest].pop(0)
            if not _idle[oldest]:
                del _idle[oldest]


def n_idle_trainers():
    """How many compiled trainers are kept for reuse now."""
    with _lock:
        return _count_idle()


def clear_trainers():
    """Drop every kept trainer (they are rebuilt on demand)."""
    with _lock:
        _idle.clear()


def _state(keras_model):
    """Every variable a fit reads or changes: layers' and the optimizer's."""
    optimizer = keras_model.optimizer
    if not optimizer.built:
        optimizer.build(keras_model.trainable_variables)
    layer_state = [v for layer in keras_model.layers for v in layer.variables]
    return layer_state + list(optimizer.variables)


def _copy_state(source, target):
    for from_variable, to_variable in zip(_state(source), _state(target), strict=True):
        to_variable.assign(from_variable)


@contextlib.contextmanager
def trainer_for(keras_model, key, make_trainer):
    """Yield a compiled model to train in place of ``keras_model``.

    Parameters
    ----------
    keras_model : keras.Model
        The new, compiled model, in its initial state; after a successful block it
        holds the trained state.
    key : hashable or None
        What the compiled training step depends on; None trains ``keras_model``
        itself.
    make_trainer : callable
        Returns a new compiled model of the same configuration, when no trainer
        with this key is idle.

    Yields
    ------
    trainer : keras.Model
    """
    if key is None:
        yield keras_model
        return
    trainer = _take(key) or make_trainer()
    try:
        _copy_state(keras_model, trainer)
        yield trainer
        _copy_state(trainer, keras_model)
    finally:
        _put(key, trainer)
