"""Fast inference: a NumPy forward pass for plain stacks of Dense layers, and a
compiled call, traced a bounded number of times, for any other model.

``Model.predict`` spends tens of milliseconds per call in set-up, and its
compiled predict function retraces, which TensorFlow reports as "retracing" once
a few estimators have been fitted in one process. For the common case, a
``Sequential`` or functional chain of ``Dense``, ``Dropout`` and ``Activation``
layers, skweight runs the forward pass itself in NumPy (float64, on the weights
the variables hold at each call, in cache-sized blocks of rows). Any other
architecture (convolutions, recurrent layers, text layers, several inputs) runs
through :func:`compiled_forward`.
"""

import math

import keras
import numpy as np
from scipy.special import erf, expit, softmax


def _elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805

# In place where NumPy can: the array is the forward pass's own, and a new
# array per layer costs more (page faults of a fresh allocation) than the
# arithmetic on 10k rows.
ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0, out=z),
    "sigmoid": lambda z: expit(z, out=z),
    "tanh": lambda z: np.tanh(z, out=z),
    "softmax": lambda z: softmax(z, axis=-1),
    "elu": _elu,
    "selu": lambda z: _SELU_SCALE * np.where(
        z > 0, z, _SELU_ALPHA * np.expm1(np.minimum(z, 0))
    ),
    "softplus": lambda z: np.logaddexp(0, z, out=z),
    "silu": lambda z: z * expit(z),
    "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
}
_PASS_THROUGH = (keras.layers.InputLayer, keras.layers.Dropout)


def _to_numpy(value):
    """A float64 NumPy copy of a Keras variable or backend tensor.

    float64: the result must not depend on the batch size, and float32 BLAS
    kernels round differently for one row than for many. On TensorFlow,
    ``tensor.numpy()``: NumPy 2 warns (DeprecationWarning) on ``np.array`` of
    TensorFlow tensors and variables, whose ``__array__`` takes no ``copy``.
    """
    if keras.backend.backend() == "tensorflow":
        return np.asarray(keras.ops.convert_to_tensor(value).numpy(), dtype=np.float64)
    if isinstance(value, keras.Variable):
        value = value.value  # the backend array: a Variable's __array__ warns too
    if keras.backend.backend() == "torch":
        # Keras' convert_to_numpy calls np.array on the tensor, which warns too.
        return value.detach().cpu().numpy().astype(np.float64)
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def _activation_name(activation):
    name = getattr(activation, "__name__", None)
    return name if name in ACTIVATIONS else None


def _numpy_plan(keras_model):
    """The model as a list of steps ``(kernel, bias, activation)`` of Keras
    variables (None where a step has none), or None if it is not a plain chain."""
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
            steps.append((layer.kernel, layer.bias if layer.use_bias else None,
                          ACTIVATIONS[name]))
        elif isinstance(layer, keras.layers.Activation):
            name = _activation_name(layer.activation)
            if name is None:
                return None
            steps.append((None, None, ACTIVATIONS[name]))
        else:
            return None
    return steps


class _WeightsWatch:
    """Tells, at each call, whether Keras variables changed since the last call.

    JAX replaces a variable's array on every assignment and PyTorch counts the
    in-place writes of a tensor, so the arrays' identities and versions tell,
    for free. TensorFlow writes in place and counts nothing: its values are
    read and compared, one ``ReadVariableOp`` per variable (the cheapest read
    found: no gradient tape, no ``tf.function`` call), tens of microseconds.

    Parameters
    ----------
    variables : list of keras.Variable
    """

    def __init__(self, variables):
        self.variables = variables
        self.backend = keras.backend.backend()
        if self.backend == "tensorflow":
            self._handles = [(v.value.handle, v.value.dtype) for v in variables]

    def state(self):
        """An object equal (``==``) to the previous one if nothing changed."""
        if self.backend == "jax":
            return _Same([variable.value for variable in self.variables])
        if self.backend == "torch":
            return [(id(variable.value), variable.value._version)
                    for variable in self.variables]
        if self.backend == "tensorflow":
            import tensorflow as tf

            read = tf.raw_ops.ReadVariableOp
            return _Values([read(resource=handle, dtype=dtype).numpy()
                            for handle, dtype in self._handles])
        return _Values([_to_numpy(variable) for variable in self.variables])

    def float64(self, state):
        """The variables' values as float64 arrays (``state`` from :meth:`state`)."""
        if isinstance(state, _Values):
            return [np.asarray(value, dtype=np.float64) for value in state]
        return [_to_numpy(variable) for variable in self.variables]


class _Same(list):
    """Arrays compared by identity."""

    def __eq__(self, other):
        return len(self) == len(other) and all(
            a is b for a, b in zip(self, other, strict=True))

    __hash__ = None


class _Values(list):
    """Arrays compared by value (bytes: NaN equals itself)."""

    def __eq__(self, other):
        return len(self) == len(other) and all(
            a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
            for a, b in zip(self, other, strict=True))

    __hash__ = None


class _DenseForward:
    """The NumPy forward pass of a chain of Dense layers, on the current weights.

    The weights are kept as float64 NumPy arrays and read again from the Keras
    variables whenever these changed since (``set_weights``, an assignment,
    more training), which :class:`_WeightsWatch` tells at each call.

    The rows go through the whole chain in blocks of :attr:`block_rows`, small
    enough that each matrix product has at most ``BLOCK_PRODUCT`` multiply-adds:
    a block's activations stay in the CPU's cache, and BLAS (OpenBLAS' kernel
    for small matrices) runs it on the calling thread. A product over all the
    rows at once writes megabytes of activations and wakes BLAS' threads, which
    on a busy machine costs more than the arithmetic.
    """

    def __init__(self, keras_model, steps):
        self.steps = steps
        self.watch = _WeightsWatch([v for kernel, bias, _ in steps
                                    for v in (kernel, bias) if v is not None])
        largest = max([1] + [math.prod(kernel.shape) for kernel, _, _ in steps
                             if kernel is not None])
        self.block_rows = min(BATCH_ROWS, max(16, BLOCK_PRODUCT // largest))
        self._current = (None, None)

    def _plan(self):
        """The steps with float64 weights, read again if the variables changed."""
        state = self.watch.state()
        seen, plan = self._current  # one read: another thread may replace it
        if plan is not None and state == seen:
            return plan
        values = iter(self.watch.float64(state))
        plan = [(None if kernel is None else next(values),
                 None if bias is None else next(values), activation)
                for kernel, bias, activation in self.steps]
        self._current = (state, plan)
        return plan

    def __call__(self, X):
        plan = self._plan()
        n_rows = X.shape[0]
        if n_rows <= self.block_rows:
            return _run(plan, X)
        outputs = None
        for start in range(0, n_rows, self.block_rows):
            block = _run(plan, X[start : start + self.block_rows])
            if outputs is None:
                outputs = np.empty((n_rows, *block.shape[1:]))
            outputs[start : start + len(block)] = block
        return outputs


def _run(plan, X):
    """The rows ``X`` through the steps of ``plan``, in float64."""
    z = X.astype(np.float64)  # a copy: the activations write in place
    for kernel, bias, activation in plan:
        if kernel is not None:
            z = z @ kernel
            if bias is not None:
                z += bias
        z = activation(z)
    return z


def make_forward(keras_model):
    """A function ``X -> outputs (float64 ndarray)`` for inference.

    A plain chain of ``Dense`` layers runs in NumPy (float64, on the weights the
    variables hold at each call); any other model through a compiled call
    (:func:`compiled_forward`).

    Parameters
    ----------
    keras_model : keras.Model
        A built model.

    Returns
    -------
    forward : callable
        Takes what the model takes (an array or a dict of arrays keyed by input
        name).
    """
    steps = _numpy_plan(keras_model)
    if steps is None:
        return compiled_forward(keras_model)
    return _DenseForward(keras_model, steps)


def bucket_size(n_rows):
    """The padded batch size of ``n_rows``: the next of 1, 4, 16, ... (powers of 4).

    JAX compiles once per input shape; padding to these sizes bounds the
    compilations of a model to ``len(BUCKETS)`` whatever the batch sizes asked.
    """
    for size in BUCKETS:
        if n_rows <= size:
            return size
    return n_rows


# Rows per call of the NumPy path (its float64 activations are the memory) and
# of JAX's compiled call (its largest bucket).
BATCH_ROWS = 8192
# Multiply-adds of the largest matrix product of one block of the NumPy path:
# 128 rows of a 64x64 layer, under the 100**3 up to which OpenBLAS multiplies
# small matrices on the calling thread.
BLOCK_PRODUCT = 2**19
BUCKETS = tuple(4 ** k for k in range(7)) + (BATCH_ROWS,)


def _pad(x, size):
    if x.shape[0] == size:
        return x
    padding = np.repeat(x[:1], size - x.shape[0], axis=0)
    return np.concatenate([x, padding])


class _TensorFlowCall:
    # A callable object, not a closure: TensorFlow counts traces per code object,
    # so closures of every fitted model would add up to a "retracing" warning.
    def __init__(self, keras_model):
        self.keras_model = keras_model
        self.traces = 0  # Python runs only while TensorFlow traces

    def __call__(self, x):
        self.traces += 1
        return self.keras_model(x, training=False)


def _input_signature(keras_model):
    import tensorflow as tf

    inputs = getattr(keras_model, "inputs", None)
    if not inputs:
        return None
    specs = [tf.TensorSpec((None, *tensor.shape[1:]), dtype=tensor.dtype)
             for tensor in inputs]
    if len(specs) == 1:
        return [specs[0]]
    return [{tensor.name: spec for tensor, spec in zip(inputs, specs, strict=True)}]


def compiled_forward(keras_model):
    """A compiled inference call of any Keras model, traced a bounded number of times.

    TensorFlow: one ``tf.function`` per model with the batch dimension left
    unknown, traced once. JAX: ``jax.jit`` of the model's stateless call on
    inputs padded to a few bucket sizes (:func:`bucket_size`). torch: an eager
    call without gradients (Keras compiles nothing on torch).

    Parameters
    ----------
    keras_model : keras.Model
        A built model; the weights are read at each call.

    Returns
    -------
    forward : callable
    """
    # One compiled call per model, kept on the model (early stopping asks for it
    # every epoch). object.__setattr__: Keras would track the attribute as state;
    # Keras' pickling and saving ignore it.
    cached = vars(keras_model).get(_CACHE_ATTRIBUTE)
    if cached is None:
        cached = _compile_forward(keras_model)
        object.__setattr__(keras_model, _CACHE_ATTRIBUTE, cached)
    return cached


_CACHE_ATTRIBUTE = "_skweight_compiled_forward"


def _compile_forward(keras_model):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        signature = _input_signature(keras_model)
        call = _TensorFlowCall(keras_model)
        function = tf.function(call, input_signature=signature,
                               reduce_retracing=signature is None)
        if signature is None:  # a subclassed model: shapes known only when called
            def forward(X):
                return _to_numpy(function(X))

            forward.call = call
            forward.max_batch_bytes = MAX_BATCH_BYTES
            return forward
        # The traced graph itself: calling it skips binding the arguments to the
        # signature, about a third of a one-row call.
        concrete = function.get_concrete_function()
        dtypes = tf.nest.map_structure(lambda spec: spec.dtype, signature[0])

        def forward(X):
            tensors = tf.nest.map_structure(
                lambda x, dtype: tf.convert_to_tensor(x, dtype=dtype), X, dtypes)
            return _to_numpy(concrete(tensors))

        forward.call = call
        forward.max_batch_bytes = MAX_BATCH_BYTES
        return forward
    if backend == "jax":
        import jax

        # stateless_call hands its keywords to call(), which a subclassed model
        # may define without `training` (Layer.__call__ would drop it).
        context = ({"training": False} if "training" in getattr(
            keras_model, "call_signature_parameters", ["training"]) else {})

        def stateless(trainable, non_trainable, x):
            outputs, _ = keras_model.stateless_call(trainable, non_trainable, x,
                                                    **context)
            return outputs

        jitted = jax.jit(stateless)

        def forward(X):
            n_rows = len(next(iter(X.values()))) if isinstance(X, dict) else len(X)
            size = bucket_size(n_rows)
            padded = ({name: _pad(value, size) for name, value in X.items()}
                      if isinstance(X, dict) else _pad(X, size))
            outputs = jitted([v.value for v in keras_model.trainable_variables],
                             [v.value for v in keras_model.non_trainable_variables],
                             padded)
            return _to_numpy(outputs)[:n_rows]

        return forward

    def forward(X):
        if backend == "torch":
            import torch

            with torch.no_grad():
                return _to_numpy(keras_model(X, training=False))
        return _to_numpy(keras_model(X, training=False))

    return forward


# Input bytes per call of TensorFlow's compiled call: a 10k-row batch of small
# images in one call, as Model.predict_on_batch would take it.
MAX_BATCH_BYTES = 2**25


def _row_bytes(X):
    # Per row of the array(s): object arrays of text count their pointers.
    arrays = X.values() if isinstance(X, dict) else [X]
    return sum(array.nbytes // max(1, len(array)) for array in arrays)


def predict_in_batches(forward, X, n_outputs, batch_size=None):
    """Run ``forward`` over ``X`` in batches, bounding the memory of large inputs.

    ``X`` is an array or a dict of arrays with one row count. ``batch_size=None``
    takes :data:`BATCH_ROWS` rows per call, or, for a forward pass that states its
    ``max_batch_bytes``, as many rows as that many bytes of input hold (at least
    :data:`BATCH_ROWS`).
    """
    n_rows = len(next(iter(X.values()))) if isinstance(X, dict) else X.shape[0]
    if not n_rows:
        return np.empty((0, n_outputs))
    if batch_size is None:
        budget = getattr(forward, "max_batch_bytes", None)
        batch_size = (BATCH_ROWS if budget is None
                      else max(BATCH_ROWS, budget // max(1, _row_bytes(X))))
    if n_rows <= batch_size:
        return forward(X)

    def rows(start):
        if isinstance(X, dict):
            return {name: value[start : start + batch_size]
                    for name, value in X.items()}
        return X[start : start + batch_size]

    return np.concatenate([forward(rows(start))
                           for start in range(0, n_rows, batch_size)])
