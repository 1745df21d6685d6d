"""Fast inference: a NumPy forward pass for plain stacks of Dense layers.

``Model.predict`` spends tens of milliseconds per call in set-up, and every new
model's compiled predict function is one more trace, which TensorFlow reports as
"retracing" once a few estimators have been fitted in one process. For the common
case, a ``Sequential`` or functional chain of ``Dense``, ``Dropout`` and
``Activation`` layers, skweight runs the forward pass itself in NumPy (float64,
microseconds for a row). Any other architecture is called eagerly through Keras,
which traces nothing either.
"""

import keras
import numpy as np
from scipy.special import erf, expit, softmax


def _elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805

ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": expit,
    "tanh": np.tanh,
    "softmax": lambda z: softmax(z, axis=-1),
    "elu": _elu,
    "selu": lambda z: _SELU_SCALE * np.where(
        z > 0, z, _SELU_ALPHA * np.expm1(np.minimum(z, 0))
    ),
    "softplus": lambda z: np.logaddexp(0, z),
    "silu": lambda z: z * expit(z),
    "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
}
_PASS_THROUGH = (keras.layers.InputLayer, keras.layers.Dropout)


def _to_numpy(variable):
    # float64: the result must not depend on the batch size, and float32 BLAS
    # kernels round differently for one row than for many.
    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float64)


def _activation_name(activation):
    name = getattr(activation, "__name__", None)
    return name if name in ACTIVATIONS else None


def _numpy_plan(keras_model):
    """The model as a list of NumPy steps, or None if it is not a plain chain."""
    layers = [layer for layer in keras_model.layers
              if not isinstance(layer, _PASS_THROUGH)]
    inputs = getattr(keras_model, "inputs", None)
    if not layers or inputs is None or len(inputs) != 1:
        return None
    # A chain: each layer feeds only the next (no branches, no merges).
    if not isinstance(keras_model, keras.Sequential):
        for layer in layers:
            if len(layer._inbound_nodes) != 1:
                return None
    steps = []
    for layer in layers:
        if isinstance(layer, keras.layers.Dense):
            name = _activation_name(layer.activation)
            if name is None:
                return None
            kernel = _to_numpy(layer.kernel)
            bias = _to_numpy(layer.bias) if layer.use_bias else None
            steps.append((kernel, bias, ACTIVATIONS[name]))
        elif isinstance(layer, keras.layers.Activation):
            name = _activation_name(layer.activation)
            if name is None:
                return None
            steps.append((None, None, ACTIVATIONS[name]))
        else:
            return None
    return steps


def make_forward(keras_model):
    """A function ``X (float32 ndarray) -> outputs (float64 ndarray)`` for inference.

    Parameters
    ----------
    keras_model : keras.Model
        A built model; its weights are read now, so call again after training.

    Returns
    -------
    forward : callable
    """
    plan = _numpy_plan(keras_model)
    if plan is None:
        def forward(X):
            outputs = keras_model(X, training=False)
            return np.asarray(keras.ops.convert_to_numpy(outputs), dtype=np.float64)
        return forward

    def forward(X):
        z = X.astype(np.float64)
        for kernel, bias, activation in plan:
            if kernel is not None:
                z = z @ kernel
                if bias is not None:
                    z = z + bias
            z = activation(z)
        return z

    return forward


def predict_in_batches(forward, X, n_outputs, batch_size=8192):
    """Run ``forward`` over ``X`` in batches, bounding the memory of large inputs."""
    if X.shape[0] <= batch_size:
        return forward(X) if X.shape[0] else np.empty((0, n_outputs))
    return np.concatenate(
        [forward(X[start : start + batch_size])
         for start in range(0, X.shape[0], batch_size)]
    )
