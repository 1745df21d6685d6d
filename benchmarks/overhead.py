"""Overhead of one version of skweight against another, side by side.

Fits the Dense 64-64 network of ``speed.py`` (batches of 256, 5 epochs, every
epoch run) on 10k rows x 30 features five times after a first fit, then calls
``predict_proba`` on 1 and on 100 rows 2,000 times each; prints the medians.
Run it once per checkout, alternating, e.g.

    for i in 1 2; do for tree in ../old ../new; do
        PYTHONPATH=$tree python benchmarks/overhead.py $tree; done; done
"""

import statistics
import sys
import time

import numpy as np
from sklearn.datasets import make_classification

from skweight import WeightedKerasClassifier


def main():
    X, y = make_classification(n_samples=10000, n_features=30, weights=[0.9],
                               random_state=0)
    X = X.astype(np.float32)

    def make():
        return WeightedKerasClassifier(hidden_layer_sizes=(64, 64), batch_size=256,
                                       epochs=5, n_iter_no_change=None,
                                       random_state=0)

    make().fit(X, y)  # compiles the training step once
    fits = []
    for _ in range(5):
        start = time.perf_counter()
        clf = make().fit(X, y)
        fits.append(time.perf_counter() - start)
    results = {"repeated fit, 10k rows (s)": statistics.median(fits)}
    for rows in (1, 100):
        times = []
        for _ in range(2000):
            start = time.perf_counter()
            clf.predict_proba(X[:rows])
            times.append(time.perf_counter() - start)
        results[f"predict_proba, {rows} row(s) (ms)"] = 1000 * statistics.median(times)
    label = sys.argv[1] if len(sys.argv) > 1 else "skweight"
    for name, value in results.items():
        print(f"{label:30} {name:32} {value:.4g}")


if __name__ == "__main__":
    main()
