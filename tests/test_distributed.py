"""Scale-out on a real Dask cluster: joblib's dask backend and dask-ml's Incremental."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skweight import WeightedKerasClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster_equals_sequential(binary_data, small):
    """Check that a GridSearchCV run on a LocalCluster gives the sequential results.

    Two worker processes on the loopback interface; every fit is seeded, so the
    scores must match the in-process search exactly.
    """
    X, y = binary_data
    search = GridSearchCV(
        WeightedKerasClassifier(**small),
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


def test_incremental_on_a_dask_cluster_equals_partial_fit_by_hand(small):
    """Check that dask-ml's Incremental trains by partial_fit, one call per block.

    The class weights must come from the counts of all the blocks seen, and the
    model must equal the one partial_fit gives on the same blocks in the same order.
    """
    dask_array = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_classification(n_samples=800, n_features=6, weights=[0.9, 0.1],
                               random_state=0)
    params = dict(class_weight="balanced", **small)
    by_hand = WeightedKerasClassifier(**params)
    for start in range(0, len(X), 200):
        by_hand.partial_fit(X[start:start + 200], y[start:start + 200],
                            classes=[0, 1])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            incremental = wrappers.Incremental(WeightedKerasClassifier(**params),
                                               shuffle_blocks=False)
            incremental.fit(dask_array.from_array(X, chunks=200),
                            dask_array.from_array(y, chunks=200), classes=[0, 1])
            proba = incremental.predict_proba(
                dask_array.from_array(X, chunks=200)).compute()
    trained = incremental.estimator_
    assert trained.n_iter_ == 4
    n_pos = int(y.sum())
    assert trained.class_weight_ == pytest.approx(
        {0: len(y) / (2 * (len(y) - n_pos)), 1: len(y) / (2 * n_pos)})
    np.testing.assert_array_equal(proba, by_hand.predict_proba(X))
