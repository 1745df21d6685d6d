"""Atomic fits: a fit that raises leaves the estimator as it was before the call.

A fit sets many attributes (``classes_``, the class weights, the network) one
after the other; an error half-way, or a KeyboardInterrupt, would otherwise leave
the new classes with the old network. :func:`atomic_fit` snapshots the
estimator's attributes before the call and puts them back on any exception, and
a network trained in place (by ``partial_fit`` or ``warm_start``) gets its weights
and optimizer state back too, every member of an ensemble (``models_``) included.
A first fit that raises thus leaves an unfitted estimator (``NotFittedError``).

One estimator object is fitted by one thread at a time: a second concurrent fit
of the same object raises at once (fitting clones in parallel is fine).
"""

import functools
import threading

import numpy as np

_lock = threading.Lock()
_fitting = set()  # ids of the estimators being fitted now


def _network_state(keras_model):
    """The values of the network's and its optimizer's variables."""
    variables = list(keras_model.variables)
    optimizer = getattr(keras_model, "optimizer", None)
    if optimizer is not None and optimizer.built:
        variables += list(optimizer.variables)
    return variables, [np.array(variable.numpy()) for variable in variables]


def atomic_fit(method):
    """Decorate a fit method: one thread at a time, state restored on error.

    Parameters
    ----------
    method : callable
        ``fit`` or ``partial_fit`` of an estimator whose trained networks, if
        any, are ``models_`` (or ``model_`` alone).

    Returns
    -------
    wrapper : callable
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with _lock:
            if id(self) in _fitting:
                raise RuntimeError(
                    f"this {type(self).__name__} is already being fitted in another "
                    "thread; fit one object per thread, e.g. "
                    "sklearn.base.clone(estimator) for each."
                )
            _fitting.add(id(self))
        try:
            saved = dict(vars(self))
            # Mutable fitted values that a fit may change in place.
            history = {key: list(values)
                       for key, values in saved.get("history_", {}).items()}
            # Every trained network (models_, the members of an ensemble).
            networks = saved.get("models_") or (
                [saved["model_"]] if "model_" in saved else [])
            network_states = [_network_state(network) for network in networks]
            try:
                return method(self, *args, **kwargs)
            except BaseException:
                vars(self).clear()
                vars(self).update(saved)
                if "history_" in saved:
                    saved["history_"].clear()
                    saved["history_"].update(history)
                for network in network_states:
                    for variable, value in zip(*network, strict=True):
                        variable.assign(value)
                raise
        finally:
            with _lock:
                _fitting.discard(id(self))

    return wrapper
