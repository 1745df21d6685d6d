"""Seeding that leaves no trace: a fit with a seed must not change later fits.

Keras draws the seeds of unseeded initialisers and dropout layers from Python's
``random`` module, its array pipelines shuffle with NumPy's (JAX backend) or
PyTorch's (torch backend) global generator, and random ops without a seed use
Keras' global seed generator. A seeded fit sets them all for its duration and
puts them back afterwards, so an unseeded fit that follows is as random as if the
seeded one had never run. On TensorFlow, skweight's own data pipeline shuffles
with an operation-level seed instead of any global one.
"""

import contextlib
import random
import threading

import numpy as np
from sklearn.utils import check_random_state

try:  # Keras keeps its global seed generator in a private registry.
    from keras.src.backend.common import global_state as _keras_global_state
    from keras.src.random.seed_generator import (
        GLOBAL_SEED_GENERATOR as _GLOBAL_SEED_GENERATOR,
    )
except ImportError:  # pragma: no cover - a Keras that moved it
    _keras_global_state = None

MAX_SEED = 2**31 - 1


def integer_seed(random_state):
    """An integer seed for this fit, or None when ``random_state`` is None.

    An int is used as given; a ``RandomState`` instance is drawn from, so two fits
    sharing one instance differ, as in scikit-learn.
    """
    if random_state is None:
        return None
    if isinstance(random_state, (int, np.integer)):
        return int(random_state) % MAX_SEED
    return int(check_random_state(random_state).randint(MAX_SEED))


def _torch_rng_state():
    """PyTorch's generator state when Keras runs on it (it shuffles with it)."""
    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    return torch.random.get_rng_state()


_lock = threading.Lock()
# Held while a seeded fit builds its network, and while any seeded fit (re)sets
# the generators, so that no other thread reseeds them in the middle of a build.
_build_lock = threading.RLock()
_active = 0  # seeded blocks running now, in any thread
_saved = None  # the generators' states before the first of them began


def _global_states():
    keras_generator = (
        _keras_global_state.get_global_attribute(_GLOBAL_SEED_GENERATOR)
        if _keras_global_state is not None
        else None
    )
    return random.getstate(), np.random.get_state(), keras_generator, \
        _torch_rng_state()


def _restore(states):
    python_state, numpy_state, keras_generator, torch_state = states
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    if torch_state is not None:
        import torch

        torch.random.set_rng_state(torch_state)
    if _keras_global_state is not None:
        _keras_global_state.set_global_attribute(_GLOBAL_SEED_GENERATOR,
                                                 keras_generator)


@contextlib.contextmanager
def seeded(seed):
    """Seed Python, NumPy and Keras for the duration of the block, then restore.

    Seeded blocks may run at once in several threads (the generators are global,
    so their draws then interleave): the states seen before the first block
    began are restored when the last one ends.

    Parameters
    ----------
    seed : int or None
        None leaves every generator alone.
    """
    global _active, _saved
    if seed is None:
        yield
        return
    # Not while another thread builds a network from its seed (seeded_build).
    with _build_lock, _lock:
        if _active == 0:
            _saved = _global_states()
        _active += 1
        random.seed(seed)
        np.random.seed(seed)
        if _torch_rng_state() is not None:
            import torch

            torch.manual_seed(seed)
        if _keras_global_state is not None:
            # Recreated lazily from Python's (now seeded) generator.
            _keras_global_state.set_global_attribute(_GLOBAL_SEED_GENERATOR, None)
    try:
        yield
    finally:
        with _build_lock, _lock:
            _active -= 1
            if _active == 0:
                _restore(_saved)
                _saved = None



@contextlib.contextmanager
def seeded_build(seed):
    """Build a network in a seeded fit: one thread at a time, from the fit's seed.

    Keras initialisers and dropout layers made without a seed draw one from
    Python's global generator when they are created. Seeded fits in several
    threads would interleave those draws (a builder's ``Conv2D`` would start
    from other weights than in a fit alone), so each seeded build holds a lock
    and seeds Python, NumPy and Keras' generators again, with the fit's seed,
    before it starts; :func:`seeded` waits for the lock before it sets or
    restores the generators. A build is then the same in a thread as alone.
    Unseeded builds do not wait.

    Parameters
    ----------
    seed : int or None
        The fit's seed; None builds without the lock.
    """
    if seed is None:
        yield
        return
    with _build_lock:
        random.seed(seed)
        np.random.seed(seed)
        if _keras_global_state is not None:
            _keras_global_state.set_global_attribute(_GLOBAL_SEED_GENERATOR, None)
        yield
