"""The inference paths: NumPy for Dense stacks, a compiled call for any model."""

import logging
import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification

from skweight import WeightedKerasClassifier
from skweight._forward import (
    BUCKETS,
    bucket_size,
    compiled_forward,
    make_forward,
    predict_in_batches,
)


def conv1d(meta):
    """A tiny Conv1D over sequences (n, t, f)."""
    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Conv1D(2, 3, activation="relu")(inputs)
    hidden = keras.layers.GlobalMaxPooling1D()(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def test_forward_pass_emits_no_array_deprecation_warning():
    """Check that reading weights and running inference warn nothing about __array__."""
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "relu"),
                              keras.layers.Dense(1, "sigmoid")])
    sequences = conv1d({"input_shapes_": (10, 3)})
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*__array__.*")
        make_forward(dense)(np.zeros((2, 4), dtype=np.float32))
        make_forward(sequences)(np.zeros((2, 10, 3), dtype=np.float32))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="Keras itself calls np.array outside skweight's code: on JAX in "
           "Optimizer.get_config (its learning-rate Variable), on torch when it "
           "turns the epoch's logs into Python numbers",
)
def test_fit_emits_no_array_deprecation_warning():
    """Check that fit and predict emit no NumPy DeprecationWarning about __array__."""
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*__array__.*")
        clf = WeightedKerasClassifier(epochs=1, hidden_layer_sizes=(4,),
                                      random_state=0).fit(X, y)
        clf.predict_proba(X)


def test_custom_builder_fit_emits_no_array_deprecation_warning():
    """Check that fitting a builder's model reads its weights without np.array.

    The divergence check after a custom model's fit reads every weight; on JAX,
    ``Layer.get_weights`` calls ``np.array`` on each Variable, which warns.
    """
    X, y = make_classification(n_samples=80, n_features=12, random_state=0)
    sequences = X.reshape(80, 4, 3)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*__array__.*")
        clf = WeightedKerasClassifier(model=conv1d, epochs=1, random_state=0)
        clf.fit(sequences, y).predict_proba(sequences)


def test_buckets_bound_the_shapes():
    """Check that every batch size maps to one of a few bucket sizes."""
    sizes = {bucket_size(n) for n in range(1, 8193)}
    assert sizes == set(BUCKETS)
    assert all(bucket_size(n) >= n for n in (1, 5, 17, 1000, 8192))


def test_compiled_forward_matches_the_model():
    """Check that the compiled call equals the model's own call, for any batch size."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(37, 10, 3)).astype(np.float32)
    model = conv1d({"input_shapes_": (10, 3)})
    forward = compiled_forward(model)
    expected = keras.ops.convert_to_numpy(model(X, training=False))
    for n in (1, 2, 5, 37):
        np.testing.assert_allclose(forward(X[:n]), expected[:n], rtol=1e-5,
                                   atol=1e-6)
    assert compiled_forward(model) is forward  # one compiled call per model


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="counts TensorFlow traces")
def test_compiled_forward_traces_once():
    """Check that new batch sizes do not retrace the TensorFlow function."""
    model = conv1d({"input_shapes_": (10, 3)})
    forward = compiled_forward(model)
    for n in (1, 3, 7, 64, 65):
        forward(np.zeros((n, 10, 3), dtype=np.float32))
    assert forward.call.traces == 1


def test_dense_stack_uses_numpy_and_is_batch_independent():
    """Check that a Dense stack runs in NumPy with row results independent of batch."""
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, "relu"),
                              keras.layers.Dense(3, "softmax")])
    forward = make_forward(model)
    X = np.random.default_rng(0).normal(size=(300, 5)).astype(np.float32)
    full = predict_in_batches(forward, X, 3, batch_size=128)
    # float64: equal to rounding, as scikit-learn's subset-invariance check asks.
    np.testing.assert_allclose(forward(X[:1]), full[:1], rtol=1e-12)
    assert full.dtype == np.float64


def test_many_models_no_retracing_warning(caplog):
    """Check that fitting several custom models logs no TensorFlow retracing warning."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10, 3)).astype(np.float32)
    y = (X[:, 0, 0] > 0).astype(int)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for _ in range(6):
            clf = WeightedKerasClassifier(model=conv1d, epochs=1, random_state=0)
            clf.fit(X, y)
            for n in (1, 2, 5, 40):
                clf.predict_proba(X[:n])
    assert "retracing" not in caplog.text


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="the input-bytes budget is TensorFlow's compiled call's")
@pytest.mark.parametrize("n_rows, expected_calls", [(9000, 1), (40000, 2)])
def test_compiled_call_batches_by_input_bytes(n_rows, expected_calls):
    """Check that the compiled call of a model takes up to MAX_BATCH_BYTES of input
    per call (one call for 9000 sequences of 10x30 float32, 11 MB; two for
    40000, 48 MB), where the NumPy path of Dense stacks keeps 8192 rows, and
    that the batched result equals the one-call result."""
    model = conv1d({"input_shapes_": (10, 30)})
    forward = compiled_forward(model)
    calls = []

    def counted(X):
        calls.append(len(X))
        return forward(X)

    counted.max_batch_bytes = forward.max_batch_bytes
    X = np.random.default_rng(0).normal(size=(n_rows, 10, 30)).astype(np.float32)
    budget_rows = forward.max_batch_bytes // X[0].nbytes
    assert len(calls) == 0 and budget_rows >= 8192
    outputs = predict_in_batches(counted, X, 1)
    assert len(calls) == -(-n_rows // budget_rows) == expected_calls
    np.testing.assert_allclose(outputs, forward(X), rtol=1e-6)


def dense_functional(meta):
    """A functional chain of Dense layers, which the NumPy path runs."""
    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Dense(4, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


@pytest.mark.parametrize("builder, shape", [(None, (60, 5)),
                                            (dense_functional, (60, 5)),
                                            (conv1d, (60, 10, 3))])
def test_predict_follows_weights_set_on_the_model(builder, shape):
    """Check that predict_proba uses the weights the network has now: after
    ``model_.set_weights`` and after assigning one variable, it equals
    ``model_.predict``, for the default network and custom builders."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=shape).astype(np.float32)
    y = np.arange(shape[0]) % 2
    params = {} if builder is None else {"model": builder}
    clf = WeightedKerasClassifier(hidden_layer_sizes=(4,), epochs=1, random_state=0,
                                  **params).fit(X, y)
    before = clf.predict_proba(X)

    clf.model_.set_weights([0.5 * rng.normal(size=w.shape).astype(np.float32)
                            for w in clf.model_.get_weights()])
    expected = clf.model_.predict(X, verbose=0)[:, 0]
    assert not np.allclose(expected, before[:, 1], atol=1e-3)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expected, rtol=1e-5,
                               atol=1e-6)

    bias = clf.model_.layers[-1].bias
    bias.assign(bias.numpy() + 1.0)
    expected = clf.model_.predict(X, verbose=0)[:, 0]
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expected, rtol=1e-5,
                               atol=1e-6)


def test_dense_stack_in_blocks_equals_rows_and_keras():
    """Check that the NumPy pass over many rows, which runs in blocks of rows,
    gives each row the result it gets alone and Keras' own result."""
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64, "relu"),
                              keras.layers.Dense(64, "relu"),
                              keras.layers.Dense(1, "sigmoid")])
    forward = make_forward(model)
    X = np.random.default_rng(0).normal(size=(1000, 20)).astype(np.float32)
    assert forward.block_rows < len(X)
    outputs = forward(X)
    rows = np.concatenate([forward(X[i : i + 1]) for i in (0, 127, 128, 999)])
    np.testing.assert_allclose(outputs[[0, 127, 128, 999]], rows, rtol=1e-12)
    expected = keras.ops.convert_to_numpy(model(X, training=False))
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
    assert outputs.dtype == np.float64 and outputs.shape == (1000, 1)
