r"""
Cost-based decisions, binary and multiclass
===========================================

A decision should depend on what errors cost. With a cost matrix :math:`C`
(rows = true class, columns = predicted class), the Bayes minimum-risk rule
(Elkan 2001) predicts the class of least expected cost,

.. math::

   \hat y(x) = \underset{j}{\arg\min} \sum_i p(i \mid x)\, C_{ij},

which for two classes and a zero diagonal is the cut-off
:math:`p(1 \mid x) \ge C_{01} / (C_{01} + C_{10})`.
:class:`~skweight.WeightedKerasClassifier` applies it when given ``cost_matrix``;
:class:`~skweight.CostSensitiveClassifier` applies it to any probabilistic
classifier (``strategy="bayes"``), or tunes the decision on cross-validated
probabilities (``strategy="tuned"``). Both handle any number of classes.
"""

# %%
# Binary: a missed EXC protein costs 20 false alarms
# --------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skweight import (
    CostSensitiveClassifier,
    WeightedKerasClassifier,
    mean_cost,
    normalized_cost,
)
from skweight.datasets import load_yeast

X, y = load_yeast(positive_class="EXC", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
cost = np.array([[0.0, 1.0],    # true negative: a false alarm costs 1
                 [20.0, 0.0]])  # true positive: a miss costs 20


def network(**params):
    return make_pipeline(
        StandardScaler(),
        WeightedKerasClassifier(hidden_layer_sizes=(32,), epochs=150,
                                random_state=0, **params),
    )


# %%
# Four decisions from the same kind of network, all evaluated on the 40 %
# held-out rows: its argmax; the Bayes rule inside the estimator
# (``cost_matrix=``); the Bayes rule from the meta-estimator; and a threshold
# tuned by 5-fold cross-validation on the training rows.
models = {
    "argmax": network(),
    "Bayes rule (cost_matrix=)": network(cost_matrix=cost),
    "CostSensitiveClassifier bayes": CostSensitiveClassifier(
        network(), cost_matrix=cost, strategy="bayes"),
    "CostSensitiveClassifier tuned": CostSensitiveClassifier(
        network(), cost_matrix=cost, strategy="tuned", cv=5, random_state=0),
}
print(f"{'decision':31} {'cost':>6} {'norm.':>6} {'accuracy':>9} {'bal. acc':>9}")
binary_costs = {}
for name, model in models.items():
    y_pred = model.fit(X_train, y_train).predict(X_test)
    binary_costs[name] = mean_cost(y_test, y_pred, cost_matrix=cost)
    print(f"{name:31} {binary_costs[name]:6.4f} "
          f"{normalized_cost(y_test, y_pred, cost_matrix=cost):6.3f} "
          f"{accuracy_score(y_test, y_pred):9.3f} "
          f"{balanced_accuracy_score(y_test, y_pred):9.3f}")
never = np.zeros_like(y_test)
print(f"{'never predict EXC':31} {mean_cost(y_test, never, cost_matrix=cost):6.4f} "
      f"{normalized_cost(y_test, never, cost_matrix=cost):6.3f} "
      f"{accuracy_score(y_test, never):9.3f} "
      f"{balanced_accuracy_score(y_test, never):9.3f}")
bayes = models["CostSensitiveClassifier bayes"]
tuned = models["CostSensitiveClassifier tuned"]
print(f"Bayes threshold {bayes.threshold_:.4f} (= 1 / 21); "
      f"tuned threshold {tuned.threshold_:.4f}")

# %%
# Accuracy ranks these decisions backwards: predicting "not EXC" for every
# protein is 97.6 % accurate and the most expensive decision here. The mean cost
# (and the normalised cost, the mean cost over that of the best constant
# prediction) is the score that matches the stated costs.
#
# Both Bayes-rule decisions agree (the two networks are the same, seeded). The
# tuned threshold is chosen on out-of-fold probabilities of the training rows; it
# helps when the probabilities are miscalibrated, at the price of 5 extra fits,
# and on a held-out set with 14 positives a few rows decide which wins.
#
# The cost of every threshold on the held-out rows shows where the three
# decisions fall:
proba_test = bayes.predict_proba(X_test)[:, 1]
thresholds = np.geomspace(1e-3, 0.9, 400)
test_costs = [mean_cost(y_test, (proba_test > t).astype(int), cost_matrix=cost)
              for t in thresholds]

# %%
# Multiclass: all ten localisation sites
# --------------------------------------
# The yeast data has ten classes, from 463 rows (CYT) to 5 (ERL). Suppose a
# follow-up assay targets the three membrane classes ME1, ME2 and ME3, so that
# missing one of them costs 5 and any other error costs 1. A callable states this
# for whatever classes the data has; rows are true classes, columns predicted
# classes, in the order of ``classes_``.
Xm, ym = load_yeast(return_X_y=True)
Xm_train, Xm_test, ym_train, ym_test = train_test_split(
    Xm, ym, test_size=0.4, stratify=ym, random_state=0
)


def membrane_costs(classes):
    costs = 1.0 - np.eye(len(classes))
    costs[np.isin(classes, ["ME1", "ME2", "ME3"])] *= 5.0
    return costs


classes = np.unique(ym)
counts = np.bincount(np.searchsorted(classes, ym))
print("rows per class:", dict(zip(classes.tolist(), counts.tolist(), strict=True)))
print(membrane_costs(classes).astype(int))

# %%
# Five decisions: the argmax of an unweighted and of a balanced-weighted network,
# the Bayes rule on either network's (corrected) probabilities, and per-class
# offsets to the log-probabilities tuned by 3-fold cross-validation (the
# multiclass analogue of a tuned threshold).
multi = {
    "argmax": network(),
    "balanced weights, argmax": network(class_weight="balanced"),
    "Bayes rule": network(cost_matrix=membrane_costs),
    "balanced weights, Bayes rule": network(class_weight="balanced",
                                            cost_matrix=membrane_costs),
    "tuned offsets": CostSensitiveClassifier(
        network(), cost_matrix=membrane_costs, strategy="tuned", cv=3,
        random_state=0),
}
print(f"{'decision':30} {'cost':>6} {'norm.':>6} {'accuracy':>9}")
multi_costs = {}
for name, model in multi.items():
    y_pred = model.fit(Xm_train, ym_train).predict(Xm_test)
    multi_costs[name] = mean_cost(ym_test, y_pred, cost_matrix=membrane_costs,
                                  labels=classes)
    norm = normalized_cost(ym_test, y_pred, cost_matrix=membrane_costs,
                           labels=classes)
    print(f"{name:30} {multi_costs[name]:6.4f} {norm:6.3f} "
          f"{accuracy_score(ym_test, y_pred):9.3f}")
offsets = multi["tuned offsets"].offsets_.round(2) + 0.0  # + 0.0: no "-0.0"
print("tuned offsets:", dict(zip(classes.tolist(), offsets.tolist(), strict=True)))

# %%
# Balanced weights assume that every class's errors cost in inverse proportion to
# its size; here the costs are stated, and the Bayes rule uses them directly.
#
# The figure: on the left, the held-out cost of every threshold for the binary
# problem, with the three decisions marked; on the right, the held-out cost of the
# multiclass decisions.
fig, (ax_bin, ax_multi) = plt.subplots(1, 2, figsize=(11, 4.2),
                                       gridspec_kw={"width_ratios": [1, 1.1]})
ax_bin.plot(thresholds, test_costs, color="black", lw=1)
for t, label, color in [(0.5, "argmax (0.5)", "tab:red"),
                        (bayes.threshold_, "Bayes rule (1/21)", "tab:blue"),
                        (tuned.threshold_, "tuned by CV", "tab:green")]:
    ax_bin.axvline(t, color=color, ls="--", label=f"{label}: {t:.3f}")
ax_bin.set(xscale="log", xlabel="threshold on p(EXC | x) (log scale)",
           ylabel="mean cost per held-out row",
           title="Binary: cost of each threshold")
ax_bin.legend()

names = list(multi_costs)
ax_multi.barh(names, [multi_costs[n] for n in names], color="tab:blue")
for i, n in enumerate(names):
    ax_multi.text(multi_costs[n], i, f" {multi_costs[n]:.3f}", va="center")
ax_multi.invert_yaxis()
ax_multi.set(xlabel="mean cost per held-out row (lower is better)",
             title="Ten classes: membrane misses cost 5",
             xlim=(0, 1.2 * max(multi_costs.values())))
fig.tight_layout()
plt.show()
