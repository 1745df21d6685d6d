"""Which score should early stopping watch when the classes are weighted?

Compares ``early_stopping_monitor="loss"`` (the validation loss with the class
weights: the training objective) with ``"log_loss"`` (the log loss of the
prior-corrected probabilities: the honest score) for a balanced-weighted
WeightedKerasClassifier, on the yeast data shipped with skweight (four one-vs-rest
problems, 1.3-3.4 % positives), over repeated stratified splits. Reports the
held-out log loss and average precision of the corrected probabilities, and the
epochs trained.

Run: python benchmarks/early_stopping_monitor.py  (about 3 minutes on 2 CPU cores)
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.metrics import average_precision_score, log_loss  # noqa: E402
from sklearn.model_selection import StratifiedShuffleSplit  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skweight import WeightedKerasClassifier  # noqa: E402
from skweight.datasets import load_yeast  # noqa: E402

PROBLEMS = ["EXC", "ME2", "VAC", "POX"]
N_SPLITS = 4


def main():
    rows = []
    for positive in PROBLEMS:
        X, y = load_yeast(positive_class=positive, return_X_y=True)
        splits = StratifiedShuffleSplit(N_SPLITS, test_size=0.3, random_state=0)
        for split, (train, test) in enumerate(splits.split(X, y)):
            scaler = StandardScaler().fit(X[train])
            X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
            for monitor in ("loss", "log_loss"):
                clf = WeightedKerasClassifier(
                    class_weight="balanced", early_stopping=True,
                    early_stopping_monitor=monitor, validation_fraction=0.2,
                    epochs=300, n_iter_no_change=20, hidden_layer_sizes=(32,),
                    random_state=split,
                ).fit(X_train, y[train])
                proba = clf.predict_proba(X_test)[:, 1]
                rows.append((positive, monitor, log_loss(y[test], proba),
                             average_precision_score(y[test], proba), clf.n_iter_))
    print(f"{'problem':8} {'monitor':9} {'log loss':>9} {'avg prec':>9} {'epochs':>7}")
    for positive in PROBLEMS + ["mean"]:
        for monitor in ("loss", "log_loss"):
            sel = [r for r in rows if r[1] == monitor and positive in (r[0], "mean")]
            ll, ap, ep = (np.mean([r[i] for r in sel]) for i in (2, 3, 4))
            print(f"{positive:8} {monitor:9} {ll:9.4f} {ap:9.3f} {ep:7.0f}")


if __name__ == "__main__":
    main()
