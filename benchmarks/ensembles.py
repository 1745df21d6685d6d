"""Ensembles of networks: fit time of ``n_members`` 1, 3 and 5, and what they buy.

Data: ``make_classification(3000, 10, weights=[0.95], flip_y=0.02,
random_state=0)``, the first 2000 rows to fit, the last 1000 to test. Network:
``WeightedKerasClassifier(hidden_layer_sizes=(16,), class_weight="balanced",
epochs=30, n_iter_no_change=None)`` (every epoch run, so the times compare the
same work), the default network and the same MLP from a builder (a builder's
members are built one by one and train on the first member's compiled step).
One fit of each configuration first, so every timed fit is a repeated one, as in
a grid search. Five rounds;
in each, ``n_members`` 1 (three fits, their median the round's one-network
time), 3 and 5 are fitted one after the other with the round as seed, and the
ratios are to that round's one-network time. Times are the process's CPU time
(all threads; steadier than wall time on a shared machine) and wall time.
Test-set log loss,
Brier score and normalised cost (Bayes rule, a missed positive costs 5 false
alarms) are the means over the rounds, for the default network.

Then warm calls: after a fit of ``n_members=5``, one ``partial_fit`` call (one
epoch per member) and one ``warm_start`` fit, timed with members 1-4 training
on member 0's compiled step and, in the same process, with every member
training on its own model in the warm call (``skweight._shared_step.ENABLED =
False`` for that call only: the behaviour before warm calls shared the step);
the median of three rounds.

    python benchmarks/ensembles.py
"""

import statistics
import time

import keras
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import brier_score_loss, log_loss

from skweight import WeightedKerasClassifier, _shared_step, normalized_cost

COSTS = np.array([[0.0, 1.0], [5.0, 0.0]])
MEMBERS = (1, 3, 5)
ROUNDS = 5  # per-round ratios scatter on a shared machine: the median of five
SINGLE_REPEATS = 3  # one fit is short: its time is the median of three


def mlp(meta, units=16):
    """The default network's architecture, from a builder."""
    inputs = keras.Input((meta["n_features_in_"],))
    hidden = keras.layers.Dense(units, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def make(model, n_members, seed):
    params = dict(class_weight="balanced", epochs=30, n_iter_no_change=None,
                  cost_matrix=COSTS, n_members=n_members, random_state=seed)
    if model is None:
        params["hidden_layer_sizes"] = (16,)
    return WeightedKerasClassifier(model, **params)


def main():
    X, y = make_classification(3000, 10, weights=[0.95], flip_y=0.02,
                               random_state=0)
    X_fit, y_fit, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]
    rows = []
    for name, model in (("default network", None), ("builder", mlp)):
        make(model, 1, 0).fit(X_fit, y_fit)  # compiles the default's trainer
        times = {n: [] for n in MEMBERS}
        walls = {n: [] for n in MEMBERS}
        scores = {n: [] for n in MEMBERS}
        for seed in range(ROUNDS):
            for n in MEMBERS:
                cpus, wall_times = [], []
                for _ in range(SINGLE_REPEATS if n == 1 else 1):
                    start, cpu = time.perf_counter(), time.process_time()
                    clf = make(model, n, seed).fit(X_fit, y_fit)
                    cpus.append(time.process_time() - cpu)
                    wall_times.append(time.perf_counter() - start)
                times[n].append(statistics.median(cpus))
                walls[n].append(statistics.median(wall_times))
                proba = clf.predict_proba(X_test)
                scores[n].append((
                    log_loss(y_test, proba),
                    brier_score_loss(y_test, proba[:, 1]),
                    normalized_cost(y_test, clf.predict(X_test), cost_matrix=COSTS),
                ))
        for n in MEMBERS:
            ratios = [t / one for t, one in zip(times[n], times[1], strict=True)]
            wall = statistics.median(
                [t / one for t, one in zip(walls[n], walls[1], strict=True)])
            quality = np.mean(scores[n], axis=0)
            rows.append((name, n, statistics.median(times[n]), ratios, wall,
                         quality))
    print(f"| network | n_members | CPU s (median) | CPU ratio, rounds 1-{ROUNDS} | "
          "median CPU ratio | median wall ratio | log loss | Brier | "
          "normalised cost |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for name, n, seconds, ratios, wall, (loss, brier, cost) in rows:
        each = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"| {name} | {n} | {seconds:.2f} | {each} | "
              f"{statistics.median(ratios):.2f} | {wall:.2f} | {loss:.4f} | "
              f"{brier:.4f} | {cost:.3f} |")


def warm_calls(X, y):
    """CPU seconds of a partial_fit call and a warm_start fit after a first fit,
    with the shared step and without, per network."""
    print("\n| network | warm call | CPU s, shared step | CPU s, each member "
          "its own | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, model in (("default network", None), ("builder", mlp)):
        for call in ("partial_fit", "warm_start"):
            seconds = {}
            for shared in (True, False):
                times = []
                for seed in range(3):
                    _shared_step.ENABLED = True  # the first fit as it is
                    clf = make(model, 5, seed).fit(X, y)
                    _shared_step.ENABLED = shared
                    cpu = time.process_time()
                    if call == "partial_fit":
                        clf.partial_fit(X, y)
                    else:
                        clf.set_params(warm_start=True).fit(X, y)
                    times.append(time.process_time() - cpu)
                seconds[shared] = statistics.median(times)
            _shared_step.ENABLED = True
            print(f"| {name} | {call} | {seconds[True]:.2f} | {seconds[False]:.2f} "
                  f"| {seconds[False] / seconds[True]:.2f} |")


if __name__ == "__main__":
    main()
    X, y = make_classification(3000, 10, weights=[0.95], flip_y=0.02,
                               random_state=0)
    warm_calls(X[:2000], y[:2000])
