"""An ensemble's members share one compiled training step when no key names it."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification

from skweight import WeightedKerasClassifier, _reuse, _shared_step
from skweight._ensemble import member_seeds

pytestmark = pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras compiles nothing on torch: every member trains itself there",
)

FAST = dict(epochs=3, learning_rate=0.01, random_state=0)

@pytest.fixture
def empty_pool():
    _reuse.clear_trainers()
    yield
    _reuse.clear_trainers()


@pytest.fixture(scope="module")
def data():
    """300 rows, 6 features, 15 % positives."""
    return make_classification(n_samples=300, n_features=6, n_informative=4,
                               weights=[0.85, 0.15], random_state=0)


def dropout_mlp(meta):
    """An MLP with an unseeded Dropout: a seed state drawn at build, used in fit."""
    inputs = keras.Input((meta["n_features_in_"],))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    hidden = keras.layers.Dropout(0.3)(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def batch_norm_mlp(meta):
    """An MLP with BatchNormalization: moving statistics that are not trained."""
    return keras.Sequential([
        keras.Input((meta["n_features_in_"],)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


def nested_block(meta):
    """A Sequential block inside a functional model: configs naming layers."""
    block = keras.Sequential([keras.layers.Dense(4, activation="relu"),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dropout(0.2)])
    inputs = keras.Input((meta["n_features_in_"],))
    outputs = keras.layers.Dense(1, activation="sigmoid")(block(inputs))
    return keras.Model(inputs, outputs)


class ScaledMLP(keras.Model):
    """A subclassed model with a weight of its own, in no layer."""

    def __init__(self, n_features):
        super().__init__()
        self.feature_scale = self.add_weight(shape=(n_features,), initializer="ones",
                                             name="feature_scale")
        self.hidden = keras.layers.Dense(4, activation="relu")
        self.dropout = keras.layers.Dropout(0.2)
        self.out = keras.layers.Dense(1, activation="sigmoid")

    def call(self, x, training=False):
        hidden = self.hidden(x * self.feature_scale)
        return self.out(self.dropout(hidden, training=training))


def subclassed(meta):
    return ScaledMLP(meta["n_features_in_"])


def two_inputs(meta):
    """A functional model of two named inputs, with dropout."""
    first = keras.Input((2,), name="first")
    second = keras.Input((4,), name="second")
    hidden = keras.layers.Concatenate()([first, second])
    hidden = keras.layers.Dropout(0.2)(keras.layers.Dense(4, activation="relu")(hidden))
    return keras.Model([first, second],
                       keras.layers.Dense(1, activation="sigmoid")(hidden))


def _named(X):
    return {"first": X[:, :2], "second": X[:, 2:]}


def _state(keras_model):
    """Every value a fit reads or changes: the model's variables (seed states
    included) and its optimizer's (steps, moments, learning rate)."""
    variables = [*keras_model.variables, *keras_model.optimizer.variables]
    return [keras.ops.convert_to_numpy(variable) for variable in variables]


def _same_state(first, second):
    first, second = _state(first), _state(second)
    return len(first) == len(second) and all(
        a.shape == b.shape and np.array_equal(a, b)
        for a, b in zip(first, second, strict=True))


def _compiled_own_step(keras_model):
    return keras_model.train_function is not None


KEYLESS = {
    "dropout builder": (dict(model=dropout_mlp), False),
    "batch normalization": (dict(model=batch_norm_mlp), False),
    "nested block": (dict(model=nested_block), False),
    "subclassed model": (dict(model=subclassed), False),
    "two named inputs": (dict(model=two_inputs), True),
    "loss object": (dict(loss=keras.losses.BinaryCrossentropy(),
                         hidden_layer_sizes=(4,), dropout=0.2), False),
}


@pytest.mark.parametrize("params, named", KEYLESS.values(), ids=list(KEYLESS))
def test_members_train_on_the_first_members_step_as_alone(data, empty_pool, params,
                                                          named):
    """Check that members 1..n-1 of a configuration no key names train on member
    0's compiled step, and every member is the network a one-network fit with its
    seed gives, bit for bit: weights, seed and optimizer state, history."""
    X, y = data
    X = _named(X) if named else X
    ensemble = WeightedKerasClassifier(n_members=3, **params, **FAST).fit(X, y)
    assert _compiled_own_step(ensemble.models_[0])
    assert not any(_compiled_own_step(m) for m in ensemble.models_[1:])
    assert _reuse.n_idle_trainers() == 0  # a step of this fit's, kept by none
    for member, seed in enumerate(member_seeds(FAST["random_state"], 3)):
        single = WeightedKerasClassifier(**params, **{**FAST, "random_state": seed})
        single.fit(X, y)
        assert _same_state(single.model_, ensemble.models_[member]), member
        assert single.history_ == ensemble.histories_[member]


@pytest.mark.parametrize("params, named", [KEYLESS["subclassed model"],
                                           KEYLESS["two named inputs"]],
                         ids=["subclassed model", "two named inputs"])
def test_a_seeded_ensemble_on_a_shared_step_repeats(data, params, named):
    """Check that two seeded fits of an ensemble sharing member 0's step give the
    same networks, bit for bit, on every backend that compiles."""
    X, y = data
    X = _named(X) if named else X
    first, again = (WeightedKerasClassifier(n_members=3, **params, **FAST).fit(X, y)
                    for _ in range(2))
    assert not any(_compiled_own_step(m) for m in first.models_[1:])
    for ours, theirs in zip(first.models_, again.models_, strict=True):
        assert _same_state(ours, theirs)
    assert first.histories_ == again.histories_
    assert not _same_state(*first.models_[:2])


def by_seed(change):
    """A builder whose member 0 (seed 0) differs from the others in ``change``."""

    def build(meta):
        first = meta["random_state_"] == 0
        inputs = keras.Input((meta["n_features_in_"],))  # 6 features
        units = 5 if first and change == "width" else 6
        activation = "tanh" if first and change == "activation" else "relu"
        dtype = "mixed_bfloat16" if first and change == "precision" else None
        hidden = keras.layers.Dense(units, activation=activation, dtype=dtype)(inputs)
        # The same layers and weights, wired otherwise: only the outputs tell.
        source = inputs if first and change == "wiring" else hidden
        other = keras.layers.Dense(6, activation="relu")(source)
        hidden = keras.layers.Concatenate()([hidden, other])
        rate = 0.5 if first and change == "dropout rate" else 0.2
        hidden = keras.layers.Dropout(rate)(hidden)
        return keras.Model(inputs,
                           keras.layers.Dense(1, activation="sigmoid")(hidden))

    return build


@pytest.mark.parametrize("change", ["width", "activation", "precision",
                                    "dropout rate", "wiring"])
def test_members_unlike_the_first_train_themselves(data, change, monkeypatch):
    """Check that a builder making another network for member 0's seed has every
    member train on its own compiled step, as with sharing switched off."""
    X, y = data
    builder = by_seed(change)
    ensemble = WeightedKerasClassifier(builder, n_members=3, **FAST).fit(X, y)
    assert all(_compiled_own_step(m) for m in ensemble.models_)
    monkeypatch.setattr(_shared_step, "ENABLED", False)
    alone = WeightedKerasClassifier(builder, n_members=3, **FAST).fit(X, y)
    for ours, theirs in zip(ensemble.models_, alone.models_, strict=True):
        assert _same_state(ours, theirs)


class EpochLog(keras.callbacks.Callback):
    """Record each epoch's loss and the first weight, on the class (callbacks are
    copied for each member)."""

    seen = []

    def on_train_begin(self, logs=None):
        type(self).seen.append("start")

    def on_epoch_end(self, epoch, logs=None):
        weight = keras.ops.convert_to_numpy(self.model.trainable_variables[0])
        type(self).seen.append((epoch, logs["loss"], weight.tobytes()))


def test_early_stopping_and_callbacks_see_each_member_as_alone(data, monkeypatch):
    """Check that with early stopping each member keeps its own best weights, and
    the user's callbacks see the same epochs, as when every member trains itself."""
    X, y = data
    params = dict(model=dropout_mlp, n_members=3, early_stopping=True,
                  n_iter_no_change=2, validation_fraction=0.2, callbacks=[EpochLog()],
                  **{**FAST, "epochs": 30, "learning_rate": 0.05})
    EpochLog.seen = []
    shared = WeightedKerasClassifier(**params).fit(X, y)
    seen_shared = EpochLog.seen
    monkeypatch.setattr(_shared_step, "ENABLED", False)
    EpochLog.seen = []
    alone = WeightedKerasClassifier(**params).fit(X, y)
    assert all(_compiled_own_step(m) for m in alone.models_)
    assert seen_shared == EpochLog.seen
    # Some member stopped early and went back to an earlier epoch's weights.
    assert any(len(h["loss"]) < 30 for h in shared.histories_)
    assert any(np.argmin(h["val_log_loss"]) < len(h["loss"]) - 1
               for h in shared.histories_)
    assert shared.histories_ == alone.histories_
    assert shared.best_epoch_ == alone.best_epoch_
    for ours, theirs in zip(shared.models_, alone.models_, strict=True):
        assert _same_state(ours, theirs)
    np.testing.assert_array_equal(shared.predict_proba(X), alone.predict_proba(X))


class PoisonMember(keras.callbacks.Callback):
    """Make the weights of the ``member``-th network to train (from 0) NaN."""

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
            kernel = self.model.trainable_variables[0]
            kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


def test_a_member_diverging_on_the_shared_step_leaves_the_last_fit(data):
    """Check that a refit whose last member diverges on member 0's step raises and
    leaves the previous fit whole: its networks, their weights, predictions."""
    X, y = data
    clf = WeightedKerasClassifier(dropout_mlp, n_members=3, **FAST).fit(X, y)
    models = list(clf.models_)
    states = [_state(m) for m in models]
    proba = clf.predict_proba(X)
    PoisonMember.started = 0
    clf.set_params(callbacks=[PoisonMember(2)])
    with pytest.raises(FloatingPointError, match="not finite"):
        clf.fit(X, y)
    assert PoisonMember.started == 3
    assert all(a is b for a, b in zip(clf.models_, models, strict=True))
    for before, keras_model in zip(states, clf.models_, strict=True):
        assert all(np.array_equal(a, b)
                   for a, b in zip(before, _state(keras_model), strict=True))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def _train_on(clf, X, y, how):
    """A first fit, then one warm call: partial_fit, or fit with warm_start."""
    clf.fit(X, y)
    if how == "partial_fit":
        return clf.partial_fit(X, y)
    return clf.set_params(warm_start=True).fit(X, y)


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("params", [dict(model=dropout_mlp),
                                    dict(hidden_layer_sizes=(4,), dropout=0.2)],
                         ids=["builder", "default network"])
def test_warm_calls_train_members_on_the_first_members_step(data, empty_pool, params,
                                                            how, monkeypatch):
    """Check that partial_fit and a warm_start fit of an ensemble train members
    1..n-1 on member 0's compiled step, each bit for bit the network that
    training it on its own model gives."""
    X, y = data
    shared = _train_on(WeightedKerasClassifier(n_members=3, **params, **FAST),
                       X, y, how)
    assert _compiled_own_step(shared.models_[0])
    assert not any(_compiled_own_step(m) for m in shared.models_[1:])
    monkeypatch.setattr(_shared_step, "ENABLED", False)
    alone = _train_on(WeightedKerasClassifier(n_members=3, **params, **FAST),
                      X, y, how)
    assert all(_compiled_own_step(m) for m in alone.models_)
    for ours, theirs in zip(shared.models_, alone.models_, strict=True):
        assert _same_state(ours, theirs)
    assert shared.histories_ == alone.histories_
