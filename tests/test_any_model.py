"""Every knob on custom architectures and input forms, and scikit-learn around them."""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skweight import CostSensitiveClassifier, WeightedKerasClassifier

FAST = dict(epochs=2, learning_rate=0.01, random_state=0)
# String tensors (TextVectorization, StringLookup) exist on TensorFlow only.
TEXT = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                          reason="string inputs need the TensorFlow backend")
COSTS = np.array([[0.0, 1.0], [10.0, 0.0]])  # a missed positive costs 10 alarms


def cnn(meta, filters=2):
    """A tiny CNN; its last layer is the sigmoid Dense skweight sets the bias of."""
    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Conv2D(filters, 3, activation="relu")(inputs)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model(inputs, outputs)


def gru(meta, units=3):
    """A tiny GRU over sequences (n, t, f)."""
    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.GRU(units)(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def text_model(meta):
    """Raw strings through TextVectorization."""
    inputs = keras.Input(shape=(), dtype="string")
    vectorize = keras.layers.TextVectorization(
        max_tokens=20, output_sequence_length=4,
        vocabulary=["good", "bad", "ok", "fine", "awful"])
    hidden = keras.layers.Embedding(20, 3)(vectorize(inputs))
    hidden = keras.layers.GlobalAveragePooling1D()(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def two_inputs(meta):
    """Numbers plus an Embedding of a categorical code."""
    number = keras.Input((1,), name="amount")
    city = keras.Input((1,), name="city", dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(4, 2)(city))
    hidden = keras.layers.Concatenate()([number, embedded])
    return keras.Model([number, city],
                       keras.layers.Dense(1, activation="sigmoid")(hidden))


def _data(form, n=100):
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.2).astype(int)
    if form == "images":
        X = rng.normal(size=(n, 6, 6, 1)).astype(np.float32) + y[:, None, None, None]
        return cnn, X, y
    if form == "sequences":
        X = rng.normal(size=(n, 5, 2)).astype(np.float32) + y[:, None, None]
        return gru, X, y
    if form == "text":
        X = np.where(y == 1, "bad awful", "good fine").astype(object)
        return text_model, X, y
    city = np.where(y == 1, "d", rng.choice(["a", "b", "c"], size=n))
    X = pd.DataFrame({"amount": rng.normal(size=n) + y,
                      "city": pd.Categorical(city, categories=list("abcd"))})
    return two_inputs, X, y


FORMS = ["images", "sequences", pytest.param("text", marks=TEXT), "frame"]


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_bias_init_on_custom_model(form):
    """Check that the last sigmoid Dense starts from log(pos/neg) on any model."""
    builder, X, y = _data(form)
    clf = WeightedKerasClassifier(model=builder, bias_init="auto",
                                  **{**FAST, "epochs": 1, "learning_rate": 1e-12})
    clf.fit(X, y)
    bias = keras.ops.convert_to_numpy(clf.model_.layers[-1].bias)
    np.testing.assert_allclose(bias, [np.log(y.mean() / (1 - y.mean()))], rtol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_class_weights_prior_correction_and_costs(form):
    """Check weights, the prior correction and the cost rule on any input form."""
    builder, X, y = _data(form)
    clf = WeightedKerasClassifier(model=builder, class_weight={0: 1.0, 1: 4.0},
                                  cost_matrix=COSTS, **FAST).fit(X, y)
    weighted = clf.predict_weighted_proba(X)
    corrected = clf.predict_proba(X)
    by_hand = weighted / np.array([1.0, 4.0])
    by_hand /= by_hand.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(corrected, by_hand, rtol=1e-5)
    expected = np.argmin(corrected @ COSTS, axis=1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[expected])


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_early_stopping_and_seed(form):
    """Check that early stopping splits any form and a seed repeats the fit."""
    builder, X, y = _data(form)
    params = dict(model=builder, early_stopping=True, validation_fraction=0.25,
                  **{**FAST, "epochs": 3})
    first = WeightedKerasClassifier(**params).fit(X, y)
    second = WeightedKerasClassifier(**params).fit(X, y)
    assert 1 <= first.best_epoch_ <= 3
    np.testing.assert_allclose(first.predict_proba(X), second.predict_proba(X),
                               rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_partial_fit_and_pickle(form):
    """Check partial_fit on any form and identical predictions after pickling."""
    builder, X, y = _data(form)
    clf = WeightedKerasClassifier(model=builder, class_weight="balanced", **FAST)
    half = len(y) // 2
    first = X.iloc[:half] if hasattr(X, "iloc") else X[:half]
    rest = X.iloc[half:] if hasattr(X, "iloc") else X[half:]
    clf.partial_fit(first, y[:half], classes=[0, 1])
    clf.partial_fit(rest, y[half:])
    assert clf.n_iter_ == 2
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X),
                               rtol=1e-6)


def scale_images(X):
    return X / 4.0


@pytest.mark.slow
def test_pipeline_grid_search_on_images():
    """Check a Pipeline scaling images inside a stratified GridSearchCV."""
    _, X, y = _data("images", n=90)
    pipe = make_pipeline(FunctionTransformer(scale_images),
                         WeightedKerasClassifier(model=cnn, **{**FAST, "epochs": 1}))
    search = GridSearchCV(
        pipe, {"weightedkerasclassifier__model_params": [{"filters": 1},
                                                         {"filters": 2}]},
        cv=StratifiedKFold(2), scoring="roc_auc",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.predict_proba(X[:3]).shape == (3, 2)


@pytest.mark.slow
def test_cross_val_and_calibration_on_images():
    """Check cross_val_score and CalibratedClassifierCV on N-D input."""
    _, X, y = _data("images", n=90)
    clf = WeightedKerasClassifier(model=cnn, **{**FAST, "epochs": 1})
    scores = cross_val_score(clf, X, y, cv=2, scoring="neg_log_loss")
    assert np.isfinite(scores).all()
    calibrated = CalibratedClassifierCV(clf, cv=2).fit(X, y)
    assert calibrated.predict_proba(X[:4]).shape == (4, 2)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["bayes", "tuned"])
def test_cost_sensitive_on_images(strategy):
    """Check CostSensitiveClassifier around a CNN on N-D input."""
    _, X, y = _data("images", n=90)
    clf = CostSensitiveClassifier(
        WeightedKerasClassifier(model=cnn, **{**FAST, "epochs": 1}),
        cost_matrix=COSTS, strategy=strategy, cv=2,
    ).fit(X, y)
    assert set(clf.predict(X)) <= {0, 1}


def test_imblearn_samplers_refuse_images():
    """Check why RowSampler exists: imbalanced-learn's samplers take 2-D X only."""
    pytest.importorskip("imblearn")
    from imblearn.under_sampling import RandomUnderSampler

    _, X, y = _data("images", n=90)
    with pytest.raises(ValueError, match="Found array with dim 4"):
        RandomUnderSampler(random_state=0).fit_resample(X, y)


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("sampler", ["under", "over"])
def test_row_sampler_in_imblearn_pipeline(form, sampler):
    """Check RowSampler before a custom network, for every input form.

    The network is fitted on balanced rows (its priors are equal), and at predict
    time the pipeline passes every row through.
    """
    pytest.importorskip("imblearn")
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.pipeline import make_pipeline as make_resampling_pipeline
    from imblearn.under_sampling import RandomUnderSampler

    from skweight import RowSampler

    builder, X, y = _data(form)
    chooser = (RandomUnderSampler if sampler == "under" else RandomOverSampler)(
        random_state=0)
    pipe = make_resampling_pipeline(
        RowSampler(chooser),
        WeightedKerasClassifier(model=builder, **{**FAST, "epochs": 1}),
    ).fit(X, y)
    np.testing.assert_allclose(pipe[-1].priors_, [0.5, 0.5])
    assert pipe.predict_proba(X).shape == (len(y), 2)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["images", pytest.param("text", marks=TEXT)])
def test_pickle_loads_in_fresh_process(form, tmp_path):
    """Check that a fitted custom model loads in a new process and predicts alike."""
    import os
    import subprocess
    import sys

    builder, X, y = _data(form)
    clf = WeightedKerasClassifier(model=builder, **{**FAST, "epochs": 1}).fit(X, y)
    path = tmp_path / "clf.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X, allow_pickle=True)
    code = (
        "import pickle, sys, numpy as np; "
        f"clf = pickle.loads(open({str(path)!r}, 'rb').read()); "
        f"X = np.load({str(tmp_path / 'X.npy')!r}, allow_pickle=True); "
        f"np.save({str(tmp_path / 'proba.npy')!r}, clf.predict_proba(X))"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [here, os.path.dirname(here), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    np.testing.assert_allclose(np.load(tmp_path / "proba.npy"), clf.predict_proba(X),
                               rtol=1e-6)
