"""Speed of skweight against its peers, measured side by side.

Same architecture (Dense 64-64, ReLU, Adam 1e-3), same data (float32, 30 features,
10 % positives), same batch size (256) and epochs (5), in one process, with the
candidates' repeats interleaved and the median kept:

* ``predict_proba`` latency for 1, 100 and 10k rows (``predict`` for
  keras.wrappers, which has no ``predict_proba``);
* fit time for 10k and 200k rows (``--big`` adds 1M rows), three ways:
  - *first fit*: the first fit of its configuration in a fresh process (after the
    framework has started with a fit of another network), so it includes
    compiling the training step;
  - *repeated fit*: a new estimator of the same configuration fitted in a process
    that has fitted one before, as in a grid search or a cross-validation;
  - *per epoch*: the marginal cost of an epoch, from fits of 5 and 15 epochs;
* a GridSearchCV of 4 candidates x 3 folds on 5k rows;
* the default network (``hidden_layer_sizes=(64, 64)``, batches of 200) against
  ``MLPClassifier((64, 64))`` on 10k rows of 20 float32 features, in three
  rounds: ``predict_proba`` on the 10k rows and on one row, and the time per
  epoch, with bare Keras on the same steps per execution (fed NumPy arrays, then
  skweight's ``tf.data`` pipeline) as Keras' floor;
* the run time of scikit-learn's ``check_estimator`` and the checks failed;
* TensorFlow retracing warnings logged during the grid search.

Peak memory is measured by ``benchmarks/memory.py``.

Peers: bare Keras (``model.fit`` / ``model.predict``), scikeras'
``KerasClassifier``, ``keras.wrappers.SKLearnClassifier`` and scikit-learn's
``MLPClassifier`` (with the BLAS threads NumPy uses).

Run: python benchmarks/speed.py [--repeats 5] [--big]
     [--candidates "skweight,bare Keras"] [--skip grid,checks,first,default]
Only the default network: python benchmarks/speed.py --only default
Other backends: KERAS_BACKEND=jax python benchmarks/speed.py
     --candidates "skweight,bare Keras,MLPClassifier" --skip grid,checks
Needs: pip install ".[tensorflow-cpu]" -r benchmarks/requirements.txt
"""

import argparse
import logging
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


def keras_mlp(n_features, n_outputs=1, hidden=HIDDEN):
    layers = [keras.Input((n_features,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(keras.layers.Dense(
        n_outputs, activation="sigmoid" if n_outputs == 1 else "softmax"))
    return keras.Sequential(layers)


class BareKeras:
    """The baseline: a compiled Sequential model trained with model.fit."""

    def __init__(self, epochs=EPOCHS, hidden=HIDDEN):
        self.epochs = epochs
        self.hidden = hidden

    def fit(self, X, y):
        self.model = keras_mlp(X.shape[1], hidden=self.hidden)
        self.model.compile(optimizer=keras.optimizers.Adam(1e-3),
                           loss="binary_crossentropy")
        self.model.fit(X, y, batch_size=BATCH, epochs=self.epochs, verbose=0)
        return self

    def predict_proba(self, X):
        return self.model.predict(X, verbose=0)


def skweight_estimator(epochs=EPOCHS, hidden=HIDDEN):
    return WeightedKerasClassifier(hidden_layer_sizes=hidden, batch_size=BATCH,
                                   epochs=epochs, n_iter_no_change=None,
                                   random_state=0)


def scikeras_estimator(epochs=EPOCHS, hidden=HIDDEN):
    from scikeras.wrappers import KerasClassifier

    def build(meta):
        return keras_mlp(meta["n_features_in_"], hidden=hidden)

    return KerasClassifier(build, loss="binary_crossentropy", optimizer="adam",
                           optimizer__learning_rate=1e-3, batch_size=BATCH,
                           epochs=epochs, verbose=0, random_state=0)


def keras_wrapper_estimator(epochs=EPOCHS, hidden=HIDDEN, learning_rate=1e-3):
    from keras.wrappers import SKLearnClassifier

    return SKLearnClassifier(
        _wrapper_model,
        model_kwargs={"hidden": hidden, "learning_rate": learning_rate},
        fit_kwargs={"batch_size": BATCH, "epochs": epochs, "verbose": 0},
    )


def _wrapper_model(X, y, hidden=HIDDEN, learning_rate=1e-3):
    # keras.wrappers one-hot encodes y, so the network has two softmax units.
    model = keras_mlp(X.shape[1], n_outputs=y.shape[1], hidden=hidden)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="categorical_crossentropy")
    return model


def mlp_estimator(epochs=EPOCHS, hidden=HIDDEN):
    return MLPClassifier(hidden, batch_size=BATCH, max_iter=epochs, tol=0,
                         n_iter_no_change=epochs + 1, random_state=0)


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


def print_table(title, results, unit, reference="skweight"):
    print(f"\n{title}")
    print(f"{'candidate':16} {unit:>12} {'vs skweight':>12}")
    for name, value in results.items():
        if isinstance(value, str):
            print(f"{name:16} {value:>12}")
            continue
        ratio = value / results[reference] if results.get(reference) else float("nan")
        print(f"{name:16} {value:12.4g} {ratio:11.2f}x")


def predict_function(estimator):
    """predict_proba, or predict where there is none (keras.wrappers)."""
    return getattr(estimator, "predict_proba", None) or estimator.predict


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
            one_call = time_call(lambda predict=predict, rows=rows: predict(rows))
            calls[name] = int(min(2000, max(3, 0.2 / max(one_call, 1e-6))))

        def task(estimator, n_calls, rows=rows):
            predict = predict_function(estimator)
            for _ in range(n_calls):
                predict(rows)

        tasks = {name: (lambda est=est, n=calls[name]: task(est, n))
                 for name, est in fitted.items()}
        medians = interleaved(tasks, repeats)
        results = {name: 1000 * value / calls[name] for name, value in medians.items()}
        print_table(f"predict_proba latency, {n_rows} row(s) (median ms per call; "
                    "keras.wrappers: predict)", results, "ms")


FIRST_FIT_CHILD = """
import os, sys, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, {bench_dir!r})
warnings.filterwarnings("ignore")
import speed
X, y = speed.make_data({n_rows})
# Start the framework with a fit of another network, so the figure is the first
# fit of this configuration, not the framework's own start-up.
speed.BareKeras(epochs=1, hidden=(3,)).fit(X[:500], y[:500])
estimator = speed.CANDIDATES[{name!r}]()
start = time.perf_counter()
estimator.fit(X, y)
print(time.perf_counter() - start)
"""


def first_fit_seconds(name, n_rows):
    """Seconds of the first fit of ``name`` in a fresh process."""
    code = FIRST_FIT_CHILD.format(bench_dir=os.path.dirname(os.path.abspath(__file__)),
                                  n_rows=n_rows, name=name)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"first fit of {name} failed:\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def bench_fit(n_rows, repeats, first=True):
    X, y = make_data(n_rows)
    if first:
        runs = {name: [] for name in CANDIDATES}
        for _ in range(repeats):
            for name in CANDIDATES:
                runs[name].append(first_fit_seconds(name, n_rows))
        print_table(f"first fit in a process, {n_rows} rows x {N_FEATURES}, "
                    f"{EPOCHS} epochs (median s)",
                    {name: statistics.median(v) for name, v in runs.items()},
                    "seconds")
    for make in CANDIDATES.values():  # one fit each before timing
        make().fit(X[:1000], y[:1000])
    short = {name: (lambda make=make: make().fit(X, y))
             for name, make in CANDIDATES.items()}
    repeated = interleaved(short, repeats)
    print_table(f"repeated fit, {n_rows} rows x {N_FEATURES}, {EPOCHS} epochs "
                "(median s)", repeated, "seconds")
    if n_rows > 200_000:
        return  # fits of 15 epochs on 1M rows would take most of the run
    long = {name: (lambda make=make: make(epochs=3 * EPOCHS).fit(X, y))
            for name, make in CANDIDATES.items()}
    longer = interleaved(long, repeats)
    per_epoch = {name: 1000 * (longer[name] - repeated[name]) / (2 * EPOCHS)
                 for name in CANDIDATES}
    print_table(f"time per epoch, {n_rows} rows (ms; from fits of {EPOCHS} and "
                f"{3 * EPOCHS} epochs)", per_epoch, "ms")


class _CountRetracing(logging.Handler):
    """Counts TensorFlow's retracing warnings, per candidate."""

    def __init__(self, names):
        super().__init__()
        self.counts = dict.fromkeys(names, 0)
        self.current = None

    def emit(self, record):
        if "retracing" in record.getMessage():
            self.counts[self.current] += 1

    def counting(self, name, task):
        def run():
            self.current = name
            task()
        return run


def bench_grid_search(repeats):
    X, y = make_data(5_000)
    grids = {
        "skweight": (skweight_estimator(),
                     {"learning_rate": [1e-3, 3e-3], "batch_size": [128, 256]}),
        "scikeras": (scikeras_estimator(),
                     {"optimizer__learning_rate": [1e-3, 3e-3],
                      "batch_size": [128, 256]}),
        "keras.wrappers": (keras_wrapper_estimator(),
                           {"model_kwargs": [{"hidden": HIDDEN, "learning_rate": lr}
                                             for lr in (1e-3, 3e-3)],
                            "fit_kwargs": [{"batch_size": b, "epochs": EPOCHS,
                                            "verbose": 0} for b in (128, 256)]}),
        "MLPClassifier": (mlp_estimator(),
                          {"learning_rate_init": [1e-3, 3e-3],
                           "batch_size": [128, 256]}),
    }
    grids = {name: grid for name, grid in grids.items() if name in CANDIDATES}
    # keras.wrappers has no predict_proba, so every search scores by accuracy.
    counter = _CountRetracing(grids)
    tasks = {name: counter.counting(name, lambda est=est, grid=grid: GridSearchCV(
                 est, grid, cv=3, scoring="accuracy").fit(X, y))
             for name, (est, grid) in grids.items()}
    logging.getLogger("tensorflow").addHandler(counter)
    results = interleaved(tasks, repeats)
    logging.getLogger("tensorflow").removeHandler(counter)
    print_table("GridSearchCV, 4 candidates x 3 folds, 5k rows (median s)",
                results, "seconds")
    print(f"TensorFlow retracing warnings logged in {repeats} search(es) each: "
          + ", ".join(f"{name} {count}" for name, count in counter.counts.items()))


def bench_checks():
    """check_estimator's run time and failures, each estimator once."""
    from sklearn.utils.estimator_checks import check_estimator

    factories = {
        "skweight": lambda: WeightedKerasClassifier(epochs=5, random_state=0),
        "scikeras": lambda: scikeras_estimator(epochs=5, hidden=(100,)),
        "keras.wrappers": lambda: keras_wrapper_estimator(epochs=5, hidden=(100,)),
        "MLPClassifier": lambda: MLPClassifier(max_iter=200, random_state=0),
    }
    print("\ncheck_estimator (legacy checks included; seconds, checks failed)")
    for name, make in factories.items():
        if name not in CANDIDATES:
            continue
        start = time.perf_counter()
        results = check_estimator(make(), on_fail=None, on_skip=None)
        seconds = time.perf_counter() - start
        failed = [r["check_name"] for r in results if r["status"] == "failed"]
        print(f"{name:16} {seconds:8.1f} s  {len(failed)} of {len(results)} failed"
              + (f": {', '.join(sorted(set(failed)))}" if failed else ""))


DEFAULT_FEATURES = 20
DEFAULT_BATCH = 200  # batch_size="auto" on 10k rows, as MLPClassifier's


def default_data(n_rows=10_000):
    X, y = make_classification(n_samples=n_rows, n_features=DEFAULT_FEATURES,
                               n_informative=10, weights=[0.9, 0.1], random_state=0)
    return X.astype(np.float32), y


class EpochClock(keras.callbacks.Callback):
    """Seconds of each epoch, from Keras' epoch hooks (a deep copy, as skweight
    makes of its callbacks, writes to the same list)."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def __deepcopy__(self, memo):
        return EpochClock(self.seconds)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def default_skweight(epochs, seconds=None):
    # No early stopping: every epoch trains on all the rows, as MLPClassifier's.
    return WeightedKerasClassifier(
        hidden_layer_sizes=HIDDEN, epochs=epochs, n_iter_no_change=None,
        random_state=0, callbacks=None if seconds is None else EpochClock(seconds))


def default_mlp(epochs):
    return MLPClassifier(HIDDEN, max_iter=epochs, tol=0, n_iter_no_change=epochs + 1,
                         random_state=0)


class MLPEpochs:
    """MLPClassifier's epochs one ``partial_fit`` each (one pass with Adam), clocked;
    ``threads=1`` limits BLAS to the calling thread."""

    def __init__(self, epochs, seconds, threads=None):
        self.epochs = epochs
        self.seconds = seconds
        self.threads = threads

    def fit(self, X, y):
        from threadpoolctl import threadpool_limits

        mlp = MLPClassifier(HIDDEN, random_state=0)
        with threadpool_limits(self.threads, user_api="blas"):
            for _ in range(self.epochs):
                start = time.perf_counter()
                mlp.partial_fit(X, y, classes=[0, 1])
                self.seconds.append(time.perf_counter() - start)
        return self


def one_blas_thread(function):
    """``function`` run with BLAS limited to the calling thread."""
    from threadpoolctl import threadpool_limits

    def run():
        with threadpool_limits(1, user_api="blas"):
            return function()

    return run


class FloorKeras:
    """Bare Keras with skweight's compiled settings: Adam, batches of 200, as many
    steps per call into the compiled function as skweight runs; fed NumPy arrays,
    or skweight's own ``tf.data`` pipeline (``pipeline=True``)."""

    def __init__(self, epochs, seconds=None, pipeline=False):
        self.epochs = epochs
        self.callbacks = [] if seconds is None else [EpochClock(seconds)]
        self.pipeline = pipeline

    def fit(self, X, y):
        from skweight._training import fit_inputs, steps_per_execution

        steps = steps_per_execution(len(X), DEFAULT_BATCH)
        model = keras_mlp(X.shape[1])
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="binary_crossentropy", steps_per_execution=steps)
        targets = y.astype(np.float32).reshape(-1, 1)
        if not self.pipeline:
            model.fit(X, targets, batch_size=DEFAULT_BATCH, epochs=self.epochs,
                      verbose=0, callbacks=self.callbacks)
            return self
        weights = np.ones(len(X), dtype=np.float32)
        with fit_inputs(X, targets, weights, DEFAULT_BATCH, 0, self.epochs,
                        steps) as inputs:
            model.fit(**inputs, epochs=self.epochs, verbose=0,
                      callbacks=self.callbacks)
        return self


def bench_default_network(repeats, rounds=3, epochs=6):
    """The default network against MLPClassifier((64, 64)), in ``rounds`` rounds.

    Time per epoch: the median of the epochs after the first (which traces the
    training function) of ``repeats`` interleaved fits, clocked by Keras' epoch
    hooks, and for MLPClassifier one ``partial_fit`` per epoch. "MLP, 1 thread":
    MLPClassifier with BLAS on the calling thread, which on a busy machine is
    faster than waking BLAS' threads.
    """
    X, y = default_data()
    skweight = default_skweight(5).fit(X, y)
    mlp = default_mlp(5).fit(X, y)
    makers = {
        "skweight": default_skweight,
        "Keras, arrays": FloorKeras,
        "Keras, pipeline": lambda epochs, seconds: FloorKeras(epochs, seconds, True),
        "MLPClassifier": MLPEpochs,
        "MLP, 1 thread": lambda epochs, seconds: MLPEpochs(epochs, seconds, 1),
    }
    for make in makers.values():  # one fit each before timing
        make(1, []).fit(X[:1000], y[:1000])
    for round_ in range(1, rounds + 1):
        print(f"\ndefault network, round {round_} of {rounds}: 10k rows x "
              f"{DEFAULT_FEATURES} float32, hidden {HIDDEN}, "
              f"batches of {DEFAULT_BATCH}")
        for rows, calls in ((X, 20), (X[:1], 500)):
            tasks = {name: (lambda est=est, rows=rows, calls=calls:
                            [est.predict_proba(rows) for _ in range(calls)])
                     for name, est in (("skweight", skweight), ("MLPClassifier", mlp))}
            tasks["MLP, 1 thread"] = one_blas_thread(tasks["MLPClassifier"])
            medians = interleaved(tasks, repeats)
            results = {name: 1000 * value / calls for name, value in medians.items()}
            print_table(f"predict_proba, {len(rows)} row(s) (median ms per call)",
                        results, "ms")
        seconds = {name: [] for name in makers}
        for _ in range(repeats):
            for name, make in makers.items():
                clocked = []
                make(epochs, clocked).fit(X, y)
                seconds[name].extend(clocked[1:])
        print_table(f"time per epoch, 10k rows (median ms of epochs 2-{epochs})",
                    {name: 1000 * statistics.median(values)
                     for name, values in seconds.items()}, "ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big", action="store_true", help="also fit 1M rows")
    parser.add_argument("--candidates", default=",".join(CANDIDATES),
                        help="comma-separated subset, e.g. 'skweight,bare Keras'")
    parser.add_argument("--skip", default="",
                        help="comma-separated parts to skip: predict, fit, first, "
                             "grid, checks, default")
    parser.add_argument("--only", default="",
                        help="comma-separated parts to run, the others skipped")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.candidates.split(",")]
    unknown = sorted(set(chosen) - set(CANDIDATES))
    if unknown:
        parser.error(f"unknown candidates {unknown}; choose from {list(CANDIDATES)}")
    for name in list(CANDIDATES):
        if name not in chosen:
            del CANDIDATES[name]
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    parts = {"predict", "fit", "first", "grid", "checks", "default"}
    if args.only:
        skip |= parts - {part.strip() for part in args.only.split(",")}
    warnings.filterwarnings("ignore")
    print(f"Keras {keras.__version__} ({keras.backend.backend()}), "
          f"{os.cpu_count()} CPU cores, {args.repeats} repeats")
    if "predict" not in skip:
        bench_predict(args.repeats)
    if "fit" not in skip:
        for n_rows in (10_000, 200_000) + ((1_000_000,) if args.big else ()):
            # Fits of 200k rows vary by a third from run to run: all the repeats.
            repeats = args.repeats if n_rows <= 200_000 else max(1, args.repeats // 2)
            bench_fit(n_rows, repeats, first="first" not in skip)
    if "grid" not in skip:
        bench_grid_search(max(1, args.repeats // 2))
    if "checks" not in skip:
        bench_checks()
    if "default" not in skip:
        bench_default_network(args.repeats)


if __name__ == "__main__":
    main()
