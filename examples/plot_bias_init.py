r"""
Output-bias initialisation and the first epochs
===============================================

The bias of the output layer fixes what an untrained network predicts. With
``bias_init="auto"`` (the default), :class:`~skweight.WeightedKerasClassifier`
starts it at the log of the class priors under the class weights, so the untrained
network already predicts the base rate; ``bias_init="zeros"`` starts every class at
the same score, a probability near one half for a sigmoid output.

For a sigmoid output the prior-based bias is

.. math::

   b = \log \frac{\pi^w_1}{\pi^w_0}, \qquad
   \pi^w_c = \frac{w_c\, n_c}{\sum_j w_j\, n_j},

which is :math:`\log(n_1 / n_0)` without class weights and 0 with balanced weights.

This example trains the same network from both starting points on a real
imbalanced problem and compares the loss of the first epochs, then checks where
training ends.
"""

# %%
# Data and the two starting biases
# --------------------------------
# The yeast "EXC vs rest" problem (2.4 % positives), 60 % of the rows for
# training.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skweight import WeightedKerasClassifier
from skweight.datasets import load_yeast

X, y = load_yeast(positive_class="EXC", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
prior = y_train.mean()
print(f"training rows: {len(y_train)}, positive rate {prior:.4f}, "
      f"log(n_1 / n_0) = {np.log(prior / (1 - prior)):.3f}")

# %%
# The loss of predicting a constant probability ``q`` for every row is the
# cross-entropy :math:`-\pi \log\, q - (1 - \pi) \log(1 - q)`. A network starting at
# the prior (``q = π``) starts near the entropy of the labels; one starting at
# ``q = 1/2`` starts near :math:`\log\, 2`.
start_prior = -(prior * np.log(prior) + (1 - prior) * np.log(1 - prior))
start_half = np.log(2)
print(f"loss of predicting the prior: {start_prior:.4f}; of predicting 1/2: "
      f"{start_half:.4f}")


# %%
# Training curves
# ---------------
# The same network (one hidden layer of 32 units, seeded) from both starting
# biases, for 50 epochs and three seeds. ``n_iter_no_change=None`` trains every
# epoch; ``history_["loss"]`` holds the mean training loss of each epoch. No
# callback is needed.
def network(**params):
    return make_pipeline(
        StandardScaler(),
        WeightedKerasClassifier(hidden_layer_sizes=(32,), n_iter_no_change=None,
                                **params),
    )


curves = {"auto": [], "zeros": []}
for seed in range(3):
    for bias_init in curves:
        model = network(bias_init=bias_init, epochs=50, random_state=seed)
        model.fit(X_train, y_train)
        curves[bias_init].append(model[-1].history_["loss"])
        if seed == 0:
            print(f"bias_init={bias_init!r:8} bias_init_ = "
                  f"{model[-1].bias_init_.round(3)}")
curves = {name: np.array(runs) for name, runs in curves.items()}
for name, runs in curves.items():
    print(f"bias_init={name!r:8} mean training loss, epoch 1: "
          f"{runs[:, 0].mean():.4f}, epoch 5: {runs[:, 4].mean():.4f}, "
          f"epoch 50: {runs[:, -1].mean():.4f}")

# %%
# With balanced class weights the weighted priors are equal, so ``"auto"`` gives a
# zero bias: the two answers from the forum threads (``log(pos/neg)``, or 0) are
# the same formula, with and without weights.
balanced = WeightedKerasClassifier(class_weight="balanced", epochs=1,
                                   random_state=0).fit(X_train, y_train)
print(f"balanced weights, bias_init='auto': bias_init_ = {balanced.bias_init_}")

# %%
# Where training ends
# -------------------
# The bias only sets the starting point. With early stopping (a stratified 10 %
# of the training rows held out, training stopped when their log loss has not
# improved for 20 epochs, the best epoch kept), both networks reach a similar
# held-out log loss; the zero-bias one needs more epochs to get there. The output
# bias is not a decision threshold: it changes how training starts, not which
# label is returned for a given probability.
for bias_init in ["auto", "zeros"]:
    model = make_pipeline(
        StandardScaler(),
        WeightedKerasClassifier(hidden_layer_sizes=(32,), bias_init=bias_init,
                                epochs=1000, early_stopping=True,
                                n_iter_no_change=20, random_state=0),
    ).fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    print(f"bias_init={bias_init!r:8} best epoch {model[-1].best_epoch_:4d}: "
          f"held-out log loss {log_loss(y_test, proba):.4f}, "
          f"mean probability {proba.mean():.4f}")

# %%
# The figure: mean training loss per epoch (lines) and each seed (thin lines), with
# the loss of the two constant predictions for reference. Starting from the prior,
# the network skips the first phase in which a zero-bias network only learns the
# base rate.
fig, ax = plt.subplots(figsize=(7, 4.2))
epochs = np.arange(1, curves["auto"].shape[1] + 1)
colors = {"auto": "tab:blue", "zeros": "tab:orange"}
for name, runs in curves.items():
    ax.plot(epochs, runs.T, color=colors[name], lw=0.6, alpha=0.5)
    ax.plot(epochs, runs.mean(axis=0), color=colors[name], lw=2.2,
            label=f'bias_init="{name}"')
ax.axhline(start_half, color="grey", ls=":", label="loss of predicting 1/2")
ax.axhline(start_prior, color="grey", ls="--", label="loss of predicting the prior")
ax.set(yscale="log", xlabel="epoch", ylabel="training loss (log scale)",
       title="Yeast EXC vs rest: first epochs from two starting biases")
ax.legend()
fig.tight_layout()
plt.show()
