"""The halo catalogue, target masks on variable-size graphs, and their use in model selection."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from torch_geometric.data import Data

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.datasets import (
    HALO_CONSTANTS,
    HALO_FEATURE_NAMES,
    halo_ood_split,
    halo_overdensity,
    make_halos,
)

from .conftest import TINY

HALO_PARAMS = {**TINY, "position_columns": [0, 1, 2], "feature_names": HALO_FEATURE_NAMES,
               "receiver_columns": []}


@pytest.fixture(scope="module")
def halos():
    return make_halos(240, box_size=6.0, random_state=0, return_catalogue=True)


def test_halo_graphs_follow_the_law(halos):
    graphs, cat = halos
    assert len(graphs) == 240
    sizes = {g.num_nodes for g in graphs}
    assert len(sizes) > 5  # variable-size graphs
    for k in (0, 17, 101):
        g = graphs[k]
        assert torch.all(g.x[0, :3] == 0)  # the halo sits at the origin
        assert g.target_mask.tolist() == [True] + [False] * (g.num_nodes - 1)
        assert torch.all(g.edge_index[1] == 0) and g.edge_index.shape[1] == g.num_nodes - 1
        r = torch.linalg.vector_norm(g.x[1:, :3], dim=1).double().numpy()
        assert np.all(r < 1.0)
        delta, e = halo_overdensity(r, g.x[1:, 3].double().numpy(), float(g.x[0, 3]))
        np.testing.assert_allclose(delta, cat["delta_true"][k], rtol=1e-5)
        np.testing.assert_allclose(e, cat["e"][k], rtol=1e-5)
    # periodic box: neighbour counts agree with a brute-force minimum-image count
    pos, box = cat["positions"], 6.0
    d = pos[:, None] - pos[None]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=-1)
    np.testing.assert_array_equal((r < 1.0).sum(1) - 1, cat["n_neighbours"])
    assert np.corrcoef(cat["delta"], cat["delta_true"])[0, 1] > 0.99  # 1 % noise


def test_halo_constants_and_split(halos):
    _, cat = halos
    _, e = halo_overdensity(np.array([0.0, 10.0]), np.array([2.0, 2.0]), 1.0)
    c4, c5 = HALO_CONSTANTS[3], HALO_CONSTANTS[4]
    assert e == pytest.approx((c4 + 2) / c5, rel=1e-3)  # the far neighbour adds ~nothing
    train, test = halo_ood_split(cat["delta"], quantile=0.75)
    assert len(test) == 60 and cat["delta"][test].min() > cat["delta"][train].max()
    with pytest.raises(ValueError, match="quantile"):
        halo_ood_split(cat["delta"], quantile=1.0)
    with pytest.raises(ValueError, match="constants"):
        make_halos(10, constants=(1, 2, 3))
    with pytest.raises(ValueError, match="mass_function"):
        make_halos(10, mass_function="schechter")


def test_target_mask_trains_and_predicts_one_value_per_halo(halos):
    graphs, cat = halos
    model = SymbolicGNRegressor(**HALO_PARAMS).fit(graphs)
    pred = model.predict(graphs)
    assert pred.shape == (240,)  # the centre halos only
    assert np.isfinite(model.score(graphs))
    # the loss only sees the centres: changing the neighbours' (absent) targets is impossible,
    # but changing a neighbour's features changes the centre's prediction
    g = graphs[int(np.argmax(cat["n_neighbours"]))].clone()
    before = model.predict([g])
    g.x[1, 3] += 50.0
    assert not np.allclose(model.predict([g]), before)


def test_variable_size_graphs_in_cross_validation_and_grid_search(halos):
    graphs, _ = halos
    scores = cross_val_score(SymbolicGNRegressor(**HALO_PARAMS), graphs,
                             cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    search = GridSearchCV(SymbolicGNRegressor(**HALO_PARAMS),
                          {"message_dim": [1, 8], "regularization": ["l1", "standard"]}, cv=2)
    search.fit(graphs)
    assert len(search.cv_results_["params"]) == 4 and np.isfinite(search.best_score_)
    assert search.best_estimator_.predict(graphs[:7]).shape == (7,)


def test_distilled_model_respects_the_target_mask(halos):
    from sklearn_symgn.symbolic import OperonBackend

    graphs, _ = halos
    from sklearn_symgn import MessageDistiller

    model = SymbolicGNRegressor(**HALO_PARAMS, distiller=MessageDistiller(
        n_components=1, backend=OperonBackend(max_time=None, generations=5, population_size=50,
                                              random_state=0))).fit(graphs)
    model.distill(graphs)
    assert model.symbolic_model_.predict(graphs).shape == (240,)
    assert np.isfinite(model.symbolic_model_.score(graphs))


def test_bad_target_masks(halos):
    graphs, _ = halos
    g = graphs[3]
    model = SymbolicGNRegressor(**HALO_PARAMS)
    with pytest.raises(ValueError, match=r"X\[0\].target_mask must be a boolean array"):
        model.fit([Data(x=g.x, y=g.y, edge_index=g.edge_index, target_mask=torch.ones(2))])
    with pytest.raises(ValueError, match="selects no node"):
        model.fit([Data(x=g.x, y=g.y, edge_index=g.edge_index,
                        target_mask=torch.zeros(g.num_nodes, dtype=torch.bool))])
    with pytest.raises(ValueError, match=r"n_masked=1"):
        model.fit([Data(x=g.x, y=torch.zeros(3), edge_index=g.edge_index,
                        target_mask=g.target_mask)])
