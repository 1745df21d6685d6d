"""Data and the small-network setting shared by the test modules."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

# The one small network the tests train: a tiny hidden layer and a few epochs, so
# a fit takes well under a second. A test that needs more learning says so with
# ``{**SMALL, "epochs": ...}`` next to its assertion.
SMALL = dict(hidden_layer_sizes=(8,), epochs=5, learning_rate=0.01, random_state=0)


@pytest.fixture(scope="session")
def binary_data():
    """300 rows, 6 features, 15 % positives (labels 0 and 1)."""
    return make_classification(
        n_samples=300, n_features=6, n_informative=4, weights=[0.85, 0.15],
        class_sep=1.0, random_state=0,
    )


@pytest.fixture(scope="session")
def multiclass_data():
    """300 rows, 6 features, three classes 'ant', 'bee', 'cat' at 60/30/10 %."""
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3,
        n_clusters_per_class=1, weights=[0.6, 0.3, 0.1], random_state=1,
    )
    return X, np.array(["ant", "bee", "cat"])[y]


@pytest.fixture(scope="session")
def small():
    """The small-network setting (``SMALL``), a new dict for each use."""
    return dict(SMALL)
