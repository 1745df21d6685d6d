"""Compiled trainers reused across fits: same models, bounded, data released."""

import gc
import weakref

import keras
import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.datasets import make_classification

from skweight import WeightedKerasClassifier, _reuse

pytestmark = pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras compiles nothing on torch, so skweight keeps no trainers there",
)

@pytest.fixture
def empty_pool():
    _reuse.clear_trainers()
    yield
    _reuse.clear_trainers()


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=6, n_informative=4,
                               n_classes=3, weights=[0.7, 0.2, 0.1], random_state=0)


def _binary(data):
    X, y = data
    return X, (y == 2).astype(int)


@pytest.mark.parametrize(
    "params, multiclass",
    [
        ({}, False),
        ({"dropout": 0.3, "class_weight": "balanced"}, False),
        ({"early_stopping": True, "n_iter_no_change": 2, "epochs": 12}, False),
        ({"loss": "logit_adjusted", "optimizer": keras.optimizers.SGD(momentum=0.9)},
         False),
        ({"dropout": 0.2, "class_weight": "balanced"}, True),
    ],
)
def test_a_reused_trainer_gives_the_model_training_it_directly_gives(
    empty_pool, data, params, multiclass, small
):
    """Check that a fit on a used trainer equals, bit for bit, a fit on a new one."""
    X, y = data if multiclass else _binary(data)
    make = lambda **extra: WeightedKerasClassifier(**{**small, **params, **extra})  # noqa: E731

    first = make().fit(X, y)  # no trainer yet: a new one is compiled
    assert _reuse.n_idle_trainers() == 1
    # Leave the trainer in another state: other seed, row order, learning rate
    # (same class priors, which the logit-adjusted loss compiles in).
    make(random_state=7, learning_rate=0.05).fit(X[::-1], y[::-1])
    assert _reuse.n_idle_trainers() == 1  # taken and put back, not compiled anew
    again = make().fit(X, y)
    assert _reuse.n_idle_trainers() == 1

    for w_first, w_again in zip(first.model_.get_weights(), again.model_.get_weights(),
                                strict=True):
        np.testing.assert_array_equal(w_first, w_again)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    assert first.history_ == again.history_
    assert first.best_epoch_ == again.best_epoch_
    # The fitted model is the estimator's own, with the optimizer's trained state:
    # two steps per epoch (batches of 200 rows of 300, or 270 with early stopping).
    assert again.model_.optimizer.iterations.numpy() == 2 * again.n_iter_


def test_the_fitted_model_continues_training_with_partial_fit(empty_pool, data, small):
    """Check that partial_fit after a fit continues from the trained optimizer state."""
    X, y = _binary(data)
    clf = WeightedKerasClassifier(**small).fit(X, y)
    steps = int(clf.model_.optimizer.iterations.numpy())
    assert steps == small["epochs"] * int(np.ceil(len(X) / min(200, len(X))))
    clf.partial_fit(X, y)
    assert int(clf.model_.optimizer.iterations.numpy()) == steps + 2


def test_custom_builders_and_loss_objects_train_their_own_model(empty_pool, data):
    """Check that a configuration the key cannot name shares no trainer."""
    X, y = _binary(data)

    def build(meta):
        return keras.Sequential([keras.Input((meta["n_features_in_"],)),
                                 keras.layers.Dense(1, activation="sigmoid")])

    WeightedKerasClassifier(build, epochs=2, random_state=0).fit(X, y)
    WeightedKerasClassifier(loss=keras.losses.BinaryCrossentropy(), epochs=2,
                            random_state=0).fit(X, y)
    assert _reuse.n_idle_trainers() == 0


def test_different_configurations_get_different_trainers(empty_pool, data):
    """Check that architecture, loss and optimizer settings each key a trainer."""
    X, y = _binary(data)
    base = dict(epochs=1, random_state=0)
    for params in ({}, {"hidden_layer_sizes": (5,)}, {"loss": "focal"},
                   {"optimizer": keras.optimizers.Adam(beta_1=0.5)}):
        WeightedKerasClassifier(**base, **params).fit(X, y)
    assert _reuse.n_idle_trainers() == _reuse.MAX_IDLE_TRAINERS == 4
    # A fifth configuration evicts the least recently used trainer.
    WeightedKerasClassifier(**base, activation="tanh").fit(X, y)
    assert _reuse.n_idle_trainers() == _reuse.MAX_IDLE_TRAINERS
    # The learning rate and the batch size are not compiled in: no new trainer.
    WeightedKerasClassifier(**base, activation="tanh", learning_rate=0.1,
                            batch_size=17).fit(X, y)
    assert _reuse.n_idle_trainers() == _reuse.MAX_IDLE_TRAINERS


def test_training_data_is_released_after_fit(empty_pool, small):
    """Check that neither the estimator nor a kept trainer holds on to X."""
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    X = X.astype(np.float32)  # used as is, not copied
    alive = weakref.ref(X)
    clf = WeightedKerasClassifier(**small).fit(X, y)
    del X
    gc.collect()
    assert alive() is None
    assert _reuse.n_idle_trainers() == 1
    assert clf.predict_proba(np.zeros((1, 6))).shape == (1, 2)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="on JAX and torch, Keras shuffles with a generator threads share",
)
def test_fits_in_threads_equal_sequential_fits(empty_pool, data, small):
    """Check that concurrent fits with one configuration do not share a trainer."""
    X, y = _binary(data)
    seeds = [0, 1, 2, 3]
    sequential = [WeightedKerasClassifier(**{**small, "random_state": seed})
                  .fit(X, y).predict_proba(X) for seed in seeds]
    threaded = Parallel(n_jobs=2, backend="threading")(
        delayed(lambda seed: WeightedKerasClassifier(**{**small, "random_state": seed})
                .fit(X, y).predict_proba(X))(seed)
        for seed in seeds
    )
    for expected, got in zip(sequential, threaded, strict=True):
        np.testing.assert_array_equal(expected, got)
