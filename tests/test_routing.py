"""Routed parameters (model__x, optimizer__x) and how builders are called."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skweight import WeightedKerasClassifier

FAST = dict(epochs=1, random_state=0)


def build(meta, hidden=4):
    return keras.Sequential([
        keras.Input((meta["n_features_in_"],)),
        keras.layers.Dense(hidden, activation="relu", name="hidden"),
        keras.layers.Dense(meta["n_outputs_"], activation="sigmoid"),
    ])


def hidden_units(clf):
    return clf.model_.get_layer("hidden").units


def test_set_params_routes_model_params_to_the_builder(binary_data):
    """Check that set_params(model__hidden=...) reaches the builder, in a new dict."""
    X, y = binary_data
    given = {"hidden": 3}
    clf = WeightedKerasClassifier(model=build, model_params=given, **FAST)
    clf.set_params(model__hidden=7)
    assert clf.model_params == {"hidden": 7}
    assert given == {"hidden": 3}  # the caller's dict is not modified
    assert hidden_units(clf.fit(X, y)) == 7
    assert clf.get_params()["model__hidden"] == 7
    assert "model__hidden" not in clf.get_params(deep=False)


def test_constructor_takes_routed_parameters_and_clone_keeps_them(binary_data):
    """Check that model__x in the constructor lands in model_params and survives
    clone, and that an unknown keyword is a TypeError."""
    X, y = binary_data
    clf = WeightedKerasClassifier(model=build, model__hidden=6, **FAST)
    assert clf.model_params == {"hidden": 6}
    copy = clone(clf)
    assert copy.model_params == {"hidden": 6}
    assert hidden_units(copy.fit(X, y)) == 6
    with pytest.raises(TypeError, match="unexpected keyword argument 'hiden'"):
        WeightedKerasClassifier(model=build, hiden=6)
    with pytest.raises(ValueError, match="Invalid parameter 'modle'"):
        clf.set_params(modle__hidden=3)


@pytest.mark.slow
def test_grid_search_over_routed_builder_parameters(binary_data):
    """Check that a scikeras-style grid {"model__hidden": [...]} works unchanged,
    also through a Pipeline."""
    X, y = binary_data
    search = GridSearchCV(WeightedKerasClassifier(model=build, **FAST),
                          {"model__hidden": [2, 5]}, cv=2).fit(X, y)
    assert [p["model__hidden"] for p in search.cv_results_["params"]] == [2, 5]
    assert hidden_units(search.best_estimator_) == search.best_params_["model__hidden"]
    pipe = make_pipeline(StandardScaler(), WeightedKerasClassifier(model=build, **FAST))
    pipe.set_params(weightedkerasclassifier__model__hidden=5).fit(X, y)
    assert hidden_units(pipe[-1]) == 5


def test_optimizer_routed_parameters_reach_the_optimizer(binary_data):
    """Check that optimizer__momentum reaches a named optimizer, and that a keyword
    it does not take is an error naming optimizer_params."""
    X, y = binary_data
    clf = WeightedKerasClassifier(hidden_layer_sizes=(3,), optimizer="sgd",
                                  optimizer__momentum=0.9, **FAST).fit(X, y)
    assert clf.optimizer_params == {"momentum": 0.9}
    assert clf.model_.optimizer.momentum == pytest.approx(0.9)
    assert clf.get_params()["optimizer__momentum"] == 0.9
    plain = clone(clf).set_params(optimizer_params=None).fit(X, y)
    assert plain.model_.optimizer.momentum == 0.0
    with pytest.raises(ValueError, match="optimizer_params=.*momentom"):
        clone(clf).set_params(optimizer__momentom=0.9).fit(X, y)


def test_optimizer_params_key_their_own_compiled_trainer(binary_data):
    """Check that fits differing only in optimizer_params do not give the same
    network (each trains with its own settings)."""
    X, y = binary_data
    params = dict(hidden_layer_sizes=(3,), optimizer="sgd", epochs=3, random_state=0)
    plain = WeightedKerasClassifier(**params).fit(X, y).predict_proba(X)
    momentum = WeightedKerasClassifier(**params, optimizer__momentum=0.9).fit(X, y)
    assert not np.allclose(plain, momentum.predict_proba(X))


def positional(m, hidden=4):
    return build(m, hidden)


def keywords_only(**kwargs):
    return build(kwargs["meta"], kwargs.get("hidden", 4))


def no_meta(hidden=4):
    return keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(hidden, activation="relu", name="hidden"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


@pytest.mark.parametrize("builder", [positional, keywords_only, no_meta])
def test_builders_are_called_by_their_signature(binary_data, builder):
    """Check that a builder whose first parameter is not named meta, one taking
    only **kwargs and one taking no meta at all each work with routed params."""
    X, y = binary_data
    clf = WeightedKerasClassifier(model=builder, model__hidden=5, **FAST).fit(X, y)
    assert hidden_units(clf) == 5
    assert clf.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("param, value", [
    ("hidden_layer_sizes", (8, 8)), ("activation", "tanh"), ("dropout", 0.2)])
def test_default_network_parameters_with_a_custom_model_warn(binary_data, param,
                                                            value):
    """Check that a default-network parameter set with a custom model= warns
    that it is unused, naming it, and that the defaults do not warn."""
    X, y = binary_data
    with pytest.warns(UserWarning, match=f"{param}=.* is unused"):
        WeightedKerasClassifier(model=build, **{param: value}, **FAST).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        WeightedKerasClassifier(model=build, **FAST).fit(X, y)
        WeightedKerasClassifier(**{param: value}, **FAST).fit(X, y)
