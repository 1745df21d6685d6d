"""Models and inputs that plain Keras takes: subclassed models, one named input,
string inputs of shape (1,), exact integer ids, and the clear errors for input no
model can use."""

import copy

import keras
import numpy as np
import pandas as pd
import pytest

from skweight import WeightedKerasClassifier

FAST = dict(epochs=2, learning_rate=0.01, random_state=0)
TEXT = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                          reason="string inputs need the TensorFlow backend")


def _labels(n=40):
    return np.array([0, 1] * (n // 2))


class SmallNet(keras.Model):
    """The subclassing pattern: layers in ``__init__``, the graph in ``call``."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.out = keras.layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def subclassed(meta):
    """A builder returning a subclassed model that is not built yet."""
    return SmallNet()


def test_subclassed_model_not_built():
    """Check that an unbuilt keras.Model subclass fits, predicts and is pickled."""
    import pickle

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    clf = WeightedKerasClassifier(model=subclassed, **FAST).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 2)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(clf)).predict_proba(X),
                               proba, rtol=1e-5)


def test_subclassed_model_wrong_width():
    """Check that an unbuilt subclassed model of the wrong width is named at fit."""
    class Wide(SmallNet):
        def __init__(self):
            super().__init__()
            self.out = keras.layers.Dense(3, activation="softmax")

    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match=r"model has 3 output unit\(s\) but y has 2"):
        WeightedKerasClassifier(model=lambda meta: Wide(), **FAST).fit(X, _labels())


def text_model(shape):
    def build(meta):
        inputs = keras.Input(shape=shape, dtype="string")
        vectorize = keras.layers.TextVectorization(
            max_tokens=20, output_sequence_length=4, vocabulary=["good", "bad"])
        hidden = keras.layers.Embedding(20, 4)(vectorize(inputs))
        hidden = keras.layers.GlobalAveragePooling1D()(hidden)
        if len(shape):  # (n, 1, 4, 4): one more axis to pool
            hidden = keras.layers.Flatten()(hidden)
        return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    return build


@TEXT
@pytest.mark.parametrize("shape", [(), (1,)])
def test_text_input_shapes(shape):
    """Check that raw strings feed keras.Input(shape=() or (1,), dtype='string')."""
    X = np.array(["good", "bad"] * 20, dtype=object)
    clf = WeightedKerasClassifier(model=text_model(shape), **FAST).fit(X, _labels())
    assert clf.predict_proba(list(X[:3])).shape == (3, 2)
    assert clf.predict_proba(X).shape == (40, 2)


def one_named(meta):
    inputs = keras.Input((1,), name="amount")
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))


def one_named_image(meta):
    inputs = keras.Input((4, 4, 1), name="image")
    hidden = keras.layers.GlobalAveragePooling2D()(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


@pytest.mark.parametrize("make_X", [
    lambda a: {"amount": a},
    lambda a: pd.DataFrame({"amount": a}),
])
def test_one_named_input(make_X):
    """Check that a model with one named input takes a dict or a one-column frame."""
    a = np.linspace(-1, 1, 40)
    X = make_X(a)
    clf = WeightedKerasClassifier(model=one_named, **FAST).fit(X, _labels())
    assert clf.predict_proba(X).shape == (40, 2)


def test_one_named_image_input():
    """Check that an image model with one named input takes a dict of images."""
    X = {"image": np.random.default_rng(0).normal(size=(40, 4, 4, 1))}
    clf = WeightedKerasClassifier(model=one_named_image, **FAST).fit(X, _labels())
    assert clf.predict_proba(X).shape == (40, 2)


def table_builder(meta):
    """The documented builder: keras.Input(meta['input_shapes_'])."""
    inputs = keras.Input(meta["input_shapes_"])
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))


@pytest.mark.parametrize("columns", [["a", "b", "c"], [0, 1, 2]])
def test_numeric_frame_meta_is_a_table(columns):
    """Check that an all-numeric DataFrame reaches the builder as a table."""
    seen = {}

    def build(meta):
        seen.update(meta)
        return table_builder(meta)

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 3)), columns=columns)
    clf = WeightedKerasClassifier(model=build, **FAST).fit(X, _labels())
    assert seen["input_form_"] == "table"
    assert seen["input_shapes_"] == (3,)
    assert seen["n_features_in_"] == 3
    assert clf.predict_proba(X).shape == (40, 2)


def two_named(meta):
    a, b = keras.Input((1,), name="a"), keras.Input((1,), name="b")
    hidden = keras.layers.Concatenate()([a, b])
    return keras.Model([a, b], keras.layers.Dense(1, activation="sigmoid")(hidden))


def test_numeric_frame_feeds_inputs_named_after_columns():
    """Check that an all-numeric DataFrame feeds inputs named after its columns."""
    X = pd.DataFrame({"b": np.linspace(0, 1, 40), "a": np.linspace(1, 0, 40)})
    clf = WeightedKerasClassifier(model=two_named, **FAST).fit(X, _labels())
    np.testing.assert_allclose(clf.predict_proba(X[["a", "b"]]),
                               clf.predict_proba(X), rtol=1e-6)


def ids_model(meta):
    """Echo whether the id is odd, exactly: a wrong id flips the output."""
    ids = keras.Input((1,), dtype="int64", name="ids")
    odd = keras.layers.Lambda(
        lambda t: keras.ops.cast(keras.ops.mod(t, 2), "float32"))(ids)
    dense = keras.layers.Dense(1, activation="sigmoid", trainable=False,
                               kernel_initializer=keras.initializers.Constant(20.0),
                               bias_initializer=keras.initializers.Constant(-10.0))
    return keras.Model(ids, dense(odd))


@pytest.mark.parametrize("as_dict", [False, True])
def test_int64_ids_stay_exact(as_dict):
    """Check that int64 ids reach an int64 input exactly, at fit and at predict."""
    ids = np.array([100000001, 100000002] * 20, dtype=np.int64).reshape(-1, 1)
    X = {"ids": ids} if as_dict else ids
    y = (ids[:, 0] % 2).astype(int)
    clf = WeightedKerasClassifier(model=ids_model, bias_init=None, epochs=1,
                                  random_state=0).fit(X, y)
    proba = clf.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(proba > 0.5, y == 1)
    assert clf.score(X, y) == 1.0


@TEXT
@pytest.mark.parametrize("X, err_msg", [
    (["good", float("nan")] * 20, r"X\[1\] is float nan"),
    ([3, "x"] * 20, r"X\[0\] is int 3"),
    ([None, "x"] * 20, r"X\[0\] is NoneType None"),
    (pd.Series(["good", None] * 20), r"X\[1\] is (NoneType None|float nan)"),
])
def test_text_with_non_strings(X, err_msg):
    """Check that text with NaN, numbers or None is rejected naming the position."""
    before = copy.deepcopy(X)
    with pytest.raises(ValueError, match=err_msg):
        WeightedKerasClassifier(model=text_model(()), **FAST).fit(X, _labels())
    if isinstance(X, list):
        assert X[:2] == before[:2] or X[1] != X[1]


def test_categorical_for_numeric_column_at_predict():
    """Check that a pandas Categorical where fit had numbers is an error."""
    X = pd.DataFrame({"a": np.linspace(0, 1, 40), "b": np.tile([1.0, 2.0], 20)})
    clf = WeightedKerasClassifier(hidden_layer_sizes=(2,), **FAST).fit(X, _labels())
    bad = X.assign(b=pd.Categorical(X["b"]))
    with pytest.raises(ValueError, match="column 'b' is a pandas Categorical"):
        clf.predict(bad)


def test_categorical_for_numeric_named_column_at_predict():
    """Check the same for a DataFrame feeding named inputs."""
    X = pd.DataFrame({"a": np.linspace(0, 1, 40), "b": np.tile([1.0, 2.0], 20)})
    clf = WeightedKerasClassifier(model=two_named, **FAST).fit(X, _labels())
    with pytest.raises(ValueError, match="column 'b' is a pandas Categorical"):
        clf.predict(X.assign(b=pd.Categorical(X["b"])))


def test_complex_images_rejected():
    """Check that complex-valued images are refused, not cut to their real part."""
    X = np.ones((40, 4, 4, 1), dtype=np.complex64) * (1 + 2j)
    with pytest.raises(ValueError, match="complex"):
        WeightedKerasClassifier(model=lambda meta: one_named_image(meta),
                                **FAST).fit(X, _labels())


def embedding_model(meta):
    city = keras.Input((1,), name="city", dtype="int32")
    hidden = keras.layers.Flatten()(keras.layers.Embedding(4, 2, name="emb")(city))
    return keras.Model(city, keras.layers.Dense(1, activation="sigmoid")(hidden))


@pytest.mark.parametrize("X, err_type, err_msg", [
    ({"a": np.ones(0), "b": np.ones(0)}, ValueError, "0 samples"),
    (pd.DataFrame({"a": [], "b": []}), ValueError, "0 sample"),
    (pd.DataFrame(np.ones((40, 2)), columns=["a", "a"]), ValueError,
     r"duplicate column name\(s\) \['a'\]"),
])
def test_clear_errors_at_fit(X, err_type, err_msg):
    """Check that empty and duplicate-column input get a clear error at fit."""
    y = _labels(n_samples_of(X))
    with pytest.raises(err_type, match=err_msg):
        WeightedKerasClassifier(model=two_named, **FAST).fit(X, y)


def n_samples_of(X):
    return len(next(iter(X.values()))) if isinstance(X, dict) else len(X)


@TEXT
def test_text_model_given_dict():
    """Check that a dict for a model with one unnamed text input says what to pass."""
    X = np.array(["good", "bad"] * 20, dtype=object)
    with pytest.raises(ValueError, match="one input, named .*pass the array itself"):
        WeightedKerasClassifier(model=text_model(()), **FAST).fit({"t": X}, _labels())


@pytest.mark.parametrize("at_fit", [True, False])
def test_embedding_id_out_of_range(at_fit):
    """Check that an id beyond an Embedding's input_dim is named, at fit and predict."""
    good = {"city": np.tile([0, 3], 20).reshape(-1, 1)}
    bad = {"city": np.tile([0, 7], 20).reshape(-1, 1)}
    clf = WeightedKerasClassifier(model=embedding_model, **FAST)
    message = r"X\['city'\] has id 7 at row 1.*'emb'.*input_dim=4"
    if at_fit:
        with pytest.raises(ValueError, match=message):
            clf.fit(bad, _labels())
    else:
        clf.fit(good, _labels())
        with pytest.raises(ValueError, match=message):
            clf.predict(bad)


def test_frame_of_named_inputs_in_grid_search():
    """Check that named inputs as a DataFrame go through GridSearchCV's splits."""
    from sklearn.model_selection import GridSearchCV

    X = pd.DataFrame({"b": np.linspace(0, 1, 40), "a": np.linspace(1, 0, 40)})
    search = GridSearchCV(WeightedKerasClassifier(model=two_named, **FAST),
                          {"epochs": [1, 2]}, cv=2).fit(X, _labels())
    assert search.predict_proba(X).shape == (40, 2)


def test_one_named_input_warm_start():
    """Check that a warm start trains a one-named-input model on."""
    X = {"amount": np.linspace(-1, 1, 40)}
    clf = WeightedKerasClassifier(model=one_named, warm_start=True, **FAST)
    clf.fit(X, _labels()).fit(X, _labels())
    assert clf.predict_proba(X).shape == (40, 2)


def text_and_number(meta):
    word = keras.Input((1,), dtype="string", name="word")
    amount = keras.Input((1,), name="amount")
    codes = keras.layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    hidden = keras.layers.Concatenate()([keras.layers.Flatten()(codes(word)), amount])
    return keras.Model([word, amount],
                       keras.layers.Dense(1, activation="sigmoid")(hidden))


@TEXT
def test_text_column_with_missing_value():
    """Check that a missing value in a text column names the column and row."""
    X = pd.DataFrame({"word": ["a", "b"] * 20, "amount": np.linspace(0, 1, 40)})
    X.loc[3, "word"] = None
    with pytest.raises(ValueError, match=r"X\['word'\]\[3\] is"):
        WeightedKerasClassifier(model=text_and_number, **FAST).fit(X, _labels())
