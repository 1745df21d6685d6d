"""Ensembles of networks (``n_members``): seeds, averaging, every way to fit."""

import pickle
import zipfile

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import skweight
from skweight import WeightedKerasClassifier, _reuse
from skweight._calibration import (
    TemperatureCalibrator,
    cross_fit_rows,
    fit_calibrator,
)
from skweight._ensemble import member_seeds
from skweight._epochs import validation_rows
from skweight._priors import correct_proba
from skweight._training import outputs_to_proba

FAST = dict(epochs=3, learning_rate=0.01, random_state=0)
TINY = dict(hidden_layer_sizes=(4,), **FAST)
NEEDS_TRAINERS = pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras compiles nothing on torch, so skweight keeps no trainers there",
)


JAX_MEMBERS_DIFFER = pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="on JAX, members trained in turn on one pooled compiled trainer do not "
           "repeat exactly: two seeded ensemble fits, and a member against a single "
           "fit with its seed, differ slightly (about 0.006 in probability)")


@pytest.fixture(scope="module")
def data():
    """300 rows, 6 features, 15 % positives."""
    return make_classification(n_samples=300, n_features=6, n_informative=4,
                               weights=[0.85, 0.15], random_state=0)


@pytest.fixture(scope="module")
def fitted(data):
    """Three members of the default network with balanced class weights."""
    X, y = data
    return WeightedKerasClassifier(n_members=3, class_weight="balanced",
                                   **TINY).fit(X, y)


@pytest.fixture
def empty_pool():
    _reuse.clear_trainers()
    yield
    _reuse.clear_trainers()


def _weights(keras_model):
    return [np.array(w) for w in keras_model.get_weights()]


def _same_weights(first, second):
    return all(np.array_equal(a, b)
               for a, b in zip(_weights(first), _weights(second), strict=True))


def _member_proba(keras_model, X):
    outputs = keras.ops.convert_to_numpy(keras_model(X.astype(np.float32)))
    return outputs_to_proba(outputs)


def cnn(meta):
    """A tiny CNN whose layers have no seed of their own."""
    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Conv2D(2, 3, activation="relu")(inputs)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model(inputs, outputs)


def mlp(meta):
    """A custom builder of a small MLP (no compiled trainer is shared)."""
    inputs = keras.Input((meta["n_features_in_"],))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def two_inputs(meta):
    """Named inputs: two columns fed by name."""
    first = keras.Input((1,), name="first")
    second = keras.Input((1,), name="second")
    hidden = keras.layers.Concatenate()([first, second])
    return keras.Model([first, second],
                       keras.layers.Dense(1, activation="sigmoid")(hidden))


class PoisonMember(keras.callbacks.Callback):
    """Make the weights of the ``member``-th network to train (from 0) NaN.

    Callbacks are copied for each member, so the count is kept on the class.
    """

    started = 0

    def __init__(self, member):
        super().__init__()
        self.member = member
        self.poison = False

    def on_train_begin(self, logs=None):
        self.poison = type(self).started == self.member
        type(self).started += 1

    def on_train_batch_end(self, batch, logs=None):
        if self.poison:
            kernel = self.model.layers[0].kernel
            kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


def test_member_seeds_start_with_the_fit_seed_and_differ():
    """Check that the first member gets the fit's seed and all seeds differ."""
    seeds = member_seeds(7, 5)
    assert seeds[0] == 7
    assert len(set(seeds)) == 5
    assert seeds == member_seeds(7, 5)
    assert member_seeds(8, 5)[1:] != seeds[1:]


def test_predict_proba_is_the_mean_of_the_members_corrected_probabilities(
        fitted, data):
    """Check that predict_proba averages each member's prior-corrected output."""
    X, _ = data
    assert len(fitted.models_) == 3 and fitted.model_ is fitted.models_[0]
    factors = np.array(list(fitted.class_weight_.values()))
    expected = np.mean([correct_proba(_member_proba(m, X[:50]), factors)
                        for m in fitted.models_], axis=0)
    np.testing.assert_allclose(fitted.predict_proba(X[:50]), expected, atol=1e-5)
    # Not the average of the weighted outputs corrected afterwards.
    members = [_member_proba(m, X[:50]) for m in fitted.models_]
    assert not _same_weights(fitted.models_[0], fitted.models_[1])
    assert np.abs(members[0] - members[1]).max() > 1e-3


@pytest.mark.parametrize("multiclass", [False, True])
def test_decision_function_and_predict_agree(data, multiclass):
    """Check that predict is the sign (binary) or argmax of decision_function and
    the Bayes rule with the costs the weights imply on predict_proba."""
    X, y = data
    if multiclass:
        y = np.digitize(X[:, 0], [-0.5, 1.0])  # three unbalanced classes
    clf = WeightedKerasClassifier(n_members=2, class_weight="balanced",
                                  **TINY).fit(X, y)
    scores = clf.decision_function(X)
    indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[indices])
    weights = np.array(list(clf.class_weight_.values()))
    bayes = np.argmax(clf.predict_proba(X) * weights, axis=1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[bayes])


@NEEDS_TRAINERS
def test_each_member_is_the_network_a_single_fit_with_its_seed_gives(
        data, empty_pool):
    """Check that members sharing one compiled trainer train as alone, bit for bit.

    Without early stopping, member k of a fit seeded s is a one-network fit
    seeded ``member_seeds(s, n)[k]``; dropout makes the seed states count.
    """
    X, y = data
    params = {**TINY, "dropout": 0.2, "class_weight": "balanced"}
    ensemble = WeightedKerasClassifier(n_members=3, **params).fit(X, y)
    assert _reuse.n_idle_trainers() == 1  # one compiled copy trained all three
    for member, seed in enumerate(member_seeds(0, 3)):
        single = WeightedKerasClassifier(**{**params, "random_state": seed}).fit(X, y)
        assert _same_weights(single.model_, ensemble.models_[member])


def test_seeded_ensembles_repeat_and_unseeded_members_differ(data):
    """Check that a seeded ensemble is reproducible and unseeded members differ."""
    X, y = data
    first = WeightedKerasClassifier(n_members=2, **TINY).fit(X, y)
    second = WeightedKerasClassifier(n_members=2, **TINY).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    unseeded = WeightedKerasClassifier(n_members=2, **{**TINY, "random_state": None})
    unseeded.fit(X, y)
    assert not _same_weights(*unseeded.models_)


@NEEDS_TRAINERS
def test_a_builder_builds_and_compiles_every_member(data, empty_pool):
    """Check that a custom builder's members are its own networks, none pooled."""
    X, y = data
    clf = WeightedKerasClassifier(mlp, n_members=2, **FAST).fit(X, y)
    assert _reuse.n_idle_trainers() == 0
    assert clf.models_[0] is not clf.models_[1]
    assert not _same_weights(*clf.models_)
    assert clf.predict_proba(X).shape == (300, 2)


def test_a_cnn_ensemble_on_digit_images_is_reproducible():
    """Check that a CNN builder without seeds trains distinct, repeatable members
    on 8x8 digit images (N-D input)."""
    digits = load_digits()
    images = digits.images[:300, :, :, None] / 16.0
    y = (digits.target[:300] == 3).astype(int)  # about 10 % threes
    params = dict(model=cnn, n_members=3, class_weight="balanced", epochs=2,
                  learning_rate=0.01, random_state=0)
    clf = WeightedKerasClassifier(**params).fit(images, y)
    again = WeightedKerasClassifier(**params).fit(images, y)
    np.testing.assert_array_equal(clf.predict_proba(images),
                                  again.predict_proba(images))
    assert not _same_weights(clf.models_[0], clf.models_[1])
    factors = np.array(list(clf.class_weight_.values()))
    expected = np.mean([correct_proba(_member_proba(m, images[:20]), factors)
                        for m in clf.models_], axis=0)
    np.testing.assert_allclose(clf.predict_proba(images[:20]), expected, atol=1e-5)


def test_an_ensemble_of_a_named_input_builder(data):
    """Check that members of a builder with named inputs take the dict by name."""
    X, y = data
    named = {"first": X[:, :1], "second": X[:, 1:2]}
    clf = WeightedKerasClassifier(two_inputs, n_members=2, epochs=2,
                                  random_state=0).fit(named, y)
    assert clf.predict_proba(named).shape == (300, 2)
    assert not _same_weights(*clf.models_)


def test_early_stopping_watches_every_member_on_one_split(data):
    """Check that every member is scored on the validation split and keeps its
    best epoch's weights."""
    X, y = data
    clf = WeightedKerasClassifier(n_members=3, early_stopping=True,
                                  n_iter_no_change=2,
                                  **{**TINY, "epochs": 8}).fit(X, y)
    assert len(clf.histories_) == 3 and clf.history_ is clf.histories_[0]
    for history in clf.histories_:
        assert len(history["val_log_loss"]) == len(history["loss"]) >= 1
    assert clf.n_iter_ == len(clf.history_["loss"])
    assert 1 <= clf.best_epoch_ <= clf.n_iter_


def test_partial_fit_trains_every_member_one_pass(data):
    """Check that each partial_fit call trains each member one epoch."""
    X, y = data
    clf = WeightedKerasClassifier(n_members=2, **TINY)
    clf.partial_fit(X[:150], y[:150], classes=[0, 1])
    before = [_weights(m) for m in clf.models_]
    clf.partial_fit(X[150:], y[150:])
    assert clf.n_iter_ == 2
    assert [len(h["loss"]) for h in clf.histories_] == [2, 2]
    for old, keras_model in zip(before, clf.models_, strict=True):
        assert not all(np.array_equal(a, b)
                       for a, b in zip(old, _weights(keras_model), strict=True))
    with pytest.raises(ValueError, match=r"n_members=3 where the fitted estimator "
                                         r"has 2 network\(s\); set n_members=2"):
        clf.set_params(n_members=3).partial_fit(X, y)


def test_warm_start_trains_every_member_on(data):
    """Check that warm_start trains each fitted member on, keeping the objects."""
    X, y = data
    clf = WeightedKerasClassifier(n_members=2, warm_start=True, **TINY).fit(X, y)
    models = list(clf.models_)
    before = [_weights(m) for m in models]
    clf.fit(X, y)
    assert all(a is b for a, b in zip(models, clf.models_, strict=True))
    for old, keras_model in zip(before, clf.models_, strict=True):
        assert not all(np.array_equal(a, b)
                       for a, b in zip(old, _weights(keras_model), strict=True))
    with pytest.raises(ValueError, match="warm_start=True trains the fitted "
                                         "networks on, but n_members=1"):
        clf.set_params(n_members=1).fit(X, y)
    assert clf.models_ == models


def test_a_diverging_member_fails_a_first_fit_whole(data):
    """Check that a fit whose second member diverges raises and stays unfitted."""
    X, y = data
    PoisonMember.started = 0
    clf = WeightedKerasClassifier(n_members=3, callbacks=[PoisonMember(1)], **TINY)
    with pytest.raises(FloatingPointError, match="not finite"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert not hasattr(clf, "models_")


def test_a_diverging_member_restores_every_member_of_a_warm_fit(data):
    """Check that when the last member diverges in a warm fit, the members trained
    before it in the same call get their weights back."""
    X, y = data
    clf = WeightedKerasClassifier(n_members=3, warm_start=True, **TINY).fit(X, y)
    before = [_weights(m) for m in clf.models_]
    proba = clf.predict_proba(X)
    PoisonMember.started = 0
    clf.set_params(callbacks=[PoisonMember(2)])
    with pytest.raises(FloatingPointError, match="not finite"):
        clf.fit(X, y)
    for old, keras_model in zip(before, clf.models_, strict=True):
        assert all(np.array_equal(a, b)
                   for a, b in zip(old, _weights(keras_model), strict=True))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_an_ensemble_pickles_with_every_member(fitted, data):
    """Check that a pickled ensemble predicts the same and model_ stays models_[0]."""
    X, _ = data
    loaded = pickle.loads(pickle.dumps(fitted))
    assert len(loaded.models_) == 3 and loaded.model_ is loaded.models_[0]
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.decision_function(X),
                                  fitted.decision_function(X))


@pytest.mark.parametrize("n_members", [0, -1, 1.5, "3"])
def test_n_members_below_one_or_not_an_int_is_refused(data, n_members):
    """Check that n_members must be an int >= 1, with a message naming it."""
    X, y = data
    with pytest.raises(InvalidParameterError,
                       match=r"'n_members' parameter .* must be an int in the "
                             rf"range \[1, inf\)\. Got {n_members!r}"):
        WeightedKerasClassifier(n_members=n_members, **TINY).fit(X, y)


def test_calibration_is_fitted_on_the_averaged_corrected_probabilities(data):
    """Check that with early stopping and temperature calibration the map is fitted
    on the members' mean corrected probabilities of the validation rows, and
    predict_proba, predict and decision_function use it."""
    X, y = data
    clf = WeightedKerasClassifier(
        n_members=3, class_weight="balanced", early_stopping=True,
        n_iter_no_change=2, calibration="temperature",
        **{**TINY, "epochs": 6}).fit(X, y)
    assert len(clf.histories_) == 3
    assert all("val_log_loss" in history for history in clf.histories_)
    factors = np.array(list(clf.class_weight_.values()))
    _, val_rows = validation_rows(y, clf.classes_, 0.1, 0)
    mean = np.mean([correct_proba(_member_proba(m, X[val_rows]), factors)
                    for m in clf.models_], axis=0)
    expected = fit_calibrator("temperature", mean, y[val_rows],
                              np.ones(len(val_rows)))
    np.testing.assert_allclose(clf.calibrator_.temperature, expected.temperature,
                               rtol=1e-4)
    np.testing.assert_allclose(clf.calibrator_.bias, expected.bias, atol=1e-4)
    mean_all = np.mean([correct_proba(_member_proba(m, X), factors)
                        for m in clf.models_], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X),
                               clf.calibrator_.transform(mean_all), atol=1e-5)
    scores = clf.decision_function(X)
    np.testing.assert_array_equal(clf.predict(X),
                                  clf.classes_[(scores > 0).astype(int)])
    bayes = np.argmax(clf.predict_proba(X) * factors, axis=1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[bayes])


def test_save_and_load_store_every_member_once(fitted, data, tmp_path):
    """Check that skweight.save writes one network file per member and load
    gives an ensemble that predicts the same, with model_ its first member."""
    X, _ = data
    path = tmp_path / "ensemble.zip"
    skweight.save(fitted, path)
    with zipfile.ZipFile(path) as archive:
        networks = [name for name in archive.namelist()
                    if name.startswith("networks/")]
    assert len(networks) == 3
    loaded = skweight.load(path)
    assert len(loaded.models_) == 3 and loaded.model_ is loaded.models_[0]
    np.testing.assert_allclose(loaded.predict_proba(X), fitted.predict_proba(X),
                               atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


# ------------------------------------------------------------------ cross_fit


@NEEDS_TRAINERS
def test_a_cross_fitted_member_trains_on_all_rows_but_its_fold(data, empty_pool):
    """Check that member k of a cross-fitted ensemble is, bit for bit, the network
    a single fit with its seed gives on the rows outside fold k.

    Unweighted, no output bias: nothing else depends on which rows a fit sees.
    """
    X, y = data
    params = {**TINY, "bias_init": None, "calibration": "temperature"}
    ensemble = WeightedKerasClassifier(n_members=3, cross_fit=True,
                                       **params).fit(X, y)
    rows = cross_fit_rows(y, ensemble.classes_, 3, 0)
    for member, (seed, (train, _)) in enumerate(
            zip(member_seeds(0, 3), rows, strict=True)):
        single = WeightedKerasClassifier(**{**params, "calibration": None,
                                            "random_state": seed}).fit(X[train],
                                                                       y[train])
        assert _same_weights(single.model_, ensemble.models_[member])


def test_cross_fit_calibrates_on_every_rows_out_of_fold_probability(data):
    """Check that the map is fitted on each row's probability from the one member
    that held it out, and predict_proba applies it to the members' mean."""
    X, y = data
    clf = WeightedKerasClassifier(n_members=3, cross_fit=True,
                                  class_weight="balanced", early_stopping=True,
                                  n_iter_no_change=2,
                                  **{**TINY, "epochs": 6}).fit(X, y)
    assert isinstance(clf.calibrator_, TemperatureCalibrator)  # "auto"
    factors = np.array(list(clf.class_weight_.values()))
    out_of_fold = np.empty((len(y), 2))
    for keras_model, (_, held) in zip(
            clf.models_, cross_fit_rows(y, clf.classes_, 3, 0), strict=True):
        out_of_fold[held] = correct_proba(_member_proba(keras_model, X[held]),
                                          factors)
    expected = fit_calibrator("temperature", out_of_fold, y, np.ones(len(y)))
    np.testing.assert_allclose(clf.calibrator_.temperature, expected.temperature,
                               rtol=1e-4)
    np.testing.assert_allclose(clf.calibrator_.bias, expected.bias, atol=1e-4)
    mean_all = np.mean([correct_proba(_member_proba(m, X), factors)
                        for m in clf.models_], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X),
                               clf.calibrator_.transform(mean_all), atol=1e-5)
    for history in clf.histories_:  # each member watched its own fold
        assert len(history["val_log_loss"]) == len(history["loss"])


def test_cross_fit_folds_hold_out_every_row_once_by_class():
    """Check the folds: every row held out by exactly one member, stratified, and
    every member trains on every class, a class of 2 rows included."""
    y = np.array([0] * 40 + [1] * 7 + [2] * 13 + [3] * 2)
    rows = cross_fit_rows(y, np.array(["a", "b", "c", "d"]), 5, seed=3)
    held = np.concatenate([held for _, held in rows])
    np.testing.assert_array_equal(np.sort(held), np.arange(len(y)))
    for train, held in rows:
        assert np.intersect1d(train, held).size == 0
        assert len(train) + len(held) == len(y)
        assert set(np.bincount(y[held], minlength=4)[1:3]) <= {1, 2, 3}
        assert np.bincount(y[train], minlength=4).min() >= 1


def test_cross_fit_needs_two_rows_of_every_class():
    """Check the clear error for a class of one row."""
    with pytest.raises(ValueError, match=r"needs at least 2 rows of every class; "
                                         r"class counts are \{'a': 5, 'b': 1\}"):
        cross_fit_rows(np.array([0] * 5 + [1]), np.array(["a", "b"]), 2, seed=0)


@pytest.mark.parametrize("params, message", [
    ({"n_members": 1}, r"cross_fit=True holds out a different fold for each "
                       r"member, but n_members=1; pass n_members=2 or more"),
    ({"n_members": 3, "calibration": None},
     r"early_stopping=False and calibration=None use none; pass "
     r"early_stopping=True or a calibration, or cross_fit=False"),
    ({"n_members": 301, "calibration": "temperature"},
     r"cuts the 300 training rows into n_members=301 folds, one per member; "
     r"lower n_members"),
])
def test_cross_fit_without_what_it_needs_is_refused_before_training(
        data, params, message):
    """Check the clear errors, and that a fitted estimator is left as it was."""
    X, y = data
    clf = WeightedKerasClassifier(**TINY).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match=message):
        clf.set_params(cross_fit=True, **params).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert len(clf.models_) == 1


@pytest.mark.parametrize("form", ["images", "named"])
def test_cross_fit_takes_every_input_form(data, form):
    """Check cross_fit with N-D images and with named inputs (a dict): each
    member holds out its own rows of every input, and the map is fitted."""
    if form == "images":
        digits = load_digits()
        X = digits.images[:300, :, :, None] / 16.0
        y = (digits.target[:300] == 3).astype(int)
        model = cnn
    else:
        X_table, y = data
        X = {"first": X_table[:, :1], "second": X_table[:, 1:2]}
        model = two_inputs
    clf = WeightedKerasClassifier(model, n_members=2, cross_fit=True,
                                  class_weight="balanced", epochs=2,
                                  learning_rate=0.01, random_state=0).fit(X, y)
    assert isinstance(clf.calibrator_, TemperatureCalibrator)
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 2) and np.all(np.isfinite(proba))
    assert not _same_weights(*clf.models_)
