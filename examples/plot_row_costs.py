"""
When each row has its own cost: the per-row Bayes rule
=======================================================

Missing a fraudulent transaction costs its amount; a false alarm costs a fixed
review fee. A single threshold on the probability cannot be right for a 5 and a
5,000 transaction at once. The Bayes minimum-risk rule with each row's own costs
can: flag a transaction when ``p(fraud|x) * amount > (1 - p(fraud|x)) * fee``.
It needs honest probabilities, which :class:`~skweight.WeightedKerasClassifier`
returns even after class weighting.

This example compares, on fraud-like synthetic data, the argmax rule, one global
threshold tuned by scikit-learn's
:class:`~sklearn.model_selection.TunedThresholdClassifierCV` on the per-row costs,
and the per-row Bayes rule of :class:`~skweight.CostSensitiveClassifier`, with the
costs routed through a :class:`~sklearn.pipeline.Pipeline`.
"""

# %%
# Data and per-row costs
# ----------------------
# 3 % fraud; the amounts are log-normal (median about 55). A miss costs the
# amount, a false alarm a review fee of 10; correct decisions cost nothing.
# :func:`~skweight.binary_cost_matrix` builds one (2, 2) matrix per row, rows =
# true class, columns = predicted class.
import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skweight import (
    CostSensitiveClassifier,
    WeightedKerasClassifier,
    binary_cost_matrix,
    make_cost_scorer,
    savings_score,
)

X, y = make_classification(
    n_samples=6000, n_features=10, n_informative=5, weights=[0.97, 0.03],
    class_sep=0.8, random_state=0,
)
amount = np.random.default_rng(0).lognormal(mean=4.0, sigma=1.2, size=len(y))
fee = 10.0
costs = binary_cost_matrix(fp=fee, fn=amount)
X_train, X_test, y_train, y_test, c_train, c_test, a_train, a_test = (
    train_test_split(X, y, costs, amount, stratify=y, test_size=0.5, random_state=0)
)

# %%
# Three rules on the same network
# -------------------------------
# The network is trained with balanced class weights; its ``predict_proba`` is
# prior-corrected, so the probabilities are honest. Metadata routing carries the
# per-row costs: to the scorer of the tuned threshold while fitting, and to
# ``predict`` of the last pipeline step when deciding. (The argmax of a
# class-weighted network is the Bayes rule with the costs its weights imply.)
sklearn.set_config(enable_metadata_routing=True)


def network():
    return WeightedKerasClassifier(
        hidden_layer_sizes=(16,), epochs=30, class_weight="balanced",
        random_state=0,
    )


scorer = make_cost_scorer().set_score_request(cost_matrix=True)
argmax = make_pipeline(StandardScaler(), network()).fit(X_train, y_train)
threshold = TunedThresholdClassifierCV(
    make_pipeline(StandardScaler(), network()), scoring=scorer, cv=3,
    random_state=0,
).fit(X_train, y_train, cost_matrix=c_train)
per_row = make_pipeline(
    StandardScaler(),
    CostSensitiveClassifier(network()).set_predict_request(cost_matrix=True),
).fit(X_train, y_train)

predictions = {
    "argmax": argmax.predict(X_test),
    f"one tuned threshold ({threshold.best_threshold_:.2f})": threshold.predict(
        X_test
    ),
    "per-row Bayes rule": per_row.predict(X_test, cost_matrix=c_test),
}
sklearn.set_config(enable_metadata_routing=False)

rows = np.arange(len(y_test))
for name, y_pred in predictions.items():
    total = c_test[rows, y_test, y_pred].sum()
    savings = savings_score(y_test, y_pred, cost_matrix=c_test)
    print(f"{name:32s} total cost {total:9,.0f}   savings {savings:.3f}")

# %%
# Where the money goes: cost against amount
# -----------------------------------------
# The test rows are grouped by amount. A global threshold flags the same
# probabilities whatever the amount: it reviews small transactions for nothing
# and lets large frauds through. The per-row rule flags a large transaction at a
# lower probability and a small one only when fraud is nearly certain.
edges = np.quantile(a_test, np.linspace(0, 1, 11))
groups = np.clip(np.searchsorted(edges, a_test, side="right") - 1, 0, 9)
centres = [np.median(a_test[groups == g]) for g in range(10)]
fig, ax = plt.subplots(figsize=(7, 4.5))
for (name, y_pred), marker in zip(predictions.items(), "osD", strict=True):
    paid = c_test[rows, y_test, y_pred]
    ax.plot(centres, [paid[groups == g].sum() for g in range(10)],
            marker=marker, label=name)
ax.set_xscale("log")
ax.set_xlabel("transaction amount (median of each tenth of the test rows)")
ax.set_ylabel("total cost in that tenth")
ax.set_title("Cost against amount, per decision rule")
ax.legend()
fig.tight_layout()
plt.show()
