"""A fit's epoch loop and its end: the validation split, training, the checks.

Shared by ``fit`` (with or without warm start) and ``partial_fit``: they differ in
how the network starts (see ``WeightedKerasClassifier._initialize``), not in how
it is trained or checked.
"""

import copy

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from ._checks import require_two_rows_per_class
from ._forward import make_forward
from ._inputs import n_samples, take_rows
from ._losses import wants_one_hot
from ._stopping import (
    divergence_advice,
    has_finite_weights,
    is_nan_loss_error,
    stopping_callbacks,
)
from ._training import (
    check_probabilities,
    fit_inputs,
    keras_targets,
    no_retracing_warning,
)


def batch_size_for(batch_size, n_rows):
    """Rows per step: ``min(200, n_rows)`` for ``"auto"``, else ``batch_size``."""
    return min(200, n_rows) if batch_size == "auto" else batch_size


def validation_rows(y_encoded, classes, validation_fraction, seed):
    """Row indices of a stratified split: ``(fit_rows, validation_rows)``.

    Indices, not rows: X may be N-D, text or a dict of named inputs.
    """
    require_two_rows_per_class(
        y_encoded, classes, "early_stopping=True holds out a stratified validation "
        "split", "Pass early_stopping=False")
    try:
        return train_test_split(
            np.arange(len(y_encoded)),
            test_size=validation_fraction,
            stratify=y_encoded,
            random_state=seed,
        )
    except ValueError as exc:
        raise ValueError(
            f"validation_fraction={validation_fraction!r} leaves no room "
            f"for a stratified split of {len(y_encoded)} rows and "
            f"{len(classes)} classes ({exc}); raise validation_fraction "
            "or pass early_stopping=False."
        ) from exc


def split_rows(X, y_encoded, row_weight, sample_weight, rows):
    """``(train, validation)`` tuples from :func:`validation_rows`' indices."""
    fit_rows, val_rows = rows
    return (
        (take_rows(X, fit_rows), y_encoded[fit_rows], row_weight[fit_rows]),
        (take_rows(X, val_rows), y_encoded[val_rows], row_weight[val_rows],
         sample_weight[val_rows]),
    )


def run_epochs(keras_model, X, y_encoded, row_weight, *, n_outputs, epochs, seed,
               batch_size, callbacks, verbose, stopping=None):
    """Train ``keras_model`` for ``epochs`` passes over (X, y); return its history.

    Parameters
    ----------
    keras_model : keras.Model
        Compiled.
    X, y_encoded, row_weight
        The training rows, their class indices and weights.
    n_outputs : int
        The output width the build checked (a subclassed model has no symbolic
        outputs to read it from).
    epochs : int
    seed : int or None
        Seeds the shuffling.
    batch_size : int or "auto"
    callbacks : Callback, list of Callback or None
        The user's callbacks, copied for this fit.
    verbose : int
    stopping : list of Callback or None
        skweight's own callbacks (the NaN guard, early stopping); None: the guard.

    Returns
    -------
    history : dict of list

    Raises
    ------
    FloatingPointError
        If the training loss stops being finite.
    """
    if stopping is None:
        stopping, _ = stopping_callbacks(None, 0.0, epochs)
    if isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    callbacks = [*stopping, *copy.deepcopy(list(callbacks or []))]
    if seed is not None and keras.backend.backend() != "tensorflow":
        callbacks.insert(0, SeedShuffles(seed))
    targets = keras_targets(y_encoded, n_outputs, wants_one_hot(keras_model.loss))
    try:
        with fit_inputs(
            X, targets, row_weight.astype(np.float32),
            batch_size_for(batch_size, n_samples(X)), seed, epochs,
            keras_model.steps_per_execution,
        ) as inputs, no_retracing_warning():
            history = keras_model.fit(**inputs, epochs=epochs, verbose=verbose,
                                      callbacks=callbacks)
    except RuntimeError as exc:
        # TerminateOnNaN's error, or the backend's own on NaN outputs (torch's
        # cross-entropy refuses inputs outside [0, 1]).
        if not is_nan_loss_error(exc) and has_finite_weights(keras_model):
            raise
        epoch = len(keras_model.history.history.get("loss", [])) + 1
        raise FloatingPointError(
            f"the training loss is not finite at epoch {epoch}; the model is "
            "unusable. " + divergence_advice(keras_model)
        ) from exc
    return {key: list(values) for key, values in history.history.items()}


class SeedShuffles(keras.callbacks.Callback):
    """Seed the generator Keras shuffles with, once training begins.

    On JAX and torch, Keras shuffles the rows with NumPy's or PyTorch's global
    generator. A model's first fit also draws from it before training, to build
    the model from one batch, and a model fitted before does not; seeding when
    training begins makes a seeded fit shuffle alike either way (a new compiled
    copy or a kept one, an ensemble's first member or a later one). The global
    state is restored by :func:`skweight._random.seeded` at the end of the fit.
    """

    def __init__(self, seed):
        super().__init__()
        self.seed = seed

    def on_train_begin(self, logs=None):
        np.random.seed(self.seed)  # noqa: NPY002 (the generator Keras reads)
        if keras.backend.backend() == "torch":
            import torch

            torch.manual_seed(self.seed)


def check_diverged(stopping, keras_model, n_iter):
    """Raise if early stopping's validation score stopped being finite."""
    if any(getattr(callback, "diverged", False) for callback in stopping):
        raise FloatingPointError(
            "early stopping's validation score is not finite at epoch "
            f"{n_iter}: the network's outputs on the validation rows are "
            "NaN or infinite, so training diverged; the model is unusable. "
            + divergence_advice(keras_model)
        )


def checked_forward(keras_model, X, n_iter):
    """The trained network's inference function, once it is checked usable.

    Raises unless the weights are finite and the outputs on the first rows of
    ``X`` are probabilities.
    """
    if not has_finite_weights(keras_model):
        raise FloatingPointError(
            f"the network's weights are not finite after epoch {n_iter} "
            "(training diverged in its last steps); the model is unusable. "
            + divergence_advice(keras_model)
        )
    forward = make_forward(keras_model)
    first_rows = take_rows(X, np.arange(min(200, n_samples(X))))
    check_probabilities(forward(first_rows))
    return forward
