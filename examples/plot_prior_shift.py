r"""
When the class mix changes at deployment
========================================

A model is trained on one class mix and used on another: the fraud rate doubles,
a batch of parts has five times the usual defects. The probabilities a model
learned assume the training priors :math:`\pi_c`; with new priors :math:`\pi'_c`
the honest probabilities are (Saerens, Latinne & Decaestecker 2002)

.. math::

   p'(c \mid x) = \frac{p(c \mid x)\, \pi'_c / \pi_c}
                       {\sum_j p(j \mid x)\, \pi'_j / \pi_j},

and the Bayes rule must use :math:`p'`, not :math:`p`. When the new priors are
known, :class:`~skweight.WeightedKerasClassifier` takes them as
``deployment_priors``; when they are not,
:meth:`~skweight.WeightedKerasClassifier.adapt_priors` estimates them by EM from
unlabelled deployment rows. EM needs calibrated probabilities (Alexandari et al.
2020), which ``calibration="auto"`` gives with early stopping.

This example trains on a 5 % positive mix, deploys on mixes from 2.5 % to 50 %,
and compares the cost of the decisions without adaptation, after
``adapt_priors`` and with the true priors.
"""

# %%
# Train on one mix
# ----------------
# A synthetic problem with 5 % positives; a missed positive costs 5, a false
# alarm 1. The network is trained with balanced class weights; its probabilities
# are prior-corrected, then calibrated on the early-stopping split
# (``calibration="auto"``).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification

from skweight import WeightedKerasClassifier, mean_cost

X, y = make_classification(n_samples=24000, n_features=10, n_informative=5,
                           weights=[0.95], flip_y=0.01, random_state=0)
X_train, y_train = X[:4000], y[:4000]
X_pool, y_pool = X[4000:], y[4000:]
cost = [[0, 1], [5, 0]]  # rows = true class, columns = predicted class

clf = WeightedKerasClassifier(
    hidden_layer_sizes=(16,), class_weight="balanced", early_stopping=True,
    cost_matrix=cost, random_state=0,
).fit(X_train, y_train)
print(f"training priors: {clf.priors_.round(3)}")
print(f"calibration: {clf.calibrator_}")

# %%
# Deploy on another mix
# ---------------------
# From rows the network never saw we draw a deployment set with 25 % positives,
# five times the training rate: every positive of the pool is kept and the
# negatives are subsampled.
rng = np.random.default_rng(0)


def deployment_set(rate):
    """Rows of the pool whose positive share is ``rate``."""
    positives = np.flatnonzero(y_pool == 1)
    negatives = np.flatnonzero(y_pool == 0)
    if rate >= y_pool.mean():  # keep the positives, subsample the negatives
        n_pos, n_neg = len(positives), round(len(positives) * (1 - rate) / rate)
    else:  # keep the negatives, subsample the positives
        n_pos, n_neg = round(len(negatives) * rate / (1 - rate)), len(negatives)
    rows = np.concatenate([rng.choice(positives, n_pos, replace=False),
                           rng.choice(negatives, n_neg, replace=False)])
    return X_pool[rows], y_pool[rows]


X_new, y_new = deployment_set(0.25)
print(f"deployment set: {len(y_new)} rows, {y_new.mean():.1%} positive")

# %%
# Three ways to decide
# --------------------
# * as trained: the Bayes rule on probabilities that assume 5 % positives;
# * :meth:`~skweight.WeightedKerasClassifier.adapt_priors` on the deployment rows
#   (their labels are not used): EM estimates the new priors and every later
#   ``predict_proba`` and ``predict`` uses them;
# * the true priors, given as ``deployment_priors`` (known in advance, e.g. from
#   a count of last month's outcomes). ``set_params`` applies them without
#   refitting, and they take precedence over estimated ones.


def decide(clf, X_new, y_new):
    """Mean cost of the three rules on one deployment set, and the EM estimate."""
    # Deployment priors equal to the training priors change nothing: the rule as
    # trained, whatever an earlier adapt_priors estimated.
    clf.set_params(deployment_priors=clf.priors_.tolist())
    as_trained = mean_cost(y_new, clf.predict(X_new), cost_matrix=cost)
    clf.set_params(deployment_priors=None)  # known priors would take precedence
    clf.adapt_priors(X_new)
    estimate = clf.deployment_priors_[1]
    adapted = mean_cost(y_new, clf.predict(X_new), cost_matrix=cost)
    truth = y_new.mean()
    clf.set_params(deployment_priors=[1 - truth, truth])
    oracle = mean_cost(y_new, clf.predict(X_new), cost_matrix=cost)
    return as_trained, adapted, oracle, estimate


as_trained, adapted, oracle, estimate = decide(clf, X_new, y_new)
print(f"estimated positive prior {estimate:.3f} (true {y_new.mean():.3f})")
print("mean cost per row:")
print(f"  as trained           {as_trained:.4f}")
print(f"  after adapt_priors   {adapted:.4f}")
print(f"  with the true priors {oracle:.4f}")

# %%
# Over a range of deployment mixes
# --------------------------------
# The same on mixes from half to ten times the training rate. Near the training
# mix the three rules cost about the same (adapting can even cost a little more,
# the estimate being slightly off); the further the mix moves, the more the rule
# as trained pays, while ``adapt_priors`` stays close to the true priors. On a
# 50 % mix, run on a CPU with the seeds above: 0.580 per row as trained, 0.375
# after ``adapt_priors``, 0.374 with the true priors.
rates = [0.025, 0.05, 0.1, 0.25, 0.5]
results = np.array([decide(clf, *deployment_set(rate)) for rate in rates])
print(f"{'rate':>5} {'estimate':>9} {'as trained':>11} {'adapted':>8} "
      f"{'true priors':>12}")
for rate, (plain, em, true, est) in zip(rates, results, strict=True):
    print(f"{rate:5.3f} {est:9.3f} {plain:11.4f} {em:8.4f} {true:12.4f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
for column, label, style in ((0, "as trained", "o-"),
                             (1, "adapt_priors (EM)", "s-"),
                             (2, "true priors", "^--")):
    left.plot(rates, results[:, column], style, label=label)
left.axvline(clf.priors_[1], color="grey", lw=0.8)
left.set_xscale("log")
left.set_xlabel("positive rate at deployment (training: 5 %)")
left.set_ylabel("mean cost per row (FN = 5, FP = 1)")
left.set_title("Cost of the Bayes rule")
left.legend()
right.plot(rates, results[:, 3], "s-", label="EM estimate")
right.plot(rates, rates, "k--", lw=0.8, label="truth")
right.set_xscale("log")
right.set_yscale("log")
ticks = [f"{rate:.1%}" for rate in rates]
for axes in (left, right):
    axes.set_xticks(rates, ticks)
    axes.minorticks_off()
right.set_yticks(rates, ticks)
right.minorticks_off()
right.set_xlabel("true positive rate at deployment")
right.set_ylabel("estimated positive rate")
right.set_title("Priors estimated by adapt_priors")
right.legend()
fig.tight_layout()
plt.show()
