"""Periodic boxes: neighbours, network, equations and metrics read minimum images."""

import numpy as np
import pytest
import torch

from sklearn_symgn import MessageDistiller, SymbolicGNRegressor, SymbolicHGNRegressor
from sklearn_symgn.datasets import make_nbody
from sklearn_symgn.graphs import CompleteGraph, KNNGraph, Periodic, RadiusGraph, minimum_image
from sklearn_symgn.metrics import equation_force_r2
from sklearn_symgn.symbolic import OperonBackend

from .conftest import TINY

BOX = np.array([16.0, 16.0])


def _wrapped(X, rng):
    """``X`` with every body moved by whole box lengths (its own random number of them)."""
    shifts = rng.integers(-3, 4, size=(*X.shape[:2], 2)) * BOX
    out = X.copy()
    out[..., :2] += shifts
    return out


def test_minimum_image_for_arrays_and_tensors():
    delta = np.array([[9.0, -6.0], [4.0, 14.0]])
    np.testing.assert_allclose(minimum_image(delta, [10.0, 10.0]), [[-1.0, 4.0], [4.0, 4.0]])
    out = minimum_image(torch.as_tensor(delta), [10.0, 10.0])
    np.testing.assert_allclose(out.numpy(), [[-1.0, 4.0], [4.0, 4.0]])
    assert minimum_image(delta, None) is delta


@pytest.mark.parametrize("builder", [RadiusGraph(2.0), KNNGraph(2), CompleteGraph()])
def test_neighbours_across_the_wall(builder):
    """The periodic builder gives the edges of the unwrapped configuration, whatever image
    each node is in."""
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 6, size=(5, 6, 2))  # a cluster far from every wall
    moved = pos + rng.integers(-2, 3, size=pos.shape) * 10.0
    plain = builder.build(torch.as_tensor(pos))
    periodic = Periodic(builder, box=[10.0, 10.0]).build(torch.as_tensor(moved))
    assert sorted(map(tuple, plain.T.tolist())) == sorted(map(tuple, periodic.T.tolist()))
    naive = builder.build(torch.as_tensor(moved))
    if not isinstance(builder, CompleteGraph):
        assert sorted(map(tuple, plain.T.tolist())) != sorted(map(tuple, naive.T.tolist()))


@pytest.mark.parametrize("box", [[0.0, 1.0], [np.inf, 1.0], [[1.0, 1.0]], []])
def test_bad_boxes_are_refused(box):
    with pytest.raises(ValueError, match="box must be a 1-D array of positive, finite"):
        Periodic(CompleteGraph(), box=box).check(4)


def test_box_length_must_match_the_position_columns():
    X, y = make_nbody("spring", n_samples=20, random_state=0)
    model = SymbolicGNRegressor(graph=Periodic(CompleteGraph(), box=[10.0, 10.0, 10.0]), **TINY)
    with pytest.raises(ValueError, match="box has 3 lengths .* 2 position columns"):
        model.fit(X, y)
    absolute = SymbolicGNRegressor(graph=Periodic(CompleteGraph(), box=BOX),
                                   edge_features="absolute", **TINY)
    with pytest.raises(ValueError, match="edge_features='absolute'"):
        absolute.fit(X, y)


@pytest.fixture(scope="module")
def periodic_model():
    """A small network and its equations fitted on wrapped spring snapshots."""
    X, y, F, names = make_nbody("spring", n_samples=600, random_state=0, return_forces=True,
                                return_feature_names=True)
    Xw = _wrapped(X, np.random.default_rng(1))
    tiny = OperonBackend(max_time=None, generations=10, population_size=200, random_state=0)
    model = SymbolicGNRegressor(
        graph=Periodic(CompleteGraph(), box=BOX), feature_names=names,
        distiller=MessageDistiller(backend=tiny, max_edges=2000, max_nodes=1000),
        hidden_layer_sizes=(32, 32), max_epochs=10, batch_size=64, random_state=0,
        regularization="bottleneck",
    ).fit(Xw, y)
    model.distill(Xw, y)
    return model, X, y, F


def test_network_and_equations_read_minimum_images(periodic_model):
    """Moving bodies by whole box lengths changes neither the network's nor the equations'
    predictions, nor the metrics (without the minimum image they all change)."""
    model, X, y, F = periodic_model
    assert model.score(X, y) > 0.1  # predictions that vary (the test is not vacuous)
    a, b = _wrapped(X[:50], np.random.default_rng(2)), _wrapped(X[:50], np.random.default_rng(3))
    np.testing.assert_allclose(model.predict(a), model.predict(b), rtol=1e-4, atol=1e-5)
    for law in (model.symbolic_model_, model.composed_law_):
        np.testing.assert_allclose(law.predict(a), law.predict(b), rtol=1e-6, atol=1e-9)
    module = model.symbolic_model_.to_torch()
    x = torch.as_tensor(a.reshape(-1, a.shape[-1]))
    edges = CompleteGraph().build(torch.as_tensor(a[..., :2]))
    np.testing.assert_allclose(module(x, edges).detach().numpy(),
                               model.symbolic_model_.predict(a).reshape(-1, 2), rtol=1e-6,
                               atol=1e-9)
    scores = [equation_force_r2(model, Xs, F[:50]) for Xs in (X[:50], a)]
    assert scores[0] == pytest.approx(scores[1])
    plain = SymbolicGNRegressor(**TINY).fit(X[:50], F[:50].sum(axis=2))
    assert not np.allclose(plain.predict(a), plain.predict(b), rtol=1e-3)


def test_hamiltonian_estimator_reads_minimum_images():
    X, y = make_nbody("spring", n_samples=100, random_state=0)
    Xw = _wrapped(X, np.random.default_rng(1))
    model = SymbolicHGNRegressor(graph=Periodic(CompleteGraph(), box=BOX),
                                 hidden_layer_sizes=(16,), max_epochs=2, random_state=0)
    model.fit(Xw, y)
    other = _wrapped(X, np.random.default_rng(4))
    np.testing.assert_allclose(model.predict(Xw), model.predict(other), rtol=1e-4, atol=1e-5)
    x = Xw[0]
    r = model.pair_table(x[[0]], x[[1]])[0][0, 0]
    assert r == pytest.approx(np.linalg.norm(X[0, 1, :2] - X[0, 0, :2]))
