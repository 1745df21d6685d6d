"""No silent wrong results from WeightedKerasClassifier: divergence, atomic fits,
sample-weight scale, losses, optimizers, pickling, threads."""

import copy
import pickle
import random
import subprocess
import sys
import threading
import time

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.exceptions import NotFittedError

from skweight import WeightedKerasClassifier

TINY = dict(hidden_layer_sizes=(4,), epochs=3, random_state=0)


@pytest.fixture(scope="module")
def binary():
    return make_classification(n_samples=200, n_features=4, n_informative=3,
                               n_redundant=0, weights=[0.7, 0.3], random_state=0)


@pytest.fixture(scope="module")
def multiclass():
    return make_classification(n_samples=240, n_features=4, n_informative=3,
                               n_redundant=0, n_classes=3, random_state=0)


class RaiseAt(keras.callbacks.Callback):
    """Raise ``error`` at the end of epoch ``epoch`` (counted from 1)."""

    def __init__(self, epoch, error):
        super().__init__()
        self.epoch = epoch
        self.error = error

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise self.error


def _fitted_state(clf):
    """Every fitted attribute, with the network's weights as arrays."""
    state = {key: value for key, value in vars(clf).items() if key.endswith("_")}
    state["model_"] = [w.copy() for w in clf.model_.get_weights()]
    return state


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key, value in before.items():
        if key == "model_":
            for w_before, w_after in zip(value, after[key], strict=True):
                np.testing.assert_array_equal(w_before, w_after)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, after[key])
        elif not isinstance(value, keras.Model):
            assert value == after[key], key


# ------------------------------------------------------------------ divergence


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="inputs of 1e30 overflow to NaN weights in TensorFlow's float32 kernels; "
    "JAX and torch may end finite (then the fit is valid). Weights made NaN at "
    "the last epoch are tested on every backend below.",
)
def test_divergence_in_the_last_steps_raises(binary):
    """Check that a fit whose last update makes the weights NaN raises."""
    X, y = binary
    clf = WeightedKerasClassifier(epochs=2, hidden_layer_sizes=(4,), random_state=0)
    with pytest.raises(FloatingPointError, match="not finite"):
        clf.fit(X * 1e30, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_huge_sample_weight_trains_like_unit_weight(binary):
    """Check that sample_weight=1e30 everywhere trains as no sample_weight."""
    X, y = binary
    plain = WeightedKerasClassifier(**TINY).fit(X, y)
    huge = WeightedKerasClassifier(**TINY).fit(X, y, sample_weight=np.full(200, 1e30))
    np.testing.assert_allclose(huge.predict_proba(X), plain.predict_proba(X),
                               rtol=1e-5)


def test_predict_rejects_values_beyond_float32(binary):
    """Check that float64 inputs beyond float32's range raise, not give class 0."""
    X, y = binary
    clf = WeightedKerasClassifier(**TINY).fit(X, y)
    X_big = X[:3].copy()
    X_big[1, 2] = 1e300
    for method in (clf.predict, clf.predict_proba, clf.decision_function):
        with pytest.raises(ValueError, match="float32"):
            method(X_big)
    with pytest.raises(ValueError, match="float32"):
        WeightedKerasClassifier(**TINY).fit(np.vstack([X, X_big]),
                                            np.r_[y, y[:3]])


@pytest.mark.parametrize("epoch, epochs", [(1, 4), (2, 4), (4, 4), (1, 1)])
def test_divergence_at_each_epoch_position_raises(binary, epoch, epochs):
    """Check that weights made NaN at the first, a middle or the last epoch raise."""
    X, y = binary

    class PoisonAt(keras.callbacks.Callback):
        def on_epoch_end(self, index, logs=None):
            if index + 1 == epoch:
                weights = self.model.get_weights()
                weights[0][:] = np.nan
                self.model.set_weights(weights)

    clf = WeightedKerasClassifier(hidden_layer_sizes=(4,), epochs=epochs,
                                  n_iter_no_change=None, callbacks=[PoisonAt()],
                                  random_state=0)
    with pytest.raises(FloatingPointError):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_early_stopping_on_a_diverged_fit_says_so(binary):
    """Check that early stopping on NaN outputs explains, not log_loss's NaN error."""
    X, y = binary

    class PoisonAfterStep(keras.callbacks.Callback):
        # After the step's loss was logged: only the validation score sees it.
        def on_train_batch_end(self, batch, logs=None):
            weights = self.model.get_weights()
            weights[-1][:] = np.nan
            self.model.set_weights(weights)

    clf = WeightedKerasClassifier(hidden_layer_sizes=(4,), epochs=3,
                                  early_stopping=True, random_state=0,
                                  callbacks=[PoisonAfterStep()])
    with pytest.raises(FloatingPointError, match="validation"):
        clf.fit(X, y)


# ---------------------------------------------------------------- atomic fits


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_refit_leaves_the_fitted_state_as_it_was(binary, multiclass,
                                                          error):
    """Check that an exception inside training leaves the previous fit intact."""
    X, y = binary
    clf = WeightedKerasClassifier(**TINY).fit(X, y)
    before = _fitted_state(clf)
    proba = clf.predict_proba(X)
    X3, y3 = multiclass
    clf.set_params(callbacks=[RaiseAt(2, error)])
    with pytest.raises(type(error)):
        clf.fit(X3, y3)  # other classes: a mixed state would mislabel
    _assert_same_state(before, _fitted_state(clf))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_first_fit_leaves_the_estimator_unfitted(binary, error):
    """Check that a first fit that raises leaves NotFittedError, not AttributeError."""
    X, y = binary
    clf = WeightedKerasClassifier(**TINY, callbacks=[RaiseAt(1, error)])
    with pytest.raises(type(error)):
        clf.fit(X, y)
    assert not [key for key in vars(clf) if key.endswith("_")]
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_a_failed_partial_fit_leaves_the_network_as_it_was(binary):
    """Check that partial_fit that raises restores the network and the history."""
    X, y = binary
    clf = WeightedKerasClassifier(**TINY)
    clf.partial_fit(X, y, classes=[0, 1])
    before = _fitted_state(clf)
    clf.set_params(callbacks=[RaiseAt(1, KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(X, y)
    _assert_same_state(before, _fitted_state(clf))
    assert clf.history_ == before["history_"]


# ------------------------------------------------------------- sample weights


def test_negative_sample_weight_is_rejected(binary):
    """Check that a negative row weight is an error naming it, not 'sums to 0'."""
    X, y = binary
    sample_weight = np.ones(200)
    sample_weight[3] = -100.0
    with pytest.raises(ValueError, match=r"sample_weight.*negative.*-100"):
        WeightedKerasClassifier(**TINY).fit(X, y, sample_weight=sample_weight)
    assert sample_weight[3] == -100.0


@pytest.mark.parametrize("scale", [1e-3, 1e4])
def test_scaled_sample_weight_trains_alike(binary, scale):
    """Check that c * sample_weight trains as sample_weight does, for any c > 0."""
    X, y = binary
    params = dict(hidden_layer_sizes=(4,), epochs=40, learning_rate=0.01,
                  tol=1e-3, n_iter_no_change=3, random_state=0)
    weights = np.linspace(0.5, 1.5, 200)
    ref = WeightedKerasClassifier(**params).fit(X, y, sample_weight=weights)
    scaled = WeightedKerasClassifier(**params).fit(X, y,
                                                   sample_weight=scale * weights)
    assert scaled.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(scaled.predict_proba(X), ref.predict_proba(X),
                               rtol=1e-4, atol=1e-6)


def test_adaboost_around_the_estimator_beats_random(binary):
    """Check that AdaBoost's shrinking sample weights still train the network."""
    X, y = binary
    boost = AdaBoostClassifier(
        WeightedKerasClassifier(hidden_layer_sizes=(8,), epochs=30,
                                learning_rate=0.05, random_state=0),
        n_estimators=3, random_state=0,
    ).fit(X, y)
    assert boost.score(X, y) > 0.8


# --------------------------------------------------------- losses, optimizers


@pytest.mark.parametrize("loss", ["categorical_crossentropy",
                                  keras.losses.CategoricalCrossentropy()])
def test_one_hot_losses_get_one_hot_targets(multiclass, loss):
    """Check that a categorical loss trains on three classes, on one-hot targets."""
    X, y = multiclass
    clf = WeightedKerasClassifier(hidden_layer_sizes=(8,), epochs=20,
                                  learning_rate=0.05, loss=loss,
                                  random_state=0).fit(X, y)
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]
    assert clf.score(X, y) > 0.6


def test_one_hot_losses_are_rejected_for_two_classes(binary):
    """Check that categorical cross-entropy on one sigmoid unit (always 0) raises."""
    X, y = binary
    with pytest.raises(ValueError, match="categorical_crossentropy.*two classes"):
        WeightedKerasClassifier(**TINY, loss="categorical_crossentropy").fit(X, y)


def test_an_optimizer_instance_keeps_its_learning_rate(binary):
    """Check that SGD(learning_rate=0.15) trains at 0.15 unless told otherwise."""
    X, y = binary
    sgd = keras.optimizers.SGD(learning_rate=0.15)
    clf = WeightedKerasClassifier(**TINY, optimizer=sgd).fit(X, y)
    assert float(clf.model_.optimizer.learning_rate.numpy()) == pytest.approx(0.15)
    clf = WeightedKerasClassifier(**TINY).fit(X, y)
    assert float(clf.model_.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
    clf = WeightedKerasClassifier(**TINY, optimizer=sgd, learning_rate=0.02).fit(X, y)
    assert float(clf.model_.optimizer.learning_rate.numpy()) == pytest.approx(0.02)
    assert float(sgd.learning_rate.numpy()) == pytest.approx(0.15)


# ------------------------------------------------------------------- pickling


def mean_squared_loss(y_true, y_pred):
    """A plain loss function, defined at module level."""
    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


class FunctionalSubclass(keras.Model):
    """A keras.Model subclass built with the functional API, never registered."""

    def __init__(self, n_features=4, units=4, **kwargs):
        inputs = keras.Input((n_features,))
        hidden = keras.layers.Dense(units, activation="relu")(inputs)
        outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.n_features = n_features
        self.units = units

    def get_config(self):
        return {"n_features": self.n_features, "units": self.units}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="skweight_tests")
class RegisteredSubclass(FunctionalSubclass):
    """The same, registered with Keras."""


def build_subclass(meta, registered=False):
    model_class = RegisteredSubclass if registered else FunctionalSubclass
    return model_class(n_features=meta["n_features_in_"])


PICKLE_CASES = {
    "default": {},
    "binary_crossentropy": {"loss": "binary_crossentropy"},
    "function loss": {"loss": mean_squared_loss},
    "registered subclass": {"model": build_subclass,
                            "model_params": {"registered": True}},
    "unregistered subclass": {"model": build_subclass},
}


@pytest.fixture(scope="module")
def loaded_in_a_fresh_process(binary, tmp_path_factory):
    """Fit every case, pickle it, predict in one fresh process: {case: proba}."""
    X, y = binary
    folder = tmp_path_factory.mktemp("pickles")
    np.save(folder / "X.npy", X)
    fitted = {}
    for index, (case, params) in enumerate(PICKLE_CASES.items()):
        # hidden_layer_sizes shapes the default network only (a builder's: warns).
        settings = {**TINY, **params}
        if "model" in params:
            del settings["hidden_layer_sizes"]
        fitted[case] = WeightedKerasClassifier(**settings).fit(X, y)
        (folder / f"{index}.pkl").write_bytes(pickle.dumps(fitted[case]))
    script = (
        "import pickle, sys, numpy as np\n"
        "sys.path.insert(0, 'tests')\n"
        f"X = np.load({str(folder / 'X.npy')!r})\n"
        f"for index in range({len(PICKLE_CASES)}):\n"
        f"    clf = pickle.loads(open(f'{folder}/{{index}}.pkl', 'rb').read())\n"
        f"    np.save(f'{folder}/{{index}}.npy', clf.predict_proba(X))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    return fitted, {case: np.load(folder / f"{index}.npy")
                    for index, case in enumerate(PICKLE_CASES)}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(PICKLE_CASES))
def test_a_fitted_estimator_loads_in_a_fresh_process(binary, case,
                                                     loaded_in_a_fresh_process):
    """Check that pickle, deepcopy and a fresh process predict identically."""
    X, _ = binary
    fitted, fresh = loaded_in_a_fresh_process
    clf = fitted[case]
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(fresh[case], proba)
    np.testing.assert_array_equal(copy.deepcopy(clf).predict_proba(X), proba)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X),
                                  proba)


def test_a_loss_that_cannot_be_saved_fails_when_pickling(binary):
    """Check that a lambda loss fails at pickle.dumps with a message, not at load."""
    X, y = binary
    clf = WeightedKerasClassifier(**TINY, loss=lambda t, p: (t - p) ** 2).fit(X, y)
    # Python itself refuses the lambda parameter, at dump time.
    with pytest.raises((pickle.PicklingError, AttributeError), match="pickle"):
        pickle.dumps(clf)
    np.testing.assert_array_equal(clf.predict(X[:5]), clf.predict(X[:5]))


# --------------------------------------------- what a scikeras user brings


def test_warm_start_continues_from_the_fitted_network(binary):
    """Check that warm_start=True trains on from the previous weights."""
    X, y = binary
    clf = WeightedKerasClassifier(**TINY, warm_start=True, learning_rate=0.01)
    clf.fit(X, y)
    first = [w.copy() for w in clf.model_.get_weights()]
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is model
    assert clf.model_.optimizer.iterations.numpy() == 2 * 3
    cold = WeightedKerasClassifier(**TINY, learning_rate=0.01).fit(X, y)
    np.testing.assert_array_equal(first[0], cold.model_.get_weights()[0])
    assert not np.array_equal(clf.model_.get_weights()[0], first[0])


def test_metrics_are_recorded_in_history(binary):
    """Check that metrics=['accuracy'] appear per epoch in history_."""
    X, y = binary
    clf = WeightedKerasClassifier(**TINY, metrics=["accuracy"]).fit(X, y)
    assert len(clf.history_["accuracy"]) == clf.n_iter_
    assert all(0 <= value <= 1 for value in clf.history_["accuracy"])


def test_a_single_callback_is_accepted(binary):
    """Check that callbacks=<one Callback> works as a list of one."""
    X, y = binary
    seen = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    WeightedKerasClassifier(**TINY, callbacks=Count()).fit(X, y)
    assert seen == [0, 1, 2]


# -------------------------------------------------------------------- threads


def test_seeded_fits_in_threads_leave_global_generators_unchanged(binary):
    """Check that concurrent seeded fits restore Python's and NumPy's generators."""
    X, y = binary
    # The global generators are what this test is about.
    random.seed(123)
    np.random.seed(123)  # noqa: NPY002
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    threads = [
        threading.Thread(target=WeightedKerasClassifier(
            hidden_layer_sizes=(4,), epochs=2, random_state=seed).fit, args=(X, y))
        for seed in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert random.getstate() == python_state
    np.testing.assert_array_equal(np.random.get_state()[1],  # noqa: NPY002
                                  numpy_state[1])


def test_one_estimator_fitted_from_two_threads_at_once_is_an_error(binary):
    """Check that a second concurrent fit of one object raises a clear error."""
    X, y = binary
    started, release = threading.Event(), threading.Event()

    class Hold(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            started.set()
            release.wait(10)

    clf = WeightedKerasClassifier(**TINY, callbacks=[Hold()])
    thread = threading.Thread(target=clf.fit, args=(X, y))
    thread.start()
    started.wait(10)
    try:
        with pytest.raises(RuntimeError, match="already being fitted"):
            clone(clf).set_params(callbacks=None)  # a clone is fine ...
            clf.fit(X, y)  # ... the same object is not
    finally:
        release.set()
        thread.join()
    assert clf.predict(X).shape == (200,)


def test_predict_during_a_refit_sees_the_old_fit_whole(binary):
    """Check that a thread predicting while another refits the same object gets the
    old fit's labels and probabilities, not the new classes with the old network,
    and the new fit's once the refit ends."""
    X, y = binary
    started, release = threading.Event(), threading.Event()

    class Hold(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            started.set()
            release.wait(10)

    clf = WeightedKerasClassifier(**TINY).fit(X, np.array(["a", "b"])[y])
    old_proba, old_labels = clf.predict_proba(X), clf.predict(X)
    clf.set_params(callbacks=[Hold()], class_weight="balanced")
    thread = threading.Thread(target=clf.fit, args=(X, np.array(["x", "y"])[y]))
    thread.start()
    try:
        assert started.wait(10)
        during_labels, during_proba = clf.predict(X), clf.predict_proba(X)
    finally:
        release.set()
        thread.join()
    np.testing.assert_array_equal(during_labels, old_labels)
    np.testing.assert_array_equal(during_proba, old_proba)
    assert set(clf.predict(X)) <= {"x", "y"}


def small_cnn(meta):
    # No seeds on the layers: Keras draws them from its global generators. The
    # pauses make two fits in threads build at the same time.
    inputs = keras.Input(meta["input_shapes_"])
    time.sleep(0.2)
    hidden = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    time.sleep(0.2)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    hidden = keras.layers.Dense(4, activation="relu")(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


@pytest.mark.slow
def test_seeded_fits_of_a_cnn_in_threads_equal_sequential_fits():
    """Check that seeded clones of an unseeded CNN builder fitted in two threads at
    once give the probabilities of the same fits run one after the other."""
    rng = np.random.default_rng(0)
    images = rng.normal(size=(64, 8, 8, 1)).astype(np.float32)
    y = (images.mean(axis=(1, 2, 3)) > 0).astype(int)
    base = WeightedKerasClassifier(model=small_cnn, epochs=2, n_iter_no_change=None)
    estimators = [clone(base).set_params(random_state=seed) for seed in (0, 1)]
    sequential = [clone(est).fit(images, y).predict_proba(images)
                  for est in estimators]
    threads = [threading.Thread(target=est.fit, args=(images, y))
               for est in estimators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for est, expected in zip(estimators, sequential, strict=True):
        np.testing.assert_allclose(est.predict_proba(images), expected, atol=1e-6)
