"""The default network and the builder contract.

A model builder is any callable ``model(meta, **model_params)`` returning a Keras
model whose output is a probability: one sigmoid unit for a binary problem, or one
softmax unit per class. ``meta`` is a dict with

``input_form_``
    how ``X`` feeds the model: ``"table"`` (a 2-D array, or a DataFrame of
    numbers only), ``"array"`` (N-D), ``"text"`` or ``"named"`` (a dict, or a
    DataFrame with text or categorical columns; see :mod:`skweight._inputs`);
``input_shapes_``, ``input_dtypes_``
    per-sample shape and kind (``"number"`` or ``"text"``) of the input, or, for
    named inputs, dicts of them keyed by input name;
``n_features_in_``
    number of columns of a 2-D table or DataFrame, None for other forms;
``classes_``, ``n_classes_``
    class labels (sorted) and their number;
``n_outputs_``
    the output width skweight expects (1 when binary, else ``n_classes_``);
``class_counts_``
    rows (or summed sample weight) per class, in the order of ``classes_``;
``class_weight_``
    the per-class weights used in the loss;
``priors_``, ``weighted_priors_``
    class priors without and with the class weights;
``output_bias_``
    the output-layer bias skweight will use (None for "keep the model's own");
``random_state_``
    the integer seed of this fit (None when unseeded), for seeded initialisers.

The builder may return a ``keras.Model`` subclass not built yet: it is built by
one call on a batch of zeros of ``input_shapes_`` (:func:`output_width`).

The builder is called by what its signature accepts
(:func:`skweight._routing.call_builder`): ``meta=meta`` when it has a parameter
named ``meta`` or only ``**kwargs``; ``meta`` by position when its first parameter
has another name and no default; no ``meta`` otherwise. ``model_params`` (and the
routed ``model__x`` values, which live there) go by keyword.

Whatever the builder does with ``output_bias_``, skweight sets the bias of the last
``Dense`` layer to it after building, so a custom architecture starts from the
prior-based bias too.
"""

import keras

from ._input_spec import sample_batch
from ._routing import call_builder


def build_mlp(meta, *, hidden_layer_sizes=(100,), activation="relu", dropout=0.0):
    """Build the default multi-layer perceptron, for 2-D tables only.

    Parameters
    ----------
    meta : dict
        Facts about the training data (see the module docstring).
    hidden_layer_sizes : tuple of int, default=(100,)
        Units of each hidden ``Dense`` layer.
    activation : str, default="relu"
        Activation of the hidden layers.
    dropout : float, default=0.0
        Dropout rate after each hidden layer.

    Returns
    -------
    model : keras.Model
        An uncompiled ``keras.Sequential`` model ending in a sigmoid (binary) or a
        softmax (multiclass) layer.
    """
    seed = meta["random_state_"]

    def seeded(offset):
        return None if seed is None else seed + offset

    layers = [keras.Input(shape=(meta["n_features_in_"],))]
    for i, units in enumerate(hidden_layer_sizes):
        layers.append(
            keras.layers.Dense(
                units,
                activation=activation,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(i)),
            )
        )
        if dropout:
            layers.append(keras.layers.Dropout(dropout, seed=seeded(1000 + i)))
    n_outputs = meta["n_outputs_"]
    bias = meta["output_bias_"]
    layers.append(
        keras.layers.Dense(
            n_outputs,
            activation="sigmoid" if n_outputs == 1 else "softmax",
            kernel_initializer=keras.initializers.GlorotUniform(
                seed=seeded(len(hidden_layer_sizes))
            ),
            bias_initializer=(
                "zeros" if bias is None else keras.initializers.Constant(bias)
            ),
            name="output",
        )
    )
    return keras.Sequential(layers)


def instantiate_model(model, meta, model_params):
    """Build, clone or call ``model`` and return a fresh Keras model.

    Parameters
    ----------
    model : None, callable or keras.Model
        None for :func:`build_mlp`, a builder, or a model to clone.
    meta : dict
        Facts about the training data.
    model_params : dict
        Keyword arguments for the builder.

    Returns
    -------
    keras_model : keras.Model
    """
    if model is None:
        built = build_mlp(meta, **model_params)
    elif isinstance(model, keras.Model):
        if model_params:
            raise ValueError(
                f"model_params={model_params!r} cannot be applied to a model "
                "instance; pass a builder function model(meta, **params) instead."
            )
        try:
            built = keras.models.clone_model(model)
        except Exception as exc:  # subclassed models cannot always be cloned
            raise TypeError(
                f"model {type(model).__name__} could not be cloned ({exc}); pass a "
                "builder function model(meta, **params) that returns a new model."
            ) from exc
    elif callable(model):
        built = call_builder(model, meta, model_params)
        if not isinstance(built, keras.Model):
            raise TypeError(
                f"the builder {getattr(model, '__name__', model)!r} returned "
                f"{type(built).__name__}; it must return a keras.Model."
            )
    else:
        raise TypeError(
            "model must be None (the default MLP), a builder function "
            f"model(meta, **params) or a keras.Model; got {type(model).__name__}."
        )
    _check_output_width(built, meta)
    return built


def output_width(keras_model, meta):
    """The width of the model's output, building a subclassed model if need be.

    A functional or ``Sequential`` model states it; a ``keras.Model`` subclass
    (layers in ``__init__``, the graph in ``call``) has no symbolic outputs and
    may not be built yet: it is called once on a batch of zeros (empty strings
    for text) of ``meta``'s input shapes, which builds its layers.

    Parameters
    ----------
    keras_model : keras.Model
    meta : dict
        The builder's meta (``input_form_``, ``input_shapes_``, ``input_dtypes_``).

    Returns
    -------
    width : int or None
    """
    try:
        outputs = keras_model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if outputs:
        return outputs[0].shape[-1]
    try:
        output = keras_model(sample_batch(meta), training=False)
    except Exception as exc:  # the model's own error, restated
        raise ValueError(
            f"model {type(keras_model).__name__} could not be called on a batch of "
            f"the input's shape {meta['input_shapes_']!r} ({exc}); its call must "
            "take X as fit receives it (see meta['input_form_'])."
        ) from exc
    if isinstance(output, (list, tuple, dict)):
        return None
    return output.shape[-1]


def _check_output_width(keras_model, meta):
    width = output_width(keras_model, meta)
    expected = meta["n_outputs_"]
    if width != expected:
        n_classes = meta["n_classes_"]
        hint = (
            "one sigmoid unit for 2 classes"
            if n_classes == 2
            else f"{n_classes} softmax units"
        )
        raise ValueError(
            f"model has {width} output unit(s) but y has {n_classes} classes "
            f"{meta['classes_'].tolist()!r}; the last layer must have {hint}."
        )


def set_output_bias(keras_model, bias):
    """Set the bias of the model's last ``Dense`` layer in place.

    Parameters
    ----------
    keras_model : keras.Model
        The freshly built model.
    bias : ndarray of shape (n_outputs,)
        The bias to start from.
    """
    for layer in reversed(keras_model.layers):
        if isinstance(layer, keras.layers.Dense):
            if layer.use_bias and tuple(layer.bias.shape) == bias.shape:
                layer.bias.assign(bias.astype(layer.bias.dtype))
                return
            break
    raise ValueError(
        "bias_init needs the model to end in a Dense layer with a bias of "
        f"{bias.shape[0]} unit(s), and this model does not; pass bias_init=None to "
        "keep the model's own bias, or end the model in such a layer."
    )

