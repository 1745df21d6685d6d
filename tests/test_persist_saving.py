"""Tests of the save format: skweight.save and skweight.load."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import skweight
from skweight import CostSensitiveClassifier, WeightedKerasClassifier
from skweight._saving import NotSaved

TINY = dict(hidden_layer_sizes=(4,), epochs=2, learning_rate=0.01, random_state=0)


def _frame(X):
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    frame.loc[[3, 7], "x1"] = np.nan
    return frame


def _cli_pipeline():
    """The preprocessing of the command line, then the cost-sensitive network."""
    numbers = [f"x{i}" for i in range(6)]
    preprocess = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), numbers),
        (OneHotEncoder(handle_unknown="ignore"), ["colour"]),
    )
    network = WeightedKerasClassifier(class_weight="balanced", **TINY)
    return make_pipeline(preprocess, CostSensitiveClassifier(
        network, cost_matrix=[[0, 1], [5, 0]]))


CASES = {
    "binary": lambda X, y: (WeightedKerasClassifier(class_weight="balanced",
                                                    **TINY), X, y),
    "string-labels-multiclass": lambda X, y: (
        WeightedKerasClassifier(class_weight="balanced", metrics=["accuracy"],
                                cost_matrix=[[0, 1, 1], [2, 0, 1], [5, 5, 0]],
                                **TINY),
        X, np.array(["ant", "bee", "cat"], dtype=object)[
            (X[:, 0] > 0.5).astype(int) + (X[:, 1] > 0.5)]),
    "cost-sensitive-tuned": lambda X, y: (CostSensitiveClassifier(
        WeightedKerasClassifier(**TINY), cost_matrix=[[0, 1], [5, 0]],
        strategy="tuned", cv=2), X, y),
    "cost-sensitive-gradient-boosting": lambda X, y: (CostSensitiveClassifier(
        HistGradientBoostingClassifier(max_iter=5), cost_matrix=[[0, 1], [5, 0]]),
        X, y),
    "pipeline-of-the-command-line": lambda X, y: (_cli_pipeline(), _frame(X), y),
}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request, binary_data):
    estimator, X, y = CASES[request.param](*binary_data)
    return estimator.fit(X, y), X


def _network(estimator):
    while True:
        if isinstance(estimator, WeightedKerasClassifier):
            return estimator
        if hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        elif hasattr(estimator, "estimator_"):
            estimator = estimator.estimator_
        else:
            return None


def test_round_trip_predicts_identically(fitted, tmp_path):
    """Check that a loaded estimator predicts as the saved one, with its state."""
    estimator, X = fitted
    path = tmp_path / "model.skw"
    skweight.save(estimator, path)
    loaded = skweight.load(path)
    assert type(loaded) is type(estimator)
    np.testing.assert_allclose(loaded.predict_proba(X), estimator.predict_proba(X),
                               atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    assert loaded.classes_.dtype == estimator.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, estimator.classes_)
    assert loaded.get_params(deep=False).keys() == estimator.get_params(
        deep=False).keys()
    network, saved = _network(loaded), _network(estimator)
    if saved is not None:
        assert network.class_weight_ == saved.class_weight_
        np.testing.assert_array_equal(network.priors_, saved.priors_)
        np.testing.assert_array_equal(network._output_factors, saved._output_factors)
        assert network._input_spec == saved._input_spec
        assert network.history_ == saved.history_


def test_file_holds_json_keras_and_npy_only(fitted, tmp_path):
    """Check that every member is JSON, .keras, .npy without pickle or skops."""
    estimator, _ = fitted
    path = tmp_path / "model.skw"
    estimator.save(path) if hasattr(estimator, "save") else skweight.save(
        estimator, path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format_version"] == 1
        assert set(manifest["versions"]) >= {"skweight", "keras", "sklearn"}
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith(".npy"):
                np.load(archive.open(name), allow_pickle=False)
            elif name.endswith(".keras"):
                assert zipfile.is_zipfile(archive.open(name))
            elif name.endswith(".skops"):
                import skops.io

                types = skops.io.get_untrusted_types(data=data)
                assert {name.split(".")[0] for name in types} <= {"sklearn", "numpy"}
            else:
                assert name == "manifest.json"
            assert not data.startswith(b"\x80"), f"{name} is a pickle"


def _write_module(directory, name, source):
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.py").write_text(textwrap.dedent(source))


def _run(code, **env):
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, env=environment)


BUILDER = """
    import keras

    def build_net(meta, units=3):
        return keras.Sequential([
            keras.Input(meta["input_shapes_"]),
            keras.layers.Dense(units, activation="tanh"),
            keras.layers.Dense(meta["n_outputs_"], activation="sigmoid"),
        ])
"""


@pytest.mark.slow
def test_loads_without_the_builder_in_a_fresh_process(binary_data, tmp_path):
    """Check that a model loads and predicts where its builder's code is gone."""
    X, y = binary_data
    modules = tmp_path / "modules"
    _write_module(modules, "saving_builder_gone", BUILDER)
    sys.path.insert(0, str(modules))
    try:
        import saving_builder_gone

        clf = WeightedKerasClassifier(saving_builder_gone.build_net,
                                      model_params={"units": 5},
                                      class_weight="balanced", epochs=3,
                                      random_state=0).fit(X, y)
        clf.save(tmp_path / "model.skw")
    finally:
        sys.path.remove(str(modules))
        sys.modules.pop("saving_builder_gone", None)
    (modules / "saving_builder_gone.py").unlink()
    np.save(tmp_path / "X.npy", X)
    result = _run(f"""
        import sys, numpy as np
        unpickled = []
        sys.addaudithook(lambda event, args: event == "pickle.find_class"
                         and unpickled.append(args))
        import skweight
        clf = skweight.load({str(tmp_path / 'model.skw')!r})
        np.save({str(tmp_path / 'p.npy')!r},
                clf.predict_proba(np.load({str(tmp_path / 'X.npy')!r})))
        assert not unpickled, unpickled
        try:
            import saving_builder_gone
        except ImportError:
            print(repr(clf.model))
    """)
    assert result.returncode == 0, result.stderr
    assert "NotSaved('model', 'saving_builder_gone.build_net')" in result.stdout
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), clf.predict_proba(X),
                               atol=1e-6)


def test_unsaved_parameter_refuses_to_fit_until_set(binary_data, tmp_path):
    """Check that a builder the file does not hold stops a refit with the fix."""
    X, y = binary_data

    def build(meta):
        return keras.Sequential([keras.Input(meta["input_shapes_"]),
                                 keras.layers.Dense(1, activation="sigmoid")])

    WeightedKerasClassifier(build, **{**TINY, "hidden_layer_sizes": (1,)}).fit(
        X, y).save(tmp_path / "model.skw")
    loaded = skweight.load(tmp_path / "model.skw")
    assert isinstance(loaded.model, NotSaved)
    with pytest.raises(RuntimeError, match=r"set_params\(model=\.\.\.\)"):
        loaded.fit(X, y)
    loaded.set_params(model=build).fit(X, y)


def test_lambda_layer_needs_safe_mode_false(binary_data, tmp_path):
    """Check that a Lambda layer loads only with safe_mode=False, named in the error."""
    X, y = binary_data

    def build(meta):
        return keras.Sequential([
            keras.Input(meta["input_shapes_"]),
            keras.layers.Lambda(lambda t: t * 2.0),
            keras.layers.Dense(1, activation="sigmoid"),
        ])

    clf = WeightedKerasClassifier(build, **TINY).fit(X, y)
    clf.save(tmp_path / "model.skw")
    with pytest.raises(ValueError, match="safe_mode=False"):
        skweight.load(tmp_path / "model.skw")
    loaded = skweight.load(tmp_path / "model.skw", safe_mode=False)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X),
                               atol=1e-6)


class Doubling(keras.layers.Layer):
    """A custom layer that Keras knows by no registered name."""

    def call(self, inputs):
        return inputs * 2.0


def test_custom_layer_needs_custom_objects(binary_data, tmp_path):
    """Check that an unregistered layer class loads only through custom_objects."""
    X, y = binary_data

    def build(meta):
        return keras.Sequential([keras.Input(meta["input_shapes_"]), Doubling(),
                                 keras.layers.Dense(1, activation="sigmoid")])

    clf = WeightedKerasClassifier(build, **TINY).fit(X, y)
    clf.save(tmp_path / "model.skw")
    with pytest.raises(ValueError, match=r"'Doubling'.*custom_objects=\{'Doubling'"):
        skweight.load(tmp_path / "model.skw")
    loaded = skweight.load(tmp_path / "model.skw",
                           custom_objects={"Doubling": Doubling})
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X),
                               atol=1e-6)


def test_untrusted_type_in_preprocessing_is_named(binary_data, tmp_path):
    """Check that a type outside sklearn/numpy/skweight needs trusted= to load."""
    X, y = binary_data
    modules = tmp_path / "modules"
    _write_module(modules, "saving_transforms", """
        import numpy as np

        def clip(X):
            return np.clip(X, -3, 3)
    """)
    sys.path.insert(0, str(modules))
    try:
        import saving_transforms

        pipe = make_pipeline(FunctionTransformer(saving_transforms.clip),
                             WeightedKerasClassifier(**TINY)).fit(X, y)
        skweight.save(pipe, tmp_path / "model.skw")
        with pytest.raises(ValueError, match=r"saving_transforms\.clip.*trusted="):
            skweight.load(tmp_path / "model.skw")
        loaded = skweight.load(tmp_path / "model.skw",
                               trusted=["saving_transforms.clip"])
        np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    finally:
        sys.path.remove(str(modules))
        sys.modules.pop("saving_transforms", None)


@pytest.mark.slow
def test_save_refuses_what_it_cannot_store(binary_data, tmp_path):
    """Check that save raises before writing for estimators it does not handle."""
    X, y = binary_data
    with pytest.raises(TypeError, match="HistGradientBoosting.*skops or joblib"):
        skweight.save(HistGradientBoostingClassifier().fit(X, y), tmp_path / "m.skw")
    wrapped = make_pipeline(make_column_transformer(
        (WeightedKerasClassifier(**TINY), [0, 1])), StandardScaler())
    with pytest.raises(TypeError, match="network only as a skweight estimator"):
        skweight.save(wrapped, tmp_path / "m.skw")
    assert not (tmp_path / "m.skw").exists()


def test_pickle_of_a_loaded_model_still_works(binary_data, tmp_path):
    """Check that a loaded estimator pickles and predicts the same."""
    import pickle

    X, y = binary_data
    clf = WeightedKerasClassifier(**TINY).fit(X, y)
    clf.save(tmp_path / "model.skw")
    loaded = skweight.load(tmp_path / "model.skw")
    again = pickle.loads(pickle.dumps(loaded))
    np.testing.assert_array_equal(again.predict_proba(X), loaded.predict_proba(X))


def test_custom_metrics_are_named_together_and_load_with_custom_objects(
        binary_data, tmp_path):
    """Check that every custom object is named in one error, then loads when given."""
    X, y = binary_data
    modules = tmp_path / "modules"
    _write_module(modules, "saving_metrics", """
        import keras

        class TopAUC(keras.metrics.AUC):
            pass

        def gap(y_true, y_pred):
            y_true = keras.ops.cast(y_true, y_pred.dtype)
            return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)
    """)
    sys.path.insert(0, str(modules))
    try:
        import saving_metrics as custom

        clf = WeightedKerasClassifier(**TINY, metrics=[custom.TopAUC(), custom.gap,
                                                       "mae"]).fit(X, y)
        clf.save(tmp_path / "model.skw")
        with pytest.raises(ValueError, match=r"'TopAUC'.*'gap'.*custom_objects="
                                             r"\{'TopAUC': TopAUC, 'gap': gap\}"):
            skweight.load(tmp_path / "model.skw")
        loaded = skweight.load(tmp_path / "model.skw", custom_objects={
            "TopAUC": custom.TopAUC, "gap": custom.gap})
    finally:
        sys.path.remove(str(modules))
        sys.modules.pop("saving_metrics", None)
    assert isinstance(loaded.metrics[0], custom.TopAUC)
    assert loaded.metrics[2] == "mae"
    assert isinstance(loaded.metrics[1], NotSaved)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X),
                               atol=1e-6)
    loaded.partial_fit(X, y)  # the network loads compiled, to train on
    assert len(loaded.history_["mean_absolute_error"]) == TINY["epochs"] + 1


@pytest.mark.skipif(keras.backend.backend() not in ("jax", "torch"),
                    reason="loads a file saved on TensorFlow into JAX or torch")
def test_file_saved_on_tensorflow_loads_on_this_backend(binary_data, tmp_path):
    """Check that a network saved on TensorFlow predicts the same here (atol 1e-5)."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow is not installed in this environment: no file can "
                    "be saved on it here")
    X, y = binary_data
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    result = _run(f"""
        import numpy as np
        from skweight import WeightedKerasClassifier
        X = np.load({str(tmp_path / 'X.npy')!r})
        y = np.load({str(tmp_path / 'y.npy')!r})
        clf = WeightedKerasClassifier(hidden_layer_sizes=(8, 4), dropout=0.1,
                                      class_weight="balanced", epochs=3,
                                      random_state=0).fit(X, y)
        clf.save({str(tmp_path / 'model.skw')!r})
        np.save({str(tmp_path / 'p.npy')!r}, clf.predict_proba(X))
    """, KERAS_BACKEND="tensorflow")
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = skweight.load(tmp_path / "model.skw")
    np.testing.assert_allclose(loaded.predict_proba(X), np.load(tmp_path / "p.npy"),
                               atol=1e-5)


def test_network_config_names_no_backend_class(binary_data, tmp_path):
    """Check that the stored network names classes every backend can import."""
    X, y = binary_data
    WeightedKerasClassifier(**TINY).fit(X, y).save(tmp_path / "model.skw")
    with zipfile.ZipFile(tmp_path / "model.skw") as archive:
        name = next(n for n in archive.namelist() if n.endswith(".keras"))
        with zipfile.ZipFile(archive.open(name)) as network:
            config = network.read("config.json").decode()
    assert '"module": "keras.optimizers"' in config
    assert "keras.src.backend." not in config


def test_parameters_load_as_they_were(binary_data, tmp_path):
    """Check that JSON-able, array and skweight-object parameters load equal."""
    X, y = binary_data
    params = dict(class_weight=skweight.EffectiveNumber(beta=0.9),
                  bias_init=np.array([0.25]), loss="logit_adjusted",
                  loss_params={"tau": 0.5}, cost_matrix=[[0, 1], [4, 0]],
                  metrics=["mae", keras.metrics.AUC(name="auc")])
    clf = WeightedKerasClassifier(**TINY, **params).fit(X, y)
    clf.save(tmp_path / "model.skw")
    loaded = skweight.load(tmp_path / "model.skw").get_params(deep=False)
    assert loaded["class_weight"] == params["class_weight"]
    np.testing.assert_array_equal(loaded["bias_init"], params["bias_init"])
    assert loaded["loss_params"] == params["loss_params"]
    assert loaded["cost_matrix"] == params["cost_matrix"]
    assert loaded["metrics"][0] == "mae"
    assert loaded["metrics"][1].get_config() == params["metrics"][1].get_config()
    assert loaded["hidden_layer_sizes"] == TINY["hidden_layer_sizes"]


def test_resampling_pipeline_loads_with_its_sampler_trusted(binary_data, tmp_path):
    """Check that an imbalanced-learn pipeline saves; its sampler needs trusted=."""
    from imblearn.pipeline import make_pipeline as make_resampling_pipeline
    from imblearn.under_sampling import RandomUnderSampler

    from skweight import RowSampler

    X, y = binary_data
    pipe = make_resampling_pipeline(
        StandardScaler(), RowSampler(RandomUnderSampler(random_state=0)),
        WeightedKerasClassifier(**TINY)).fit(X, y)
    skweight.save(pipe, tmp_path / "model.skw")
    sampler = "imblearn.under_sampling._prototype_selection._random_under_sampler."
    with pytest.raises(ValueError, match=sampler + "RandomUnderSampler"):
        skweight.load(tmp_path / "model.skw")
    loaded = skweight.load(tmp_path / "model.skw",
                           trusted=[sampler + "RandomUnderSampler"])
    assert type(loaded) is type(pipe)
    np.testing.assert_allclose(loaded.predict_proba(X), pipe.predict_proba(X),
                               atol=1e-6)
