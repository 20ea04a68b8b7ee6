"""Scale out: GridSearchCV on a Dask cluster through joblib's dask backend (loopback only)."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sklearn_symgn import SymbolicGNRegressor

from .conftest import TINY

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")


@pytest.mark.filterwarnings("ignore")
def test_grid_search_on_a_local_dask_cluster(spring_data):
    import joblib

    X, y, _, _ = spring_data
    grid = {"regularization": ["l1", "bottleneck"], "message_dim": [None, 4]}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            search = GridSearchCV(SymbolicGNRegressor(**TINY), grid, cv=2, n_jobs=-1).fit(X, y)
        workers = client.scheduler_info()["workers"]
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # the same search in this process gives the same scores: the workers trained the same nets
    local = GridSearchCV(SymbolicGNRegressor(**TINY), grid, cv=2).fit(X, y)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-5)
