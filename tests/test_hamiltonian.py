"""The Hamiltonian variant: layer physics, estimator contract, distillation."""

import pickle

import numpy as np
import pytest
import sympy
import torch
from sklearn.base import clone

from sklearn_symgn import PotentialDistiller, SymbolicHGNRegressor
from sklearn_symgn.datasets import make_nbody, pair_potential
from sklearn_symgn.graphs import CompleteGraph
from sklearn_symgn.metrics import message_force_r2
from sklearn_symgn.models import HamiltonianLayer, HamiltonianNetwork
from sklearn_symgn.symbolic import Equation, OperonBackend

TINY = {"hidden_layer_sizes": (16,), "max_epochs": 2, "batch_size": 32, "random_state": 0}


def _network(seed=0):
    torch.manual_seed(seed)
    layer = HamiltonianLayer(6, [0, 1], [2, 3], (16, 16)).double()
    shift, scale = torch.tensor([0, 0, 0.1, -0.2, 0.3, 1.5]), torch.tensor([2, 2, 1, 1, 0.8, 1.2])
    return HamiltonianNetwork(layer, CompleteGraph(), shift, scale, torch.tensor([0.7, 0.7]),
                              [2, 3], 5).double()


def _hamiltonian(net, X):
    """H of each graph, in the user's units, from the layer's parts."""
    x, edge_index, batch, _ = net.graph_inputs(X)
    z = net.scale(net.canonical(x), batch)
    layer = net.layer
    sender, receiver = edge_index
    q = z[:, layer.positions]
    r = torch.linalg.vector_norm(q[sender] - q[receiver], dim=-1, keepdim=True)
    pair = layer.pair_energy(r, z[receiver][:, layer.others], z[sender][:, layer.others])
    node = torch.cat([z[:, layer.momenta], z[:, layer.others]], -1)
    H = layer.self_model(node)[:, 0].clone()
    H = H.index_add(0, receiver, 0.5 * pair[:, 0])
    return H.reshape(X.shape[0], -1).sum(1) * net.energy_scale


def test_accelerations_are_minus_grad_h_over_mass():
    net = _network()
    X = torch.tensor(make_nbody("spring", n_samples=3, n_bodies=3, random_state=0)[0])
    pred, energies = net(X)
    assert pred.shape == (3, 3, 2) and energies.shape == (3 * 6, 1)
    eps, fd = 1e-6, torch.zeros_like(pred)
    for node in range(3):
        for d in range(2):
            step = torch.zeros_like(X)
            step[:, node, d] = eps
            fd[:, node, d] = (_hamiltonian(net, X + step) - _hamiltonian(net, X - step)) / (2 * eps)
    expected = -fd / X[..., 5:6]
    torch.testing.assert_close(pred, expected, rtol=1e-5, atol=1e-7)


def test_forward_under_no_grad_matches_and_training_graph_is_differentiable():
    net = _network()
    X = torch.tensor(make_nbody("spring", n_samples=2, random_state=0)[0])
    with torch.no_grad():
        pred_eval, _ = net(X)
    pred, _ = net(X)
    torch.testing.assert_close(pred_eval, pred.detach())
    pred.abs().sum().backward()  # create_graph: the loss reaches the pair-energy weights
    assert net.layer.pair_model[0].weight.grad.abs().sum() > 0


def test_pair_energy_symmetric_and_translation_invariant():
    net = _network()
    rng = np.random.default_rng(0)
    x_i, x_j = (torch.tensor(rng.normal(size=(50, 6))) for _ in range(2))
    r = torch.tensor(rng.uniform(0.2, 3, size=50))
    torch.testing.assert_close(net.pair_potential(r, x_i, x_j), net.pair_potential(r, x_j, x_i))
    X = torch.tensor(make_nbody("spring", n_samples=2, random_state=0)[0])
    shifted = X.clone()
    shifted[..., :2] += torch.tensor([3.0, -1.0], dtype=X.dtype)
    torch.testing.assert_close(net(X)[0], net(shifted)[0])


@pytest.fixture(scope="module")
def fitted(spring_data):
    X, y, _, names = spring_data
    model = SymbolicHGNRegressor(feature_names=names, **TINY)
    return model.fit(X, y), X, y


def test_fit_predict_shapes_and_attributes(fitted):
    model, X, y = fitted
    assert model.predict(X).shape == y.shape
    assert model.velocity_columns_ == [2, 3] and model.mass_column_ == 5
    assert model.position_columns_ == [0, 1]
    assert np.isfinite(model.score(X, y))
    energy = model.pair_energy(np.ones(3), X[0, :3], X[0, 1:])
    assert energy.shape == (3,)
    np.testing.assert_allclose(energy, model.pair_energy(np.ones(3), X[0, 1:], X[0, :3]),
                               rtol=1e-6)


def test_graph_list_input(graph_list):
    model = SymbolicHGNRegressor(**TINY).fit(graph_list)
    assert model.predict(graph_list).shape == (sum(g.num_nodes for g in graph_list), 2)


def test_clone_get_params_and_pickle(fitted):
    model, X, _ = fitted
    params = model.get_params()
    assert params["activation"] == "softplus" and "regularization" not in params
    assert clone(model).get_params() == params
    assert not hasattr(clone(model), "net_")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict(X[:5]), model.predict(X[:5]), rtol=1e-6)


@pytest.mark.parametrize("check", [
    "check_no_attributes_set_in_init", "check_parameters_default_constructible",
    "check_get_params_invariance", "check_set_params", "check_estimator_repr",
    "check_estimator_cloneable", "check_valid_tag_types",
])
def test_sklearn_parameter_checks(check):
    """The checks of the estimator contract that need no 2-D data (this model rejects it)."""
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)("SymbolicHGNRegressor", SymbolicHGNRegressor())


def test_same_seed_same_network(spring_data):
    X, y = spring_data[:2]
    a = SymbolicHGNRegressor(**TINY).fit(X[:64], y[:64]).predict(X[:4])
    b = SymbolicHGNRegressor(**TINY).fit(X[:64], y[:64]).predict(X[:4])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "params, X_fn, y_fn, match",
    [
        ({}, lambda X: X[:, 0], lambda y: y[:, 0], "3-D"),
        ({"position_columns": [0, 1]}, lambda X: X, lambda y: y[..., :1],
         "one acceleration per position"),
        ({"mass_column": 1}, lambda X: X, lambda y: y, "distinct columns"),
        ({"velocity_columns": [2]}, lambda X: X, lambda y: y, "distinct columns"),
        ({}, lambda X: X * np.array([1, 1, 1, 1, 1, -1]), lambda y: y, "positive"),
        ({"activation": "sigmoid"}, lambda X: X, lambda y: y, "activation"),
        ({"max_epochs": 0}, lambda X: X, lambda y: y, "max_epochs"),
    ],
)
def test_bad_inputs(spring_data, params, X_fn, y_fn, match):
    X, y = spring_data[:2]
    model = SymbolicHGNRegressor(**{**TINY, **params})
    with pytest.raises(ValueError, match=match):
        model.fit(X_fn(X[:40]), y_fn(y[:40]))


def test_unfitted_and_wrong_width(fitted):
    from sklearn.exceptions import NotFittedError

    model, X, _ = fitted
    with pytest.raises(NotFittedError):
        SymbolicHGNRegressor().distill(X)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[..., :5])
    with pytest.raises(ValueError, match="shape"):
        model.pair_energy(np.ones(2), X[0, :2, :5], X[0, 1:3, :5])
    with pytest.raises(ValueError, match="distance_quantile"):
        pickle.loads(pickle.dumps(model)).set_params(distiller__distance_quantile=0).distill(X)
    with pytest.raises(TypeError, match="SymbolicHGNRegressor"):
        message_force_r2(model, X, np.zeros((len(X), 4, 4, 2)))


def test_distill_integrates_the_front(fitted):
    model, X, _ = fitted
    backend = OperonBackend(max_time=None, generations=5, population_size=50, random_state=0)
    model = clone(model).set_params(distiller=PotentialDistiller(max_pairs=300, backend=backend))
    model.fit(X[:64], fitted[2][:64]).distill(X[:64])
    force, potential = model.force_equation_, model.potential_equation_
    assert isinstance(potential, Equation) and potential.target == "U"
    assert potential.variables == ["r", "q_i", "q_j", "m_i", "m_j"]
    symbols = sympy.symbols(potential.variables)
    points = np.random.default_rng(0).uniform(0.5, 2.0, size=(len(symbols), 20))
    for c, expr in zip(potential.complexity, potential.expressions):  # d/dr gives a force row
        derivative = sympy.lambdify(symbols, sympy.diff(expr, symbols[0]))(*points)
        rows = [sympy.lambdify(symbols, f)(*points) for k, f in enumerate(force.expressions)
                if force.complexity[k] == c]
        assert any(np.allclose(derivative, row, rtol=1e-6, atol=1e-9) for row in rows)
    assert str(potential).startswith("U = ") and potential.latex().startswith("U = ")


def test_recovers_spring_potential():
    """A short training on 2-D springs already gives the potential (r - 1)² up to scale and
    constant on fresh pairs over the training distances (the benchmark checks far beyond)."""
    X, y, names = make_nbody("spring", n_samples=2000, random_state=0, return_feature_names=True)
    backend = OperonBackend(max_time=2, max_length=10, random_state=0)
    model = SymbolicHGNRegressor(hidden_layer_sizes=(32, 32), max_epochs=8, batch_size=32,
                                 lr=1e-2, feature_names=names, random_state=0,
                                 distiller=PotentialDistiller(max_pairs=1000, backend=backend))
    model.fit(X, y).distill(X)
    rng = np.random.default_rng(1)
    pos = X[..., :2]
    r = rng.uniform(0.05, np.linalg.norm(pos[:, :, None] - pos[:, None], axis=-1).max(), 500)
    m_i, m_j = np.exp(rng.normal(size=(2, 500)))
    q_i, q_j = rng.normal(size=(2, 500))
    distilled = model.potential_equation_(np.column_stack([r, q_i, q_j, m_i, m_j]))
    truth = pair_potential("spring", r, m_i, m_j, q_i, q_j)
    assert np.corrcoef(distilled, truth)[0, 1] ** 2 >= 0.99


def test_benchmark_quick(capsys):
    import sys
    from pathlib import Path

    benchmarks = str(Path(__file__).parents[1] / "benchmarks")
    sys.path.insert(0, benchmarks)
    try:
        from reproduce_hamiltonian import main
    finally:
        sys.path.remove(benchmarks)
    (row,) = main(["--quick", "--laws", "spring", "--n-samples", "200"])
    for key in ("train_s", "distill_s", "test_r2", "potential", "latex", "r2_all", "r2_beyond"):
        assert key in row, key
    out = capsys.readouterr().out
    assert "| law | train graphs |" in out and "| spring | 320 |" in out
