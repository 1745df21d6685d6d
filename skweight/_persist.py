"""Pickling a fitted network so that it loads in a fresh process.

Keras pickles a model through its own saving format, which rebuilds classes by
their registered names. A class it has no name for (a ``keras.Model`` subclass,
a custom layer or loss that was never registered) pickles, but fails to load
("Could not locate class"). :class:`PicklableNetwork` pickles such classes and
functions by reference, as Python does, next to the Keras bytes, and loads the
network with them in scope; so it loads wherever their module can be imported.
What cannot be saved fails when pickling, with a message, not when loading.
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


def custom_objects(keras_model):
    """The classes and functions Keras needs by name to rebuild ``keras_model``.

    Parameters
    ----------
    keras_model : keras.Model

    Returns
    -------
    objects : dict
        ``{name: class or function}``, as for ``keras.saving.custom_object_scope``.
    """
    found = [type(layer) for layer in _layers(keras_model)]
    loss = getattr(keras_model, "loss", None)
    if loss is not None:
        found.append(type(loss))
        function = getattr(loss, "fn", None)  # skweight's FunctionLoss
        if function is not None:
            found.append(function)
    objects = {}
    for obj in found:
        if not _is_keras_own(obj):
            objects[keras.saving.get_registered_name(obj)] = obj
    return objects


class PicklableNetwork:
    """A fitted Keras model that pickles with the custom objects it needs.

    Parameters
    ----------
    keras_model : keras.Model

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
                    f"the fitted network uses {name!r} ({obj!r}), which cannot be "
                    f"pickled ({exc}); define it at the top level of a module (not "
                    "as a lambda or inside a function) so it can be imported when "
                    "loading."
                ) from exc
        return {"custom_objects": objects, "model": pickle.dumps(self.model)}

    def __setstate__(self, state):
        with keras.saving.custom_object_scope(state["custom_objects"]):
            self.model = pickle.loads(state["model"])
