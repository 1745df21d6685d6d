"""An estimator's network: built from ``meta``, compiled, and its trainer copies.

The builder contract is in :mod:`skweight._model`; compiled copies reused across
fits in :mod:`skweight._reuse`.
"""

import numpy as np

from ._class_state import n_outputs
from ._epochs import batch_size_for
from ._losses import resolve_loss, resolve_metrics, wants_one_hot
from ._messages import short_repr
from ._model import instantiate_model, set_output_bias
from ._random import seeded_build
from ._routing import optimizer_with_params
from ._training import keras_targets, steps_per_execution


def builder_params(estimator):
    """The keyword arguments the network is built with (``model_params`` and,
    for the default network, its three parameters)."""
    params = dict(estimator.model_params or {})
    if estimator.model is None:
        params = {
            "hidden_layer_sizes": tuple(estimator.hidden_layer_sizes),
            "activation": estimator.activation,
            "dropout": estimator.dropout,
            **params,
        }
    return params


def build_network(estimator, meta):
    """Build the estimator's network from ``meta`` and set its output bias."""
    try:
        with seeded_build(meta["random_state_"]):
            keras_model = instantiate_model(estimator.model, meta,
                                            builder_params(estimator))
    except TypeError as exc:
        if estimator.model is not None or not estimator.model_params:
            raise
        raise TypeError(
            f"model_params={short_repr(estimator.model_params)} do not fit the default "
            f"network ({exc}); it takes hidden_layer_sizes, activation and "
            "dropout, which are parameters of the estimator too. Pass a "
            "builder as model for other settings."
        ) from exc
    if estimator.bias_init_ is not None:
        set_output_bias(keras_model, estimator.bias_init_)
    return keras_model


def compile_network(estimator, keras_model, n_rows):
    """Compile a new network for ``n_rows`` training rows; return its loss."""
    loss_fn = resolve_loss(estimator.loss, estimator.loss_params,
                           n_outputs(estimator.classes_), estimator.priors_)
    keras_model.compile(
        optimizer=optimizer_with_params(estimator.optimizer, estimator.learning_rate,
                                        estimator.optimizer_params),
        loss=loss_fn,
        metrics=resolve_metrics(estimator.metrics),
        steps_per_execution=steps_per_execution(
            n_rows, batch_size_for(estimator.batch_size, n_rows)),
    )
    return loss_fn


def new_trainer(estimator, meta, n_rows):
    """Another compiled model of this configuration, to train in ``model_``'s place.

    Its loss is built here, on a row of zeros. Keras would build it on the
    first fit from a batch of the data, a read that on JAX draws a shuffle
    from NumPy's global generator: a new trainer would then shuffle unlike a
    used one.
    """
    trainer = build_network(estimator, meta)
    compile_network(estimator, trainer, n_rows)
    x = np.zeros((1, estimator.n_features_in_), dtype=np.float32)
    targets = keras_targets(np.zeros(1, dtype=int), n_outputs(estimator.classes_),
                            wants_one_hot(trainer.loss))
    trainer.compute_loss(x=x, y=targets, y_pred=trainer(x),
                         sample_weight=np.ones(1, np.float32))
    return trainer
