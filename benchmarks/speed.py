"""Speed and memory of skweight against its peers, measured side by side.

Same architecture (Dense 64-64, ReLU, Adam 1e-3), same data (float32, 30 features,
10 % positives), same batch size (256) and epochs (5), in one process, with the
candidates' repeats interleaved and the median kept:

* fit time for 10k and 200k rows (``--big`` adds 1M rows);
* ``predict_proba`` latency for 1, 100 and 10k rows;
* a GridSearchCV of 4 candidates x 3 folds (skweight and scikeras);
* peak resident memory of a fit on 1M x 30 rows beyond the framework's baseline
  (``--memory``, in a fresh subprocess per candidate, relative to the size of X).

Peers: bare Keras (``model.fit`` / ``model.predict``), scikeras'
``KerasClassifier``, ``keras.wrappers.SKLearnClassifier`` and scikit-learn's
``MLPClassifier`` (one BLAS thread is not forced; it uses what NumPy uses).

Run: python benchmarks/speed.py [--repeats 5] [--big] [--memory]
     [--candidates "skweight,bare Keras"] [--no-grid-search]
Other backends: KERAS_BACKEND=jax python benchmarks/speed.py
     --candidates "skweight,bare Keras,MLPClassifier" --no-grid-search
Needs: pip install ".[tensorflow-cpu]" scikeras
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from skweight import WeightedKerasClassifier  # noqa: E402

HIDDEN = (64, 64)
EPOCHS = 5
BATCH = 256
N_FEATURES = 30


def make_data(n_rows, seed=0):
    X, y = make_classification(n_samples=n_rows, n_features=N_FEATURES,
                               n_informative=10, weights=[0.9, 0.1],
                               random_state=seed)
    return X.astype(np.float32), y


def keras_mlp(n_features, n_outputs=1):
    layers = [keras.Input((n_features,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in HIDDEN]
    layers.append(keras.layers.Dense(
        n_outputs, activation="sigmoid" if n_outputs == 1 else "softmax"))
    return keras.Sequential(layers)


class BareKeras:
    """The baseline: a compiled Sequential model trained with model.fit."""

    def fit(self, X, y):
        self.model = keras_mlp(X.shape[1])
        self.model.compile(optimizer=keras.optimizers.Adam(1e-3),
                           loss="binary_crossentropy")
        self.model.fit(X, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
        return self

    def predict_proba(self, X):
        return self.model.predict(X, verbose=0)


def skweight_estimator():
    return WeightedKerasClassifier(hidden_layer_sizes=HIDDEN, batch_size=BATCH,
                                   epochs=EPOCHS, n_iter_no_change=None,
                                   random_state=0)


def scikeras_estimator():
    from scikeras.wrappers import KerasClassifier

    def build(meta):
        return keras_mlp(meta["n_features_in_"])

    return KerasClassifier(build, loss="binary_crossentropy", optimizer="adam",
                           optimizer__learning_rate=1e-3, batch_size=BATCH,
                           epochs=EPOCHS, verbose=0, random_state=0)


def keras_wrapper_estimator():
    from keras.wrappers import SKLearnClassifier

    def build(X, y):  # the wrapper one-hot encodes y: two softmax units
        model = keras_mlp(X.shape[1], n_outputs=y.shape[1])
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="categorical_crossentropy")
        return model

    return SKLearnClassifier(build, fit_kwargs={"batch_size": BATCH,
                                                "epochs": EPOCHS, "verbose": 0})


def mlp_estimator():
    return MLPClassifier(HIDDEN, batch_size=BATCH, max_iter=EPOCHS, tol=0,
                         n_iter_no_change=EPOCHS + 1, random_state=0)


CANDIDATES = {
    "skweight": skweight_estimator,
    "bare Keras": BareKeras,
    "scikeras": scikeras_estimator,
    "keras.wrappers": keras_wrapper_estimator,
    "MLPClassifier": mlp_estimator,
}


def time_call(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleaved(tasks, repeats):
    """Median seconds of each task, the tasks' repeats interleaved."""
    times = {name: [] for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            times[name].append(time_call(task))
    return {name: statistics.median(values) for name, values in times.items()}


def predict_function(estimator):
    method = getattr(estimator, "predict_proba", None) or estimator.predict
    return method


def print_table(title, results, unit, reference="skweight"):
    print(f"\n{title}")
    print(f"{'candidate':16} {unit:>12} {'vs skweight':>12}")
    for name, value in results.items():
        ratio = value / results[reference] if results.get(reference) else float("nan")
        print(f"{name:16} {value:12.4g} {ratio:11.2f}x")


def bench_fit(n_rows, repeats):
    X, y = make_data(n_rows)
    tasks = {name: (lambda make=make: make().fit(X, y))
             for name, make in CANDIDATES.items()}
    results = interleaved(tasks, repeats)
    print_table(f"fit, {n_rows} rows x {N_FEATURES}, {EPOCHS} epochs (median s)",
                results, "seconds")
    return results


def bench_predict(repeats):
    X, y = make_data(10_000)
    fitted = {name: make().fit(X, y) for name, make in CANDIDATES.items()}
    for n_rows in (1, 100, 10_000):
        rows = X[:n_rows]
        # Enough calls for ~0.2 s per measurement, so slow candidates stay cheap.
        calls = {}
        for name, est in fitted.items():
            predict = predict_function(est)
            predict(rows)
            one_call = time_call(lambda predict=predict: predict(rows))
            calls[name] = int(min(2000, max(3, 0.2 / max(one_call, 1e-6))))

        def task(estimator, n_calls, rows=rows):
            predict = predict_function(estimator)
            for _ in range(n_calls):
                predict(rows)

        tasks = {name: (lambda est=est, n=calls[name]: task(est, n))
                 for name, est in fitted.items()}
        medians = interleaved(tasks, repeats)
        results = {name: 1000 * value / calls[name] for name, value in medians.items()}
        print_table(f"predict_proba latency, {n_rows} row(s) (median ms per call)",
                    results, "ms")


def bench_grid_search(repeats):
    X, y = make_data(5_000)
    grids = {
        "skweight": (skweight_estimator(),
                     {"learning_rate": [1e-3, 3e-3], "batch_size": [128, 256]}),
        "scikeras": (scikeras_estimator(),
                     {"optimizer__learning_rate": [1e-3, 3e-3],
                      "batch_size": [128, 256]}),
    }
    tasks = {name: (lambda est=est, grid=grid:
                    GridSearchCV(est, grid, cv=3, scoring="roc_auc").fit(X, y))
             for name, (est, grid) in grids.items()}
    results = interleaved(tasks, max(1, repeats // 2))
    print_table("GridSearchCV, 4 candidates x 3 folds, 5k rows (median s)",
                results, "seconds")


MEMORY_CHILD = """
import os, sys, threading
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, {bench_dir!r})
import numpy as np
import speed
X = np.load({x_path!r})
y = np.load({y_path!r})
# A small fit first: the framework's own start-up is the baseline, not the data.
speed.CANDIDATES[{name!r}]().fit(X[:2000], y[:2000])
baseline = peak = speed.rss_bytes()
done = threading.Event()

def sample():
    global peak
    while not done.wait(0.02):
        peak = max(peak, speed.rss_bytes())

sampler = threading.Thread(target=sample)
sampler.start()
speed.CANDIDATES[{name!r}]().fit(X, y)
done.set()
sampler.join()
print((peak - baseline) / X.nbytes)
"""


def rss_bytes():
    """Resident memory of this process now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_memory():
    """Peak RSS growth during fit, in a fresh process per candidate.

    The data are generated once and loaded from .npy files; a fit on 2,000 rows
    runs first, so the baseline is the process with the framework started and X
    in memory, and the growth is what a fit on the whole of X adds.
    """
    import tempfile

    print("\nfit on 1M x 30 float32 rows: peak resident memory growth during fit "
          "(sampled every 20 ms), "
          "in multiples of the size of X (120 MB)")
    bench_dir = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        X, y = make_data(1_000_000)
        x_path, y_path = os.path.join(tmp, "X.npy"), os.path.join(tmp, "y.npy")
        np.save(x_path, X)
        np.save(y_path, y)
        del X, y
        for name in [n for n in ("skweight", "bare Keras", "scikeras",
                                 "MLPClassifier") if n in CANDIDATES]:
            code = MEMORY_CHILD.format(bench_dir=bench_dir, name=name,
                                       x_path=x_path, y_path=y_path)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                 text=True, check=False)
            lines = (out.stdout if out.returncode == 0 else out.stderr).strip()
            value = lines.splitlines()[-1] if lines else "no output"
            print(f"{name:16} {value if out.returncode == 0 else 'failed: ' + value}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big", action="store_true", help="also fit 1M rows")
    parser.add_argument("--memory", action="store_true", help="peak memory, 1M rows")
    parser.add_argument("--candidates", default=",".join(CANDIDATES),
                        help="comma-separated subset, e.g. 'skweight,bare Keras'")
    parser.add_argument("--no-grid-search", action="store_true")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.candidates.split(",")]
    for name in list(CANDIDATES):
        if name not in chosen:
            del CANDIDATES[name]
    warnings.filterwarnings("ignore")
    print(f"Keras {keras.__version__} ({keras.backend.backend()}), "
          f"{os.cpu_count()} CPU cores")
    bench_predict(args.repeats)
    for n_rows in (10_000, 200_000) + ((1_000_000,) if args.big else ()):
        bench_fit(n_rows, args.repeats if n_rows <= 10_000 else 3)
    if not args.no_grid_search:
        bench_grid_search(args.repeats)
    if args.memory:
        bench_memory()


if __name__ == "__main__":
    main()
