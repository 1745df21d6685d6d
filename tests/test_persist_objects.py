"""Tests of Keras objects given as parameters: custom losses, metrics, optimizers.

They must train, pickle and load in a fresh process (where their module can be
imported), and never be changed by a fit.
"""

import os
import subprocess
import sys
import textwrap

import joblib
import keras
import numpy as np
import pytest

from skweight import WeightedKerasClassifier

TINY = dict(hidden_layer_sizes=(4,), epochs=2, learning_rate=0.01, random_state=0)

CUSTOM = """
    import keras


    class MyLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return keras.losses.binary_crossentropy(y_true, y_pred)


    class MyAUC(keras.metrics.AUC):
        pass


    def my_error(y_true, y_pred):
        y_true = keras.ops.cast(y_true, y_pred.dtype)
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


    class MyAdam(keras.optimizers.Adam):
        pass
"""


@pytest.fixture(scope="module")
def custom_module(tmp_path_factory):
    """An importable module of custom Keras classes, on sys.path for this module."""
    directory = tmp_path_factory.mktemp("modules")
    (directory / "persist_custom.py").write_text(textwrap.dedent(CUSTOM))
    sys.path.insert(0, str(directory))
    import persist_custom

    yield directory, persist_custom
    sys.path.remove(str(directory))
    sys.modules.pop("persist_custom", None)


PARAMS = {
    "loss-class": lambda m: {"loss": m.MyLoss()},
    "metric-class": lambda m: {"metrics": [m.MyAUC()]},
    "metric-function": lambda m: {"metrics": [m.my_error]},
    "optimizer-class": lambda m: {"optimizer": m.MyAdam()},
}


@pytest.mark.parametrize("params", list(PARAMS))
def test_custom_object_pickles_into_a_fresh_process(custom_module, binary_data,
                                                    tmp_path, params):
    """Check that a custom loss, metric or optimizer unpickles in a new process."""
    directory, module = custom_module
    X, y = binary_data
    clf = WeightedKerasClassifier(**TINY, **PARAMS[params](module)).fit(X, y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.save(tmp_path / "X.npy", X)
    code = textwrap.dedent(f"""
        import joblib, numpy as np
        clf = joblib.load({str(tmp_path / 'clf.joblib')!r})
        np.save({str(tmp_path / 'p.npy')!r},
                clf.predict_proba(np.load({str(tmp_path / 'X.npy')!r})))
    """)
    path = os.pathsep.join([str(directory), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": path})
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), clf.predict_proba(X))


def test_optimizer_subclass_trains_as_given(custom_module, binary_data):
    """Check that an Optimizer subclass instance is copied with its class and rate."""
    _, module = custom_module
    X, y = binary_data
    given = module.MyAdam(learning_rate=0.05)
    clf = WeightedKerasClassifier(**{**TINY, "learning_rate": None},
                                  optimizer=given).fit(X, y)
    assert type(clf.model_.optimizer) is module.MyAdam
    assert clf.model_.optimizer is not given
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert not given.built


def test_metric_object_of_the_caller_is_not_updated(binary_data):
    """Check that a metric object passed in metrics keeps no state of the fit."""
    X, y = binary_data
    auc = keras.metrics.AUC(name="auc")
    clf = WeightedKerasClassifier(**TINY, metrics=[auc]).fit(X, y)
    assert len(clf.history_["auc"]) == TINY["epochs"]
    assert all(float(np.sum(v.numpy())) == 0.0 for v in auc.variables)
    second = WeightedKerasClassifier(**TINY, metrics=[auc]).fit(X, y)
    assert second.history_["auc"] == clf.history_["auc"]


def test_shorthand_metric_names_are_recorded_in_full(binary_data):
    """Check that 'mae' and 'acc' are recorded in history_ under Keras' full names."""
    X, y = binary_data
    clf = WeightedKerasClassifier(**TINY, metrics=["mae", "acc", "mse"]).fit(X, y)
    assert {"mean_absolute_error", "accuracy", "mean_squared_error"} <= set(
        clf.history_)
    assert not {"mae", "acc", "mse"} & set(clf.history_)
    assert len(clf.history_["mean_absolute_error"]) == TINY["epochs"]
