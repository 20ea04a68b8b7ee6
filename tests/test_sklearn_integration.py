"""The estimator inside scikit-learn's tools: clone, params, pipelines, CV, search, pickling."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.graphs import RadiusGraph

from .conftest import TINY


def test_clone_and_nested_params():
    model = SymbolicGNRegressor(graph=RadiusGraph(1.0), **TINY)
    assert model.get_params()["graph__radius"] == 1.0
    model.set_params(graph__radius=2.5, l1_strength=0.1)
    assert model.graph.radius == 2.5 and model.l1_strength == 0.1
    twin = clone(model)
    assert twin.get_params()["graph__radius"] == 2.5 and twin.graph is not model.graph


def test_pipeline_and_cross_val_score(spring_data):
    X, y, _, _ = spring_data
    to_cm = FunctionTransformer(lambda Z: Z * 100.0)  # a unit change before the network
    pipe = make_pipeline(to_cm, SymbolicGNRegressor(**TINY))
    scores = cross_val_score(pipe, X, y, cv=KFold(3))
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_grid_search_parallel(spring_data):
    X, y, _, _ = spring_data
    search = GridSearchCV(
        SymbolicGNRegressor(**TINY),
        {"regularization": ["l1", "bottleneck"], "lr": [1e-3, 1e-2]},
        cv=2, n_jobs=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.predict(X).shape == y.shape


def test_grid_search_graph_lists(graph_list):
    search = GridSearchCV(SymbolicGNRegressor(**TINY), {"message_dim": [2, 8]}, cv=2)
    search.fit(graph_list)
    assert np.isfinite(search.best_score_)


def test_pickle_round_trip_in_fresh_process(spring_data, tmp_path):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(regularization="kl", **TINY).fit(X, y)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", model.predict(X))
    with open(tmp_path / "model.pkl", "wb") as f:
        pickle.dump(model, f)
    code = (
        "import pickle, numpy as np, sys; d = sys.argv[1]; "
        "m = pickle.load(open(d + '/model.pkl', 'rb')); "
        "np.testing.assert_array_equal(m.predict(np.load(d + '/X.npy')), np.load(d + '/expected.npy')); "
        "print('identical')"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "identical" in out.stdout


def test_a_model_pickled_before_a_parameter_existed_gets_its_default():
    import pickle

    import numpy as np

    from sklearn_symgn import SymbolicGNRegressor
    from sklearn_symgn.datasets import make_nbody

    X, y = make_nbody("spring", n_samples=32, random_state=0)
    model = SymbolicGNRegressor(hidden_layer_sizes=(4,), max_epochs=1, random_state=0).fit(X, y)
    state = dict(model.__getstate__())
    del state["predict_batch_size"], state["node_columns"]  # as pickled by an older version
    old = SymbolicGNRegressor.__new__(SymbolicGNRegressor)
    old.__setstate__(state)
    assert old.predict_batch_size == "auto" and old.node_columns == "auto"
    np.testing.assert_allclose(pickle.loads(pickle.dumps(old)).predict(X), model.predict(X))


@pytest.mark.parametrize("make", ["distiller", "backend"])
def test_parts_pickled_before_a_parameter_existed_get_its_default(make):
    """A saved model's distiller and backend come back with today's parameters (an older
    model's distiller without ``extra_operators`` failed in ``distill``)."""
    from sklearn_symgn import MessageDistiller
    from sklearn_symgn.symbolic import OperonBackend

    part, kept, dropped = {
        "distiller": (MessageDistiller(max_edges=100), "max_edges", "extra_operators"),
        "backend": (OperonBackend(generations=3), "generations", "max_time"),
    }[make]
    state = dict(part.__getstate__())
    del state[dropped]  # as pickled by an older version
    old = type(part).__new__(type(part))
    old.__setstate__(state)
    restored = clone(pickle.loads(pickle.dumps(old)))
    assert restored.get_params()[dropped] == type(part)().get_params()[dropped]
    assert restored.get_params()[kept] == part.get_params()[kept]
