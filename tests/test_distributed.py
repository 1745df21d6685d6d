"""Scale-out on a real Dask cluster, through joblib's dask backend."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skweight import WeightedKerasClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


def test_grid_search_on_a_dask_cluster_equals_sequential():
    """Check that a GridSearchCV run on a LocalCluster gives the sequential results.

    Two worker processes on the loopback interface; every fit is seeded, so the
    scores must match the in-process search exactly.
    """
    X, y = make_classification(n_samples=300, n_features=6, weights=[0.85, 0.15],
                               random_state=0)
    search = GridSearchCV(
        WeightedKerasClassifier(epochs=3, hidden_layer_sizes=(8,),
                                learning_rate=0.01, random_state=0),
        {"class_weight": [None, "balanced"]},
        scoring="average_precision",
        cv=2,
    )
    sequential = search.fit(X, y).cv_results_["mean_test_score"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            with joblib.parallel_backend("dask"):
                on_cluster = search.fit(X, y).cv_results_["mean_test_score"]
            workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    np.testing.assert_allclose(on_cluster, sequential, rtol=0, atol=1e-12)
