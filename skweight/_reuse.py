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
object) gets no key and trains its own model, as Keras does (an ensemble's
members then share their first member's step, within the fit:
:mod:`skweight._shared_step`). At most
``MAX_IDLE_TRAINERS`` trainers are kept, the least recently used dropped first.
"""

import contextlib
import threading
from collections import OrderedDict

import keras
import numpy as np

MAX_IDLE_TRAINERS = 4

_lock = threading.Lock()
_idle = OrderedDict()  # key -> idle trainers; least recently used first


def canonical(value):
    """A hashable spelling of nested parameters: dicts become sorted tuples.

    Other objects stay themselves, so they compare as they define (by identity
    for most), and a key that holds them keeps them alive.
    """
    if isinstance(value, dict):
        return tuple(sorted((key, canonical(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(item) for item in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def trainer_key(keras_model, *, inputs, builder_params, loss, loss_params,
                optimizer, compiled_priors=None, metrics=()):
    """What the compiled training step of ``keras_model`` depends on.

    Parameters
    ----------
    keras_model : keras.Model
        The compiled default network.
    inputs : hashable
        What the network's input depends on (e.g. the number of features).
    builder_params : dict
        The keyword arguments the network was built with.
    loss : str
        The loss, by name; a loss object cannot be named with certainty.
    loss_params : dict
        Its keyword arguments.
    optimizer : dict
        The optimizer's Keras config, ``{"class_name": ..., "config": ...}``
        (read from the settings, not from the compiled optimizer, whose
        ``get_config`` converts the learning-rate variable to NumPy: a
        DeprecationWarning on JAX).
    compiled_priors : sequence of float or None
        Class priors the loss compiles in (the logit-adjusted loss), else None.
    metrics : tuple of str, default=()
        The metrics compiled in, by name.

    Returns
    -------
    key : tuple or None
        None when the step cannot be named with certainty (an unhashable
        parameter), or on torch, where Keras compiles nothing; such a model trains
        itself.
    """
    if keras.backend.backend() == "torch":
        return None
    config = dict(optimizer["config"])
    config.pop("name", None)  # numbered per instance; computes nothing
    if isinstance(config.get("learning_rate"), float):
        del config["learning_rate"]  # a variable: copied, not compiled in
    n_outputs = keras_model.outputs[0].shape[-1]
    key = (
        keras.backend.backend(),
        keras.config.dtype_policy().name,
        inputs,
        n_outputs,
        canonical(builder_params),
        loss,
        canonical(loss_params),
        None if compiled_priors is None else tuple(compiled_priors),
        optimizer["class_name"],
        canonical(config),
        keras_model.steps_per_execution,
        tuple(metrics),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def estimator_trainer_key(estimator, keras_model, *, builder_params,
                          optimizer_settings):
    """The reuse key of an estimator's compiled default network, or None.

    None for a custom builder or model, a loss or metric object, which cannot be
    named with certainty: such a model trains itself.

    Parameters
    ----------
    estimator : WeightedKerasClassifier
        Fitted up to its class state (``n_features_in_``, ``priors_``).
    keras_model : keras.Model
        Its compiled network.
    builder_params : dict
        The keyword arguments the network was built with.
    optimizer_settings : dict
        The optimizer's Keras config, with its routed parameters.

    Returns
    -------
    key : tuple or None
    """
    metrics = tuple(estimator.metrics or ())
    if (estimator.model is not None or not isinstance(estimator.loss, str)
            or not all(isinstance(metric, str) for metric in metrics)):
        return None
    return trainer_key(
        keras_model,
        inputs=estimator.n_features_in_,
        builder_params=builder_params,
        loss=estimator.loss,
        loss_params=dict(estimator.loss_params or {}),
        optimizer=optimizer_settings,
        compiled_priors=(estimator.priors_.tolist()
                         if estimator.loss == "logit_adjusted" else None),
        metrics=metrics,
    )


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


def training_state(keras_model):
    """Every variable a fit reads or changes, in a fixed order.

    The model's variables (those of its layers, seed-generator states and any
    weight a subclassed model holds outside its layers; not the metrics', which
    each epoch resets) and its optimizer's, built if need be.
    """
    optimizer = keras_model.optimizer
    if not optimizer.built:
        optimizer.build(keras_model.trainable_variables)
    return [*keras_model.variables, *optimizer.variables]


def copy_state(source, target):
    """Give ``target`` the training state of ``source``, a model alike."""
    for from_variable, to_variable in zip(training_state(source),
                                          training_state(target), strict=True):
        to_variable.assign(from_variable)


def state_values(keras_model):
    """A copy of the values of the model's training state."""
    return [np.array(variable.numpy()) for variable in training_state(keras_model)]


def assign_state(keras_model, values):
    """Put back values from :func:`state_values`."""
    for variable, value in zip(training_state(keras_model), values, strict=True):
        variable.assign(value)


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
        copy_state(keras_model, trainer)
        yield trainer
        copy_state(trainer, keras_model)
    finally:
        _put(key, trainer)
