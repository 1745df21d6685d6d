"""
Grid search over the knobs with a cost scorer
=============================================

Which combination of class weights and decision rule serves a given set of costs
is an empirical question, and scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` answers it once the score is the
cost. :func:`~skweight.make_cost_scorer` turns a cost matrix into a scorer (minus
the mean cost, so greater is better). Because
:class:`~skweight.WeightedKerasClassifier` is a classifier to scikit-learn, the
search uses stratified folds, and probability-based scores such as the log loss
and the average precision work alongside the cost.
"""

# %%
# Data, costs and the search space
# --------------------------------
# The yeast "EXC vs rest" problem, a missed EXC protein costing 20 false alarms.
# The search runs on 60 % of the rows; the other 40 % check the chosen model.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skweight import WeightedKerasClassifier, make_cost_scorer, mean_cost
from skweight.datasets import load_yeast

X, y = load_yeast(positive_class="EXC", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
cost = [[0, 1], [20, 0]]  # rows = true class, columns = predicted class

pipeline = Pipeline([
    ("scale", StandardScaler()),
    ("net", WeightedKerasClassifier(hidden_layer_sizes=(32,), epochs=100,
                                    random_state=0)),
])

# %%
# Two knobs: the class weights (none, a mild scheme, balanced) and the decision
# (the argmax of the network, or the Bayes rule with the stated costs). The output
# bias is left at ``"auto"``: it sets where training starts, not the decision.
param_grid = {
    "net__class_weight": [None, "inverse_sqrt", "balanced"],
    "net__cost_matrix": [None, cost],
}
search = GridSearchCV(
    pipeline,
    param_grid,
    scoring={
        "cost": make_cost_scorer(cost),
        "log_loss": "neg_log_loss",
        "average_precision": "average_precision",
    },
    refit="cost",
    cv=StratifiedKFold(n_splits=4, shuffle=True, random_state=0),
)
search.fit(X_train, y_train)

# %%
# The results
# -----------
# ``cv_results_`` holds every score for every candidate; the scorers follow the
# "greater is better" convention, so the cost and the log loss appear negated.
results = pd.DataFrame(search.cv_results_)
table = pd.DataFrame({
    "class_weight": results["param_net__class_weight"].fillna("none"),
    "decision": np.where(results["param_net__cost_matrix"].isna(), "argmax",
                         "Bayes rule"),
    "cost": -results["mean_test_cost"],
    "cost sd": results["std_test_cost"],
    "log loss": -results["mean_test_log_loss"],
    "avg prec": results["mean_test_average_precision"],
}).sort_values("cost")
print(table.round(4).to_string(index=False))
print("best:", search.best_params_)

# %%
# The log loss and the average precision depend only on the probabilities, so they
# are the same for both decisions of a given weighting: the decision knob acts at
# prediction time only. The cost separates the decisions: the unweighted argmax,
# which ignores the costs altogether, is far behind every candidate that accounts
# for them, through weights or through the Bayes rule. The standard deviation
# over the four folds is large (each validation fold holds 5 or 6 positives), so
# the order among the leading candidates is not evidence: read the search as
# "which candidates are clearly worse", and check the choice on held-out rows.
#
# Checking the choice on held-out rows
# ------------------------------------
# The refitted best pipeline, and for comparison every candidate refitted on the
# whole training part, scored on the 40 % of rows no search has seen.
held_out = {}
for params in search.cv_results_["params"]:
    model = pipeline.set_params(**params).fit(X_train, y_train)
    key = (params["net__class_weight"] or "none",
           "argmax" if params["net__cost_matrix"] is None else "Bayes rule")
    held_out[key] = mean_cost(y_test, model.predict(X_test), cost_matrix=cost)
best = search.best_estimator_
print(f"chosen by the search: held-out cost "
      f"{mean_cost(y_test, best.predict(X_test), cost_matrix=cost):.4f}")
for (weights, decision), value in sorted(held_out.items(), key=lambda kv: kv[1]):
    print(f"{weights:13} {decision:11} held-out cost {value:.4f}")

# %%
# The figure: cross-validated cost (left) and held-out cost (right) of every
# combination.
weights_order = ["none", "inverse_sqrt", "balanced"]
decisions = ["argmax", "Bayes rule"]
cv_grid = table.pivot(index="class_weight", columns="decision", values="cost")
cv_grid = cv_grid.loc[weights_order, decisions]
test_grid = np.array([[held_out[(w, d)] for d in decisions] for w in weights_order])

fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
for ax, grid, title in [(axes[0], cv_grid.to_numpy(), "4-fold CV cost"),
                        (axes[1], test_grid, "held-out cost")]:
    image = ax.imshow(grid, cmap="viridis_r", vmin=0.1, vmax=0.35)
    for (i, j), value in np.ndenumerate(grid):
        ax.text(j, i, f"{value:.3f}", ha="center", va="center",
                color="white" if value > 0.25 else "black")
    ax.set_xticks(range(len(decisions)), decisions)
    ax.set_yticks(range(len(weights_order)), weights_order)
    ax.set(title=title, xlabel="decision")
axes[0].set_ylabel("class_weight")
fig.colorbar(image, ax=axes, label="mean cost per row (lower is better)")
plt.show()
