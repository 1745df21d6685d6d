"""A custom CNN on images: skweight against bare Keras, measured side by side.

Synthetic 28x28x1 float32 images, 10 % positives, a small CNN (Conv2D 8 -
MaxPool - Conv2D 16 - global average pool - sigmoid Dense), Adam 1e-3, batch
size 128, balanced class weights in both candidates (``class_weight`` given to
bare ``model.fit`` as a dict). In one process, repeats interleaved, medians kept:

* time per epoch on 10k images, skweight ``fit`` against bare ``model.fit``, in
  fits of 5 epochs: each epoch clocked by a callback in both, the epochs after
  the first compared (the first traces the training step; it and the whole fit
  are printed too), and bare ``model.fit`` compiled with the
  ``steps_per_execution`` skweight chooses, to show where the difference lies;
* 1-row ``predict_proba`` against ``Model.predict`` and against a bare compiled
  call (``tf.function`` of the model) of the same model; 10k rows against
  ``predict_on_batch``;
* TensorFlow retracing warnings logged during a GridSearchCV over two builder
  parameters (2 x 2 candidates, 3 folds, 1.5k images);
* peak memory growth of ``fit`` (one epoch) on a larger image array, in multiples
  of the array's size (a fresh process; ``--memory-rows``);
* the default MLP's 10k-row ``predict_proba`` against ``MLPClassifier``'s
  (20 features, 100 hidden units).

Run: nice python benchmarks/inputs.py [--repeats 3] [--memory-rows 64000]
Needs: pip install ".[tensorflow-cpu]"
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

BATCH = 128


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    X = rng.normal(size=(n, 28, 28, 1)).astype(np.float32)
    X[y == 1, 10:18, 10:18, 0] += 0.5  # a faint square marks a positive
    return X, y


def cnn(meta, filters=8, dense=16):
    seed = meta["random_state_"]
    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Conv2D(filters, 3, activation="relu",
                                 kernel_initializer=keras.initializers.GlorotUniform(
                                     seed))(inputs)
    hidden = keras.layers.MaxPooling2D()(hidden)
    hidden = keras.layers.Conv2D(dense, 3, activation="relu")(hidden)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model(inputs, outputs)


def bare_model(X, steps_per_execution=1):
    model = cnn({"input_shapes_": X.shape[1:], "random_state_": 0})
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  steps_per_execution=steps_per_execution)
    return model


def balanced(y):
    counts = np.bincount(y)
    return {c: len(y) / (2 * counts[c]) for c in (0, 1)}


def timed(task):
    start = time.perf_counter()
    task()
    return time.perf_counter() - start


class EpochClock(keras.callbacks.Callback):
    """Seconds of each epoch, from Keras' epoch hooks.

    skweight deep-copies the callbacks it is given (a fit never changes the
    caller's objects), so a copy keeps writing to the same list.
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def __deepcopy__(self, memo):
        return EpochClock(self.seconds)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


EPOCHS = 5


def epoch_times(X, y, repeats):
    """Seconds per epoch and per fit of EPOCHS epochs: medians of interleaved fits.

    ``steady``: the epochs after the first, clocked by Keras' epoch hooks;
    ``first``: the first epoch, which traces the training function; ``fit``:
    the whole call, with everything each library does before and after training.
    """
    names = ("skweight", "bare", "bare, same steps_per_execution")
    times = {name: {"steady": [], "first": [], "fit": []} for name in names}
    for _ in range(repeats):
        for name in names:
            seconds = []
            clock = EpochClock(seconds)
            if name == "skweight":
                clf = WeightedKerasClassifier(
                    model=cnn, class_weight="balanced", batch_size=BATCH,
                    epochs=EPOCHS, learning_rate=1e-3, random_state=0,
                    callbacks=[clock])
                fit_seconds = timed(lambda clf=clf: clf.fit(X, y))
            else:
                # Keras' default runs one batch per call into the compiled
                # step; skweight chooses several (the third candidate does too).
                model = bare_model(X, 1 if name == "bare" else
                                   clf.model_.steps_per_execution)
                fit_seconds = timed(lambda model=model, clock=clock: model.fit(
                    X, y, batch_size=BATCH, epochs=EPOCHS,
                    class_weight=balanced(y), verbose=0, callbacks=[clock]))
            times[name]["steady"] += seconds[1:]
            times[name]["first"].append(seconds[0])
            times[name]["fit"].append(fit_seconds)
    medians = {name: {part: statistics.median(values) for part, values in t.items()}
               for name, t in times.items()}
    return medians, clf


def median_time(task, repeats):
    return statistics.median(timed(task) for _ in range(repeats))


def predict_times(clf, X):
    import tensorflow as tf

    model = clf.model_
    # autograph=False: the model's call needs no conversion, and AutoGraph
    # cannot read a lambda's source among others on one line.
    compiled = tf.function(lambda x: model(x, training=False), autograph=False,
                           input_signature=[tf.TensorSpec((None, *X.shape[1:]))])
    one = X[:1]
    compiled(one)
    model.predict(one, verbose=0)
    clf.predict_proba(one)
    return {
        "1 row skweight": median_time(lambda: clf.predict_proba(one), 200),
        "1 row Model.predict": median_time(lambda: model.predict(one, verbose=0), 30),
        "1 row compiled call": median_time(lambda: compiled(one).numpy(), 200),
        **ten_thousand_rows(clf, model, X),
    }


def ten_thousand_rows(clf, model, X, repeats=15):
    """Interleaved calls on 10k rows: a busy moment slows both alike."""
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(timed(lambda: clf.predict_proba(X)))
        theirs.append(timed(lambda: model.predict_on_batch(X)))
    return {"10k skweight": statistics.median(ours),
            "10k predict_on_batch": statistics.median(theirs)}


class _Count(logging.Handler):
    def __init__(self):
        super().__init__()
        self.count = 0

    def emit(self, record):
        if "retracing" in record.getMessage():
            self.count += 1


def grid_retracing(X, y):
    handler = _Count()
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        GridSearchCV(
            WeightedKerasClassifier(model=cnn, epochs=1, batch_size=BATCH,
                                    random_state=0),
            {"model_params": [{"filters": f, "dense": d}
                              for f in (4, 8) for d in (8, 16)]},
            cv=3, scoring="roc_auc",
        ).fit(X, y)
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    return handler.count


MEMORY_CHILD = """
import os, sys, threading
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, {bench_dir!r})
import numpy as np
import inputs
from skweight import WeightedKerasClassifier

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

X, y = inputs.images({rows})
clf = WeightedKerasClassifier(model=inputs.cnn, epochs=1, batch_size=128,
                              random_state=0)
clf.fit(X[:1000], y[:1000])  # the framework's start-up is the baseline
base = peak = rss()
done = threading.Event()
def sample():
    global peak
    while not done.is_set():
        peak = max(peak, rss())
        done.wait(0.01)
thread = threading.Thread(target=sample)
thread.start()
clf.fit(X, y)
done.set()
thread.join()
print(X.nbytes, peak - base)
"""


def fit_memory(rows):
    code = MEMORY_CHILD.format(bench_dir=os.path.dirname(os.path.abspath(__file__)),
                               rows=rows)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    size, growth = int(out[-2]), int(out[-1])
    return size, growth


def mlp_times():
    X, y = make_classification(n_samples=10000, n_features=20, weights=[0.9],
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MLPClassifier(hidden_layer_sizes=(100,), max_iter=5).fit(X, y)
    ours = WeightedKerasClassifier(hidden_layer_sizes=(100,), epochs=2,
                                   random_state=0).fit(X, y)
    t_ours, t_theirs = [], []
    for _ in range(30):  # interleaved
        t_ours.append(timed(lambda: ours.predict_proba(X)))
        t_theirs.append(timed(lambda: theirs.predict_proba(X)))
    return statistics.median(t_ours), statistics.median(t_theirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-rows", type=int, default=64000)
    args = parser.parse_args()

    X, y = images(10000)
    medians, clf = epoch_times(X, y, args.repeats)
    ours, bare = medians["skweight"], medians["bare"]
    print(f"time per epoch, 10k images (epochs 2-{EPOCHS}): skweight "
          f"{ours['steady']:.3f} s, bare model.fit {bare['steady']:.3f} s, ratio "
          f"{ours['steady'] / bare['steady']:.2f} (target <= 1.05)")
    same = medians["bare, same steps_per_execution"]
    print(f"  bare model.fit given skweight's steps_per_execution "
          f"({clf.model_.steps_per_execution}): {same['steady']:.3f} s, ratio "
          f"{ours['steady'] / same['steady']:.2f}")
    print(f"first epoch (traces the training step): skweight {ours['first']:.3f} s, "
          f"bare {bare['first']:.3f} s, ratio {ours['first'] / bare['first']:.2f}; "
          f"whole {EPOCHS}-epoch fit: skweight {ours['fit']:.2f} s, bare "
          f"{bare['fit']:.2f} s, ratio {ours['fit'] / bare['fit']:.2f}")
    t = predict_times(clf, X)
    print(f"1-row predict_proba {t['1 row skweight'] * 1e3:.2f} ms; Model.predict "
          f"{t['1 row Model.predict'] * 1e3:.2f} ms "
          f"({t['1 row Model.predict'] / t['1 row skweight']:.1f}x faster, target "
          f">= 20x); compiled call {t['1 row compiled call'] * 1e3:.2f} ms (ratio "
          f"{t['1 row skweight'] / t['1 row compiled call']:.2f}, target <= 1.5)")
    print(f"10k-row predict_proba {t['10k skweight'] * 1e3:.1f} ms; predict_on_batch "
          f"{t['10k predict_on_batch'] * 1e3:.1f} ms (ratio "
          f"{t['10k skweight'] / t['10k predict_on_batch']:.2f}, target <= 1.1)")
    X_small, y_small = images(1500, seed=1)
    print(f"retracing warnings in a 4-candidate x 3-fold GridSearchCV: "
          f"{grid_retracing(X_small, y_small)} (target 0)")
    ours, theirs = mlp_times()
    print(f"default MLP 10k-row predict_proba {ours * 1e3:.2f} ms; MLPClassifier "
          f"{theirs * 1e3:.2f} ms (ratio {ours / theirs:.2f}, target <= 1.2)")
    size, growth = fit_memory(args.memory_rows)
    print(f"fit peak memory growth on {size / 1e6:.0f} MB of images: "
          f"{growth / 1e6:.0f} MB ({growth / size:.2f}x the array, target <= 1.5)")


if __name__ == "__main__":
    main()
