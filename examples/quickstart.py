"""
Quick start: three knobs on a real imbalanced problem
=====================================================

The yeast data shipped with skweight, "EXC" proteins against the rest: 35 of 1484
rows (2.4 %). Missing an EXC protein is taken to cost 20 times a false alarm. We fit
a :class:`~skweight.WeightedKerasClassifier` with and without balanced class
weights, decide by argmax or by the cost matrix (Bayes rule), and print the
expected cost on a held-out split, the average precision and the log loss of the
probabilities.

Run: ``python examples/quickstart.py`` (under a minute on 2 CPU cores).
"""

# %%
# Data: a stratified split of a real, imbalanced problem
# ------------------------------------------------------
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

import numpy as np  # noqa: E402
from sklearn.metrics import average_precision_score, log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skweight import WeightedKerasClassifier, mean_cost, normalized_cost  # noqa: E402
from skweight.datasets import load_yeast  # noqa: E402

X, y = load_yeast(positive_class="EXC", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
# Rows = true class, columns = predicted class: a missed EXC costs 20, a false alarm 1.
cost_matrix = np.array([[0.0, 1.0], [20.0, 0.0]])
print(f"{len(y)} rows, {y.sum()} positives ({y.mean():.1%}); "
      f"cost of a miss / false alarm = 20 / 1")

# %%
# Four strategies: weights or not, argmax or the Bayes rule
# ---------------------------------------------------------
strategies = {
    "no weights, argmax": dict(),
    "balanced weights, argmax": dict(class_weight="balanced"),
    "no weights, Bayes rule": dict(cost_matrix=cost_matrix),
    "balanced weights, Bayes rule": dict(class_weight="balanced",
                                         cost_matrix=cost_matrix),
}
print(f"\n{'strategy':30} {'cost':>7} {'norm.':>6} {'avg prec':>9} {'log loss':>9}")
costs = {}
for name, params in strategies.items():
    model = make_pipeline(
        StandardScaler(),
        WeightedKerasClassifier(hidden_layer_sizes=(32,), epochs=150,
                                random_state=0, **params),
    ).fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    y_pred = model.predict(X_test)
    cost = costs[name] = mean_cost(y_test, y_pred, cost_matrix=cost_matrix,
                                   labels=[0, 1])
    norm = normalized_cost(y_test, y_pred, cost_matrix=cost_matrix, labels=[0, 1])
    print(f"{name:30} {cost:7.4f} {norm:6.3f} "
          f"{average_precision_score(y_test, proba):9.3f} "
          f"{log_loss(y_test, proba):9.4f}")

# %%
# Reading the table: the cost is the mean cost per held-out row; "norm." divides it
# by the cost of the best constant prediction (1.0 = no better than always
# predicting one class). The log loss is that of ``predict_proba``, which is
# prior-corrected, so weighted and unweighted models' probabilities compare fairly.
#
# The figure: the mean cost of each strategy on the held-out rows, against that of
# the best constant prediction (here, never predicting EXC). The argmax of the
# unweighted network ignores the costs and is the most expensive. Balanced weights
# move the argmax towards the positive class, to the cut-off the weights imply (a
# miss worth about 41 false alarms) rather than the one the costs ask for (20);
# stating the costs (Bayes rule) lets the decision use the real ones. With 14
# positives held out, the three cost-aware strategies are close.
never = np.zeros_like(y_test)
baseline = mean_cost(y_test, never, cost_matrix=cost_matrix, labels=[0, 1])
import matplotlib.pyplot as plt  # noqa: E402  (installed with skweight)

fig, ax = plt.subplots(figsize=(7, 3.2))
names = list(costs)
ax.barh(names, [costs[n] for n in names], color="tab:blue")
for i, n in enumerate(names):
    ax.text(costs[n], i, f" {costs[n]:.3f}", va="center")
ax.axvline(baseline, color="grey", ls="--", label=f"never predict EXC: {baseline:.3f}")
ax.invert_yaxis()
ax.set(xlabel="mean cost per held-out row (lower is better)",
       title="Yeast EXC, a miss costing 20 false alarms", xlim=(0, 1.15 * baseline))
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
