"""One compiled training step for the members of one fit, when no key names it.

An ensemble's members (``n_members``) share one configuration, and Keras traces
and compiles each model's training step on its first fit (on TensorFlow about
0.6 s on a CPU). The default network's members train on a kept trainer
(:mod:`skweight._reuse`); a configuration that cannot be named with certainty (a
builder, a model to clone, a loss or metric object) has no key, and a warm call
(``partial_fit``, a ``warm_start`` fit) trains the fitted networks on, so there
the members share the first member's step instead: member 0 trains itself,
compiling its step on its first such call; each other member then trains on
member 0's model, which takes the member's whole state
(:func:`skweight._reuse.training_state`: every variable of the model, seed
states and a subclass's own weights included, and of its optimizer), trains,
and gives the trained state back; at the end member 0 gets its own trained
state back. Each member is thus the network that training it on its own model
gives, bit for bit (``tests/test_shared_step.py``).

A builder may make another network for another seed, and a compiled step only
fits the network it was traced for. A member trains on member 0's step only if
its network is like member 0's in everything a step depends on that can be
read: the model's class; variables of the same shapes, dtypes and trainability,
none shared; layers of the same classes and configurations, seeds and layer
names aside; and, holding the member's state, the same outputs on a few
training rows (which tells a different wiring). Otherwise it trains itself, as
Keras does. A subclassed model whose ``call`` takes another path in training
only, on an attribute set from the seed, is the one difference these checks
cannot see.

Not on torch, where Keras compiles nothing: each member trains itself there. On
JAX, Keras shuffles with NumPy's global generator, which a model's first fit
also draws from; a seeded fit seeds it when training begins
(:class:`skweight._epochs.SeedShuffles`), so members trained on member 0's model
shuffle as on models of their own.
"""

import contextlib

import keras
import numpy as np

from ._input_spec import n_samples, take_rows
from ._reuse import (
    assign_state,
    copy_state,
    state_values,
    trainer_for,
    training_state,
)

ENABLED = True  # False: every member trains itself (a reference for tests)
PROBE_ROWS = 8


@contextlib.contextmanager
def member_trainers(models, X, *, key=None, make_trainer=None):
    """Yield ``trainer_of(member)``, a context giving the model to train it on.

    Parameters
    ----------
    models : list of keras.Model
        The compiled members of one fit, trained in order: member 0 first.
    X : ndarray or dict of ndarray
        The training input (a few rows check that two networks compute alike).
    key : hashable or None, default=None
        The reuse key of the configuration (:func:`skweight._reuse.trainer_for`):
        when not None, every member trains on a kept trainer.
    make_trainer : callable or None, default=None
        Makes a trainer for ``key`` when none is kept.

    Yields
    ------
    trainer_of : callable
        ``trainer_of(member)`` is a context manager yielding the model to train
        ``models[member]`` on; after a successful block ``models[member]`` holds
        the trained state. When the outer block ends, member 0 holds its own
        trained state again, even after an error.
    """
    if key is not None or not enabled(len(models)):
        yield lambda member: trainer_for(models[member], key, make_trainer)
        return
    shared = _SharedStep(models, X)
    try:
        yield shared.trainer_for
    finally:
        shared.restore_first()


def enabled(n_members):
    """Whether the members of a fit without a trainer key share member 0's step."""
    return ENABLED and n_members > 1 and keras.backend.backend() != "torch"


class _SharedStep:
    def __init__(self, models, X):
        self.models = models
        self.probe = take_rows(X, np.arange(min(PROBE_ROWS, n_samples(X))))
        self.first_trained = None  # member 0's trained state, once it trains others
        self.first_signature = None

    @contextlib.contextmanager
    def trainer_for(self, member):
        keras_model = self.models[member]
        first = self.models[0]
        if member == 0 or not self._like_first(keras_model):
            yield keras_model
            return
        if self.first_trained is None:
            self.first_trained = state_values(first)
        copy_state(keras_model, first)
        if not _same_outputs(first, keras_model, self.probe):
            yield keras_model  # member 0's state comes back in restore_first
            return
        yield first
        copy_state(first, keras_model)

    def restore_first(self):
        if self.first_trained is not None:
            assign_state(self.models[0], self.first_trained)
            self.first_trained = None

    def _like_first(self, keras_model):
        first_ids = {id(v) for v in training_state(self.models[0])}
        if any(id(v) in first_ids for v in training_state(keras_model)):
            return False  # a builder that hands out the same layers
        try:
            if self.first_signature is None:
                self.first_signature = _signature(self.models[0])
            return bool(_signature(keras_model) == self.first_signature)
        except Exception:  # a config that cannot be read or compared: unlike
            return False


def _signature(keras_model):
    """What a compiled step depends on that can be read from a model."""
    variables = tuple((tuple(v.shape), str(v.dtype), bool(v.trainable))
                      for v in training_state(keras_model))
    flatten = getattr(keras_model, "_flatten_layers", None)
    layers = (list(flatten(include_self=False)) if flatten is not None
              else list(keras_model.layers))
    # Layer names differ from one build to the next: configs (a nested model's
    # wiring, a wrapped layer) name layers by their place instead.
    places = {layer.name: place for place, layer in enumerate(layers)}
    return type(keras_model), variables, tuple(
        (type(layer), _plain(_config(layer), places)) for layer in layers)


def _config(layer):
    try:
        return layer.get_config()
    except NotImplementedError:  # a custom layer without get_config
        return None


def _plain(value, places):
    """A comparable spelling of a layer config: seeds left out, layer names
    replaced by the layers' places."""
    if isinstance(value, dict):
        return tuple(sorted((key, _plain(item, places))
                            for key, item in value.items() if key != "seed"))
    if isinstance(value, (list, tuple)):
        return tuple(_plain(item, places) for item in value)
    if isinstance(value, str) and value in places:
        return "layer", places[value]
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype.str, value.tobytes()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _same_outputs(trainer, keras_model, X):
    """Whether two models holding the same state give the same outputs on ``X``.

    Inference mode, in a stateless scope: a layer that draws random numbers at
    inference would otherwise advance its seed state.
    """
    try:
        with keras.StatelessScope():
            outputs = [keras.ops.convert_to_numpy(model(X, training=False))
                       for model in (trainer, keras_model)]
    except Exception:  # the models cannot be compared: train the member alone
        return False
    return outputs[0].shape == outputs[1].shape and np.array_equal(
        outputs[0], outputs[1], equal_nan=True)
