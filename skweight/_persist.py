"""Pickling a fitted network and Keras parameters so they load in a fresh process.

Keras pickles a model, a loss, a metric or an optimizer through its own saving
format, which rebuilds classes by their registered names. A class it has no
name for (a ``keras.Model`` subclass, a custom layer, loss, metric or optimizer
that was never registered, a metric function) pickles, but fails to load
("Could not locate class"). :class:`PicklableNetwork` pickles such classes and
functions by reference, as Python does, next to the Keras bytes, and loads the
object with them in scope; so it loads wherever their module can be imported.
What cannot be saved fails when pickling, with a message, not when loading.
:func:`picklable_state` and :func:`unpickled_state` wrap and unwrap every
Keras object of an estimator's state.
"""

import pickle

import keras


def _is_keras_own(obj):
    module = getattr(obj, "__module__", "") or ""
    return module == "keras" or module.startswith(("keras.", "skweight."))


def _layers(layer):
    yield layer
    for sublayer in getattr(layer, "layers", []) or []:
        if sublayer is not layer:
            yield from _layers(sublayer)


# What Keras pickles through its saving format.
KERAS_OBJECTS = (keras.Model, keras.layers.Layer, keras.losses.Loss,
                 keras.metrics.Metric, keras.optimizers.Optimizer)


def _compiled(value):
    """The classes and functions in a loss, metric or optimizer (or lists of them)."""
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in _compiled(item)]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _compiled(item)]
    if isinstance(value, KERAS_OBJECTS):
        # The function inside a FunctionLoss, LossFunctionWrapper or metric wrapper.
        functions = [getattr(value, name, None) for name in ("fn", "_fn")]
        return [type(value), *(fn for fn in functions if callable(fn))]
    if callable(value):
        return [value]
    return []


def custom_objects(keras_object):
    """The classes and functions Keras needs by name to rebuild ``keras_object``.

    Parameters
    ----------
    keras_object : keras.Model, or a Keras loss, metric or optimizer

    Returns
    -------
    objects : dict
        ``{name: class or function}``, as for ``keras.saving.custom_object_scope``.
    """
    if not isinstance(keras_object, keras.Model):
        found = _compiled(keras_object)
    else:
        found = [type(layer) for layer in _layers(keras_object)]
        found += _compiled(getattr(keras_object, "loss", None))
        # What compile was given: the loss, the metrics, the optimizer.
        compile_config = getattr(keras_object, "_compile_config", None)
        found += _compiled(getattr(compile_config, "config", None) or {})
    objects = {}
    for obj in found:
        if not _is_keras_own(obj):
            objects[keras.saving.get_registered_name(obj)] = obj
    return objects


class PicklableNetwork:
    """A Keras model (or loss, metric, optimizer) that pickles with the custom
    objects it needs.

    Parameters
    ----------
    keras_model : keras.Model, or a Keras loss, metric or optimizer

    Attributes
    ----------
    model : keras.Model
    """

    def __init__(self, keras_model):
        self.model = keras_model

    def __getstate__(self):
        objects = custom_objects(self.model)
        for name, obj in objects.items():
            try:
                pickle.dumps(obj)
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                raise pickle.PicklingError(
                    f"the {type(self.model).__name__} "
                    f"{getattr(self.model, 'name', '')!r} uses {name!r} ({obj!r}), "
                    f"which cannot be pickled ({exc}); define it at the top level "
                    "of a module (not as a lambda or inside a function) so it can "
                    "be imported when loading."
                ) from exc
        return {"custom_objects": objects, "model": pickle.dumps(self.model)}

    def __setstate__(self, state):
        with keras.saving.custom_object_scope(state["custom_objects"]):
            self.model = pickle.loads(state["model"])


def _wrap(value):
    if isinstance(value, KERAS_OBJECTS):
        return PicklableNetwork(value)
    if type(value) in (list, tuple):
        return type(value)(_wrap(item) for item in value)
    return value


def _unwrap(value):
    if isinstance(value, PicklableNetwork):
        return value.model
    if type(value) in (list, tuple):
        return type(value)(_unwrap(item) for item in value)
    return value


def picklable_state(state):
    """An estimator's state with every Keras object wrapped in PicklableNetwork.

    The fitted network and the parameters that hold Keras objects (a loss, an
    optimizer, the items of a list of metrics).

    Parameters
    ----------
    state : dict

    Returns
    -------
    state : dict
        A new dict.
    """
    return {key: _wrap(value) for key, value in state.items()}


def unpickled_state(state):
    """The inverse of :func:`picklable_state`.

    Parameters
    ----------
    state : dict

    Returns
    -------
    state : dict
        A new dict.
    """
    return {key: _unwrap(value) for key, value in state.items()}
