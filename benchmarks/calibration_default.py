"""Choose the default of ``calibration``: log loss and Bayes-rule cost, measured.

For each problem and seed, ``WeightedKerasClassifier(class_weight="balanced",
hidden_layer_sizes=(16,), epochs=30)`` is fitted with ``calibration`` None,
"temperature" and "isotonic" (``calibration_fraction=0.2``: the network trains on
the other 80 % of the fit rows), and with ``early_stopping=True`` without and
with "temperature" (calibrated on the early-stopping split, so the same network),
and scored on held-out rows:

* ``synthetic``: ``make_classification(3000, 10, weights=[0.95], flip_y=0.02,
  random_state=seed)``, first 2000 rows to fit, last 1000 to test; cost of a
  missed positive 10, of a false alarm 1.
* ``yeast6``: ``load_yeast(positive_class="EXC")`` (2.4 % positive), a stratified
  2/3 - 1/3 split; costs as above.
* ``yeast``: the ten classes, a stratified 2/3 - 1/3 split; ``C[i, j] = 1 / (K
  π_i)`` off the diagonal (the Bayes rule for balanced accuracy).

Costs are those of the Bayes rule on ``predict_proba`` (``cost_matrix=C`` set after
fitting, so the same network decides), divided by the cost of the best constant
prediction (1 = no better than a constant).

Run: ``KERAS_BACKEND=tensorflow python benchmarks/calibration_default.py``
"""

import sys
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import train_test_split

from skweight import WeightedKerasClassifier, mean_cost
from skweight._costs import bayes_predict_indices
from skweight.datasets import load_yeast

SEEDS = (0, 1, 2, 3, 4)
SETTINGS = {
    "None": dict(calibration=None),
    "temperature": dict(calibration="temperature"),
    "isotonic": dict(calibration="isotonic"),
    "None, early stopping": dict(calibration=None, early_stopping=True),
    "temperature, early stopping": dict(calibration="temperature",
                                        early_stopping=True),
}


def problems(seed):
    X, y = make_classification(3000, 10, weights=[0.95], flip_y=0.02,
                               random_state=seed)
    yield "synthetic", X[:2000], X[2000:], y[:2000], y[2000:], [[0, 1], [10, 0]]
    X, y = load_yeast(positive_class="EXC", return_X_y=True)
    yield ("yeast6", *train_test_split(X, y, test_size=1 / 3, stratify=y,
                                       random_state=seed), [[0, 1], [10, 0]])
    X, y = load_yeast(return_X_y=True)
    parts = train_test_split(X, y, test_size=1 / 3, stratify=y, random_state=seed)
    classes, counts = np.unique(parts[2], return_counts=True)
    cost = (1 - np.eye(len(classes))) / (len(classes) * counts / counts.sum())[:, None]
    yield ("yeast", *parts, cost)


def constant_cost(y, classes, cost):
    return min(mean_cost(y, np.full(len(y), c), cost_matrix=cost, labels=classes)
               for c in classes)


def main():
    rows = []
    for seed in SEEDS:
        for name, X_fit, X_test, y_fit, y_test, cost in problems(seed):
            classes = np.unique(y_fit)
            baseline = constant_cost(y_test, classes, cost)
            for setting, params in SETTINGS.items():
                start = time.perf_counter()
                clf = WeightedKerasClassifier(
                    hidden_layer_sizes=(16,), class_weight="balanced", epochs=30,
                    random_state=seed, **params,
                ).fit(X_fit, y_fit)
                seconds = time.perf_counter() - start
                proba = clf.predict_proba(X_test)
                pred = classes[bayes_predict_indices(proba, np.asarray(cost, float))]
                cost_ratio = mean_cost(y_test, pred, cost_matrix=cost,
                                       labels=classes) / baseline
                brier = (brier_score_loss(y_test, proba[:, 1])
                         if len(classes) == 2 else np.nan)
                rows.append((name, seed, setting, log_loss(y_test, proba,
                             labels=classes), brier, cost_ratio, seconds))
                print(*rows[-1], sep="\t", file=sys.stderr, flush=True)
    print(f"Mean over seeds {SEEDS}; wins = seeds where the setting beats None "
          "with the same early stopping (log loss / cost).\n")
    print("| problem | calibration | log loss | Brier | cost / constant | wins |")
    print("|---|---|---|---|---|---|")
    for name in dict.fromkeys(r[0] for r in rows):
        for setting in SETTINGS:
            reference = ("None, early stopping" if "early" in setting else "None")
            base = np.array([r[3:] for r in rows
                             if r[0] == name and r[2] == reference])
            sel = np.array([r[3:] for r in rows if r[0] == name and r[2] == setting])
            mean = sel.mean(axis=0)
            wins = (f"{(sel[:, 0] < base[:, 0]).sum()} / "
                    f"{(sel[:, 2] < base[:, 2]).sum()}")
            print(f"| {name} | {setting} | {mean[0]:.4f} | {mean[1]:.4f} | "
                  f"{mean[2]:.3f} | {wins} |")


if __name__ == "__main__":
    main()
