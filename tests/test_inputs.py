"""The input forms: tables, N-D arrays, raw text and named inputs, and bad input."""

import copy

import keras
import numpy as np
import pandas as pd
import pytest

from skweight import WeightedKerasClassifier

FAST = dict(epochs=2, learning_rate=0.01, random_state=0)
# String tensors (TextVectorization, StringLookup) exist on TensorFlow only.
TEXT = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                          reason="string inputs need the TensorFlow backend")


def cnn(meta, filters=2):
    """A tiny CNN on images of the fitted per-sample shape."""
    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Conv2D(filters, 3, activation="relu")(inputs)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    outputs = keras.layers.Dense(meta["n_outputs_"], activation="sigmoid"
                                 if meta["n_outputs_"] == 1 else "softmax")(hidden)
    return keras.Model(inputs, outputs)


def text_model(meta):
    """Raw strings through TextVectorization, a bag of embeddings."""
    inputs = keras.Input(shape=(), dtype="string")
    vectorize = keras.layers.TextVectorization(
        max_tokens=50, output_sequence_length=6,
        vocabulary=["good", "bad", "ok", "fine", "awful"],
    )
    hidden = keras.layers.Embedding(50, 4)(vectorize(inputs))
    hidden = keras.layers.GlobalAveragePooling1D()(hidden)
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model(inputs, outputs)


def two_inputs(meta):
    """A numeric input plus an Embedding of a categorical code."""
    number = keras.Input(meta["input_shapes_"]["amount"], name="amount")
    city = keras.Input((1,), name="city", dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(4, 2)(city))
    hidden = keras.layers.Concatenate()([number, embedded])
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model([number, city], outputs)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6, 6, 1)).astype(np.float32)
    y = (X[:, :3].mean(axis=(1, 2, 3)) > 0.1).astype(int)
    return X, y


@pytest.fixture(scope="module")
def texts():
    rng = np.random.default_rng(0)
    y = (rng.random(120) < 0.2).astype(int)
    words = np.where(y[:, None] == 1, "bad awful", "good fine")
    X = np.array([f"{w[0]} ok" for w in words], dtype=object)
    return X, y


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    city = rng.choice(["a", "b", "c", "d"], size=120)
    y = ((city == "d") | (rng.random(120) < 0.1)).astype(int)
    X = pd.DataFrame({"amount": rng.normal(size=120),
                      "city": pd.Categorical(city, categories=["a", "b", "c", "d"])})
    return X, y


@pytest.fixture(scope="module")
def fitted_cnn(images):
    X, y = images
    return WeightedKerasClassifier(model=cnn, class_weight="balanced", **FAST).fit(X, y)


def test_images_fit_and_predict(fitted_cnn, images):
    """Check that an N-D image array fits, predicts and fills meta's input shape."""
    X, y = images
    proba = fitted_cnn.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(fitted_cnn.predict(X)) <= {0, 1}
    assert not hasattr(fitted_cnn, "n_features_in_")


def test_images_one_row_equals_batch(fitted_cnn, images):
    """Check that a row's probability does not depend on the batch it is in."""
    X, _ = images
    one = fitted_cnn.predict_proba(X[:1])
    np.testing.assert_allclose(one, fitted_cnn.predict_proba(X)[:1], rtol=1e-5)


@TEXT
def test_text_input(texts):
    """Check that raw strings (array, list, Series) feed a TextVectorization model."""
    X, y = texts
    clf = WeightedKerasClassifier(model=text_model, class_weight="balanced",
                                  **{**FAST, "epochs": 20, "learning_rate": 0.05})
    clf.fit(pd.Series(X), y)
    assert clf.score(list(X), y) > 0.9
    assert clf.predict(["bad awful ok"])[0] == 1


def test_frame_with_category_feeds_named_inputs(frame):
    """Check that DataFrame columns feed the inputs of the same names."""
    X, y = frame
    clf = WeightedKerasClassifier(model=two_inputs, class_weight="balanced", **FAST)
    clf.fit(X, y)
    assert list(clf.feature_names_in_) == ["amount", "city"]
    assert clf.n_features_in_ == 2
    assert clf.predict_proba(X.iloc[:5]).shape == (5, 2)
    # Column order does not matter: names do.
    np.testing.assert_allclose(clf.predict_proba(X[["city", "amount"]]),
                               clf.predict_proba(X), rtol=1e-6)


def test_dict_feeds_named_inputs(frame):
    """Check that a dict of arrays keyed by input name fits and predicts."""
    X, y = frame
    data = {"amount": X["amount"].to_numpy().reshape(-1, 1),
            "city": X["city"].cat.codes.to_numpy().reshape(-1, 1)}
    clf = WeightedKerasClassifier(model=two_inputs, **FAST).fit(data, y)
    assert clf.predict_proba(data).shape == (len(y), 2)
    assert not hasattr(clf, "n_features_in_")


def test_numeric_frame_is_a_table():
    """Check that an all-numeric DataFrame stays a table with feature names."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    clf = WeightedKerasClassifier(hidden_layer_sizes=(4,), **FAST).fit(X, y)
    assert clf.n_features_in_ == 3
    assert list(clf.feature_names_in_) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(X.rename(columns={"c": "z"}))


def test_default_network_rejects_images(images):
    """Check that the default MLP on images asks for a builder."""
    X, y = images
    with pytest.raises(ValueError, match="default network.*pass a builder"):
        WeightedKerasClassifier(**FAST).fit(X, y)


def test_text_column_for_numeric_model_names_it():
    """Check that a text column for the default MLP is named in the error."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "city": ["x", "y", "x", "y"]})
    with pytest.raises(ValueError, match="column 'city' holds text"):
        WeightedKerasClassifier(**FAST).fit(X, [0, 1, 0, 1])


def _images(shape=(4, 6, 6, 1), nan=False):
    X = np.zeros(shape, dtype=np.float32)
    if nan:
        X[0, 1, 1, 0] = np.nan
    return X


@pytest.mark.parametrize(
    "X, err_type, err_msg",
    [
        (_images((4, 7, 6, 1)), ValueError,
         r"per-sample shape \(7, 6, 1\) but the model was fitted on \(6, 6, 1\)"),
        (_images(nan=True), ValueError, "X contains 1 NaN"),
        ([[[1.0], [2.0]], [[1.0]]], ValueError, "ragged|could not be read"),
        (np.full((4, 6, 6, 1), "a"), ValueError, "holds strings"),
        ({"x": _images()}, ValueError, "fitted on an array of per-sample shape"),
        (np.zeros((4, 36)), ValueError, r"per-sample shape \(36,\) but the model"),
    ],
)
def test_bad_images_at_predict(fitted_cnn, X, err_type, err_msg):
    """Check that bad image input at predict names what was received and wanted."""
    before = copy.deepcopy(X)
    with pytest.raises(err_type, match=err_msg):
        fitted_cnn.predict_proba(X)
    if isinstance(X, np.ndarray):
        np.testing.assert_array_equal(X, before)


@pytest.fixture(scope="module")
def fitted_two_inputs(frame):
    X, y = frame
    data = {"amount": X["amount"].to_numpy().reshape(-1, 1),
            "city": X["city"].cat.codes.to_numpy().reshape(-1, 1)}
    clf = WeightedKerasClassifier(model=two_inputs, **{**FAST, "epochs": 1})
    return clf.fit(data, y), data


def test_score_is_weighted_accuracy_of_predict(frame):
    """Check score on named inputs: the accuracy of the cost rule's labels."""
    X, y = frame
    data = {"amount": X["amount"].to_numpy().reshape(-1, 1),
            "city": X["city"].cat.codes.to_numpy().reshape(-1, 1)}
    # A missed positive costs 20 false alarms: the rule flags many rows.
    clf = WeightedKerasClassifier(model=two_inputs, cost_matrix=[[0, 1], [20, 0]],
                                  **FAST).fit(data, y)
    weight = np.linspace(0.5, 2.0, len(y))
    labels = clf.predict(data)
    assert (labels != np.argmax(clf.predict_proba(data), axis=1)).any()
    assert clf.score(data, y, sample_weight=weight) == pytest.approx(
        np.average(labels == y, weights=weight))


@pytest.mark.parametrize(
    "change, err_msg",
    [
        (lambda d: {"amount": d["amount"]}, r"no dict key\(s\) for model input\(s\) "
         r"\['city'\]"),
        (lambda d: {**d, "extra": d["amount"]}, r"\['extra'\] feed no model input"),
        (lambda d: {**d, "amount": d["amount"][:3]}, "different numbers of rows"),
        (lambda d: {**d, "amount": np.full((120, 1), np.inf)},
         r"X\['amount'\] contains 120 NaN or infinite"),
        (lambda d: {**d, "amount": np.zeros((120, 2))},
         r"X\['amount'\] has per-sample shape \(2,\)"),
        (lambda d: {**d, "city": np.full((120, 1), "x")}, r"X\['city'\] holds strings"),
    ],
)
def test_bad_dicts_at_predict(fitted_two_inputs, change, err_msg):
    """Check that a dict missing an input, with an extra one or bad values is named."""
    clf, data = fitted_two_inputs
    bad = change(data)
    before = copy.deepcopy(bad)
    with pytest.raises(ValueError, match=err_msg):
        clf.predict(bad)
    for name in before:
        np.testing.assert_array_equal(bad[name], before[name])


def test_dict_with_extra_input_at_fit(frame):
    """Check that a dict key no model input takes is rejected at fit."""
    X, y = frame
    data = {"amount": X["amount"].to_numpy(), "city": X["city"].cat.codes.to_numpy(),
            "other": np.zeros(len(y))}
    with pytest.raises(ValueError, match=r"\['other'\] feed no model input"):
        WeightedKerasClassifier(model=two_inputs, **FAST).fit(data, y)


def test_frame_with_column_for_no_input(frame):
    """Check that a DataFrame column no model input takes is named."""
    X, y = frame
    with pytest.raises(ValueError, match=r"DataFrame column\(s\) \['spare'\] feed no"):
        WeightedKerasClassifier(model=two_inputs, **FAST).fit(X.assign(spare=1.0), y)


def test_unseen_category_at_predict(frame):
    """Check that a category not seen at fit is named, not mapped to a wrong code."""
    X, y = frame
    clf = WeightedKerasClassifier(model=two_inputs, **{**FAST, "epochs": 1}).fit(X, y)
    bad = pd.DataFrame({"amount": [0.0], "city": pd.Categorical(["z"])})
    with pytest.raises(ValueError, match="categories not seen at fit, e.g. 'z'"):
        clf.predict(bad)


def scalar_numbers(meta):
    """A model taking one number per sample, shape ()."""
    inputs = keras.Input(shape=())
    hidden = keras.layers.Reshape((1,))(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def test_strings_for_numeric_model(images):
    """Check that strings for a numeric model say how to feed text."""
    _, y = images
    X = np.array(["a b"] * len(y), dtype=object)
    with pytest.raises(ValueError, match="holds strings but the model input takes"):
        WeightedKerasClassifier(model=scalar_numbers, **FAST).fit(X, y)


def test_caller_data_unchanged(frame):
    """Check that fit and predict leave the caller's DataFrame untouched."""
    X, y = frame
    before = X.copy()
    clf = WeightedKerasClassifier(model=two_inputs, **{**FAST, "epochs": 1}).fit(X, y)
    clf.predict(X)
    pd.testing.assert_frame_equal(X, before)
