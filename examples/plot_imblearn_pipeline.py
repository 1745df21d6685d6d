"""
Resampling with imbalanced-learn, or class weights
==================================================

:class:`~skweight.WeightedKerasClassifier` is a plain scikit-learn classifier, so it
is the last step of an imbalanced-learn :class:`~imblearn.pipeline.Pipeline`
after a resampler such as :class:`~imblearn.under_sampling.RandomUnderSampler` or
:class:`~imblearn.over_sampling.SMOTE`; the resampler acts in ``fit`` only.

Resampling to equal classes and balanced class weights push the network the same
way, and differ in one respect: the network sees the resampled data and cannot
know the true class priors, so its probabilities answer for a balanced world.
With class weights, skweight knows the weights and corrects the probabilities.
This example measures the difference on out-of-fold predictions, for the
probabilities and for decisions made with the costs.
"""

# %%
# Four pipelines
# --------------
# The yeast "EXC vs rest" problem (2.4 % positives); a missed EXC protein costs 20
# false alarms, and every network decides by the Bayes rule with these costs
# (``cost_matrix=``), on its own probabilities. The networks train for 100
# passes over about 1190 rows in batches of 200, 600 gradient steps; SMOTE adds
# synthetic positives up to about 2320 rows, so its network takes twice as many
# steps; undersampling leaves 56 rows, so that network trains in batches of 16 for
# 150 passes, 600 steps again.
import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from skweight import WeightedKerasClassifier, mean_cost
from skweight.datasets import load_yeast

X, y = load_yeast(positive_class="EXC", return_X_y=True)
cost = np.array([[0.0, 1.0], [20.0, 0.0]])


def network(epochs=100, **params):
    return WeightedKerasClassifier(hidden_layer_sizes=(32,), epochs=epochs,
                                   cost_matrix=cost, random_state=0, **params)


pipelines = {
    "no resampling, no weights": make_pipeline(StandardScaler(), network()),
    "RandomUnderSampler": make_pipeline(
        StandardScaler(), RandomUnderSampler(random_state=0),
        network(batch_size=16, epochs=150)),
    "SMOTE": make_pipeline(StandardScaler(), SMOTE(random_state=0), network()),
    "balanced class weights": make_pipeline(
        StandardScaler(), network(class_weight="balanced")),
}

# %%
# Out-of-fold predictions
# -----------------------
# Five stratified folds: every row is predicted by pipelines that did not see it.
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
proba = {name: np.zeros(len(y)) for name in pipelines}
pred = {name: np.zeros(len(y), dtype=int) for name in pipelines}
train_rows = {}
for train, test in cv.split(X, y):
    for name, pipeline in pipelines.items():
        pipeline.fit(X[train], y[train])
        proba[name][test] = pipeline.predict_proba(X[test])[:, 1]
        pred[name][test] = pipeline.predict(X[test])
        train_rows[name] = pipeline[-1].priors_.round(3).tolist()

print(f"{'pipeline':27} {'log loss':>9} {'Brier':>7} {'avg prec':>9} "
      f"{'mean p':>7} {'cost':>7}")
scores = {}
for name in pipelines:
    p = proba[name]
    scores[name] = {"log loss": log_loss(y, p),
                    "cost": mean_cost(y, pred[name], cost_matrix=cost)}
    print(f"{name:27} {scores[name]['log loss']:9.4f} {brier_score_loss(y, p):7.4f} "
          f"{average_precision_score(y, p):9.3f} {p.mean():7.3f} "
          f"{scores[name]['cost']:7.4f}")
print(f"{'(observed rate)':27} {'':9} {'':7} {'':9} {y.mean():7.3f}")

# %%
# What the network saw
# --------------------
# ``priors_`` are the class priors of the data the network was fitted on. After a
# resampler they are those of the resampled data, and nothing tells the network
# that the real positive rate is 2.4 %; with class weights it sees the real data
# and knows its weights.
for name, priors in train_rows.items():
    print(f"{name:27} priors_ seen in the last fold: {priors}")

# %%
# Both resampled pipelines give probabilities far above the observed rate, hence a
# poor log loss and Brier score, and the Bayes rule applied to them flags far too
# many proteins: the cost-based decision is only as good as the probabilities it
# is given. The class-weighted network gets the same push towards the minority
# class during training, yet returns corrected probabilities, on which the Bayes
# rule with the stated costs works as intended.
#
# Ranking is another matter: the average precision depends only on the order of
# the probabilities, not on their level. SMOTE's synthetic positives may rank as
# well as class weights, or better; undersampling, which discards about 97 % of
# the negative rows, ranks worse. A resampler's ranking can be kept and its
# decision repaired, as below.
#
# If a resampler is wanted anyway (for instance for its speed on large data), tune
# the decision on held-out probabilities instead of trusting the Bayes threshold:
# :class:`~skweight.CostSensitiveClassifier` with ``strategy="tuned"`` does that
# around any of these pipelines.
#
# The figure: log loss of the probabilities (left) and mean cost of the decisions
# (right), out of fold.
names = list(pipelines)
fig, (ax_loss, ax_cost) = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, key, title in [(ax_loss, "log loss", "Log loss of predict_proba"),
                       (ax_cost, "cost", "Mean cost of predict (Bayes rule)")]:
    values = [scores[n][key] for n in names]
    ax.barh(names, values, color="tab:blue")
    for i, value in enumerate(values):
        ax.text(value, i, f" {value:.3f}", va="center")
    ax.set(title=title, xlabel=f"{key} (lower is better)",
           xlim=(0, 1.25 * max(values)))
ax_loss.invert_yaxis()
fig.tight_layout()
plt.show()
