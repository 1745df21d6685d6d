r"""
Class weights and honest probabilities
======================================

Class weights change the loss a network minimises, and with it the probabilities it
learns: trained with weights :math:`w_c`, a network estimates
:math:`p_w(c \mid x) \propto w_c\, p(c \mid x)`, not :math:`p(c \mid x)`.
:class:`~skweight.WeightedKerasClassifier` keeps that output in
:meth:`~skweight.WeightedKerasClassifier.predict_weighted_proba` and undoes the
weighting in :meth:`~skweight.WeightedKerasClassifier.predict_proba`, the prior
correction of Saerens et al. (2002):

.. math::

   p(c \mid x) = \frac{p_w(c \mid x) / w_c}{\sum_j p_w(j \mid x) / w_j}.

This example measures what balanced weights do to the probabilities on a real
imbalanced problem, and what the correction gives back: log loss, Brier score,
average precision and a reliability diagram of out-of-fold probabilities.
"""

# %%
# A real imbalanced problem
# -------------------------
# The yeast data shipped with skweight (no download), "EXC" proteins against the
# rest: 35 of 1484 rows, 2.4 %.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skweight import WeightedKerasClassifier, compute_class_weights
from skweight.datasets import load_yeast

X, y = load_yeast(positive_class="EXC", return_X_y=True)
print(f"{len(y)} rows, {y.sum()} positives ({y.mean():.1%})")

# %%
# What the weighting schemes give
# -------------------------------
# :func:`~skweight.compute_class_weights` shows the weights a scheme gives, keyed
# by the labels. Every scheme is scaled to a mean per-row weight of 1, so a
# learning rate that suits unweighted training still suits weighted training.
for scheme in ["balanced", "majority", "inverse_sqrt", "log_inverse",
               "effective_number"]:
    weights = compute_class_weights(scheme, y)
    print(f"{scheme:17} w_0 = {weights[0]:.3f}   w_1 = {weights[1]:7.3f}"
          f"   ratio = {weights[1] / weights[0]:5.1f}")

# %%
# Out-of-fold probabilities, with and without weights
# ---------------------------------------------------
# Five stratified folds; every row gets a probability from a network that did not
# see it. For the weighted network we keep both outputs: the raw weighted one and
# the corrected one. The two networks share their seed, so they differ only by
# the weights.
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
proba = {"no weights": np.zeros(len(y)),
         "balanced, uncorrected": np.zeros(len(y)),
         "balanced, corrected": np.zeros(len(y))}
for train, test in cv.split(X, y):
    for class_weight in [None, "balanced"]:
        model = make_pipeline(
            StandardScaler(),
            WeightedKerasClassifier(hidden_layer_sizes=(32,), epochs=100,
                                    class_weight=class_weight, random_state=0),
        ).fit(X[train], y[train])
        if class_weight is None:
            proba["no weights"][test] = model.predict_proba(X[test])[:, 1]
        else:
            network = model[-1]
            X_test = model[:-1].transform(X[test])
            proba["balanced, uncorrected"][test] = (
                network.predict_weighted_proba(X_test)[:, 1])
            proba["balanced, corrected"][test] = network.predict_proba(X_test)[:, 1]

print(f"{'probabilities':24} {'log loss':>9} {'Brier':>7} {'avg prec':>9} "
      f"{'mean p':>7}")
for name, p in proba.items():
    print(f"{name:24} {log_loss(y, p):9.4f} {brier_score_loss(y, p):7.4f} "
          f"{average_precision_score(y, p):9.3f} {p.mean():7.3f}")
print(f"{'(observed rate)':24} {'':9} {'':7} {'':9} {y.mean():7.3f}")

# %%
# The uncorrected output of the weighted network is far too high on average: it
# answers for a world where both classes weigh the same, so its log loss and Brier
# score are poor. The correction brings the mean probability back to the observed
# rate and the log loss and Brier score near those of the unweighted network.
# The average precision is the same for both outputs of the weighted network:
# with two classes the correction is a monotone map, so it does not change the
# ranking. Whatever the weights change in the ranking, they change through
# training.
#
# Weights as an implicit cut-off
# ------------------------------
# :meth:`~skweight.WeightedKerasClassifier.predict` of a weighted network returns
# the label its weighted output prefers. On corrected probabilities, that is the
# cut-off :math:`p(1 \mid x) \ge w_0 / (w_0 + w_1)`: the Bayes rule with the costs
# :math:`C_{10} = w_1` (a miss) and :math:`C_{01} = w_0` (a false alarm). Balanced
# weights put the cut-off at the class prior.
weights = network.class_weight_
print(f"balanced weights: w_0 = {weights[0]:.3f}, w_1 = {weights[1]:.3f}")
print(f"implied cut-off on p(1|x): {weights[0] / (weights[0] + weights[1]):.4f} "
      f"(positive rate in training: {network.priors_[1]:.4f})")
print(f"implied cost of a miss: {weights[1] / weights[0]:.1f} false alarms")

# %%
# The reliability diagram
# -----------------------
# Rows are binned by predicted probability (bins with equal numbers of rows); each
# point is the mean predicted probability of a bin against the observed share of
# positives in it. Honest probabilities lie on the diagonal. The axes are
# logarithmic because almost every probability is small; a bin without a single
# positive is drawn on the bottom edge (10⁻³).
fig, (ax_rel, ax_bar) = plt.subplots(1, 2, figsize=(10, 4.2),
                                     gridspec_kw={"width_ratios": [1.2, 1]})
styles = {"no weights": "o-", "balanced, uncorrected": "s--",
          "balanced, corrected": "^-"}
for name, p in proba.items():
    observed, predicted = calibration_curve(y, p, n_bins=6, strategy="quantile")
    ax_rel.plot(predicted, np.maximum(observed, 1e-3), styles[name], label=name)
ax_rel.plot([1e-3, 1], [1e-3, 1], color="grey", lw=1, label="perfectly calibrated")
ax_rel.set(xscale="log", yscale="log", xlim=(1e-3, 1), ylim=(1e-3, 1),
           xlabel="mean predicted probability of EXC",
           ylabel="observed share of EXC",
           title="Reliability (out-of-fold, 6 quantile bins)")
ax_rel.legend(loc="upper left", fontsize=8)

names = list(proba)
x = np.arange(len(names))
ax_bar.bar(x - 0.2, [log_loss(y, proba[n]) for n in names], 0.4, label="log loss")
ax_bar.bar(x + 0.2, [brier_score_loss(y, proba[n]) for n in names], 0.4,
           label="Brier score")
ax_bar.set_xticks(x, [n.replace(", ", ",\n") for n in names])
ax_bar.set(title="Proper scoring rules (lower is better)")
ax_bar.legend()
fig.tight_layout()
plt.show()
