r"""
Several inputs: numeric columns and an Embedding for a category
===============================================================

A pandas DataFrame whose columns are named after the model's inputs feeds each
column to its input: numbers as floats, a pandas categorical column as integer
codes for an ``Embedding`` layer. Here generated card payments are fraudulent
about 3 % of the time, more often at some merchants and for large amounts, and a
missed fraud costs 20 times a needless check.
"""

# %%
# Payments with a merchant category
# ---------------------------------
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from skweight import WeightedKerasClassifier, binary_cost_matrix, mean_cost

rng = np.random.default_rng(0)
n, n_merchants = 4000, 30
merchant_risk = rng.normal(-4.0, 1.2, size=n_merchants)
merchant = rng.integers(n_merchants, size=n)
amount = rng.lognormal(3.0, 1.0, size=n)
logit = merchant_risk[merchant] + 0.8 * (np.log(amount) - 3.0)
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
X = pd.DataFrame({
    "log_amount": (np.log(amount) - 3.0).astype(np.float32),
    "merchant": pd.Categorical([f"m{i:02d}" for i in merchant],
                               categories=[f"m{i:02d}" for i in range(n_merchants)]),
})
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
costs = binary_cost_matrix(fp=1.0, fn=20.0)
print(X.head(3), f"\nfraud rate {y.mean():.3f}")


# %%
# A model with one input per column
# ---------------------------------
# The input names are the column names; ``meta["input_shapes_"]`` is a dict with
# one entry per input (``(1,)`` for each column).
def payments_model(meta, dim=2):
    amount_in = keras.Input(meta["input_shapes_"]["log_amount"], name="log_amount")
    merchant_in = keras.Input((1,), name="merchant", dtype="int32")
    embedded = keras.layers.Embedding(n_merchants, dim, name="merchant_embedding")
    hidden = keras.layers.Concatenate()(
        [amount_in, keras.layers.Flatten()(embedded(merchant_in))])
    hidden = keras.layers.Dense(8, activation="relu")(hidden)
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model([amount_in, merchant_in], outputs)


common = dict(model=payments_model, epochs=20, learning_rate=0.01, random_state=0)
results = {}
for name, params in {"argmax": {}, "cost rule": dict(cost_matrix=costs)}.items():
    clf = WeightedKerasClassifier(**common, **params).fit(X_train, y_train)
    results[name] = mean_cost(y_test, clf.predict(X_test), cost_matrix=costs)
    print(f"{name:10s} cost per payment {results[name]:.4f}")

# %%
# What the Embedding learned
# --------------------------
# Each merchant's 2-D embedding, coloured by its true fraud log-odds: learned
# from the labels alone, the embedding tends to set the safest merchants apart
# from the risky ones.
weights = keras.ops.convert_to_numpy(
    clf.model_.get_layer("merchant_embedding").embeddings)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
points = axes[0].scatter(weights[:, 0], weights[:, 1], c=merchant_risk,
                         cmap="coolwarm")
fig.colorbar(points, ax=axes[0], label="true merchant log-odds")
axes[0].set_title("merchant embeddings")
axes[1].bar(list(results), list(results.values()), color=["#999", "#d62"])
axes[1].set_ylabel("mean cost per payment")
axes[1].set_title("a missed fraud costs 20 checks")
fig.tight_layout()
plt.show()
