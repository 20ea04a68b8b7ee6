"""Bad input gives a ValueError/TypeError that names the argument."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from torch_geometric.data import Data

from sklearn_symgn import MessageDistiller, SymbolicGNRegressor, SymbolicHGNRegressor

from .conftest import TINY


@pytest.fixture(scope="module")
def data(spring_data):
    return spring_data[0][:40], spring_data[1][:40]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"regularization": "sparse"}, "regularization"),
        ({"message_dim": -3}, "message_dim"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"batch_size": -1}, "batch_size"),
        ({"lr": -1e-3}, "lr"),
        ({"l1_strength": -1.0}, "l1_strength"),
        ({"activation": "gelu2"}, "activation"),
        ({"edge_features": "both"}, "edge_features"),
        ({"hidden_layer_sizes": (16, -2)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        ({"position_columns": [0, 9]}, "position_columns"),
        ({"position_columns": [0, 0]}, "position_columns"),
        ({"feature_names": ["a", "b"]}, "feature_names"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"graph": "complete"}, "graph"),
    ],
)
def test_bad_parameters(data, params, match):
    with pytest.raises(ValueError, match=match):
        SymbolicGNRegressor(**{**TINY, **params}).fit(*data)


def test_cuda_requested_without_gpu(data):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="device='cuda'"):
        SymbolicGNRegressor(**TINY, device="cuda").fit(*data)


def test_bad_arrays(data):
    X, y = data
    model = SymbolicGNRegressor(**TINY)
    with pytest.raises(ValueError, match="ndim"):
        model.fit(X[..., None], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X, y[:-1])
    with pytest.raises(ValueError, match="does not match X"):
        model.fit(X, y[:, :3])
    Xn = X.copy()
    Xn[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(Xn, y)
    yi = y.copy()
    yi[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="y"):
        model.fit(X, yi)
    with pytest.raises(ValueError, match="requires y"):
        model.fit(X)
    with pytest.raises(ValueError, match="empty"):
        model.fit([], y)
    fitted = SymbolicGNRegressor(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[..., :4])


def test_bad_graph_lists(graph_list):
    g = graph_list[0]
    model = SymbolicGNRegressor(**TINY)
    with pytest.raises(ValueError, match=r"X\[0\].edge_index refers to nodes outside"):
        model.fit([Data(x=g.x, y=g.y, edge_index=torch.tensor([[0], [99]]))])
    with pytest.raises(ValueError, match="self loops"):
        model.fit([Data(x=g.x, y=g.y, edge_index=torch.tensor([[1], [1]]))])
    with pytest.raises(ValueError, match=r"X\[1\].y is missing"):
        model.fit([g, Data(x=g.x)])
    with pytest.raises(ValueError, match=r"X\[0\].y must have shape"):
        model.fit([Data(x=g.x, y=g.y[:-1])])
    with pytest.raises(TypeError, match="mixes"):
        model.fit([g, np.zeros((3, 6))])
    with pytest.raises(ValueError, match="pass y=None"):
        model.fit([g], np.zeros(3))
    with pytest.raises(ValueError, match="features"):
        model.fit([g, Data(x=g.x[:, :4], y=g.y)])


# ------------------------------------------------------------------------------------------------
# The catalogue: every public entry point, one bad argument per row. Each row must raise the
# given type with a message naming the argument (or the expected form).
# ------------------------------------------------------------------------------------------------
def _catalogue():
    from sklearn_symgn import plotting
    from sklearn_symgn.datasets import (
        integrate_nbody,
        make_nbody,
        nbody_energy,
        pair_potential,
        pairwise_forces,
    )
    from sklearn_symgn.graphs import FixedGraph, KNNGraph, RadiusGraph
    from sklearn_symgn.metrics import equation_force_r2, linear_fit_r2, message_force_r2
    from sklearn_symgn.symbolic import OperonBackend

    X, y, forces, _ = make_nbody("spring", n_samples=30, random_state=0, return_forces=True,
                                 return_feature_names=True)
    est = lambda **kw: SymbolicGNRegressor(**{**TINY, **kw})  # noqa: E731
    fit = lambda **kw: est(**kw).fit(X, y)  # noqa: E731
    return {
        # option strings: a suggestion for near misses
        "regularization typo": (lambda: fit(regularization="bottlenek"), ValueError,
                                "regularization.*Did you mean 'bottleneck'"),
        "activation case": (lambda: fit(activation="ReLU"), ValueError, "Did you mean 'relu'"),
        "predict_with typo": (lambda: fit(predict_with="equation"), ValueError,
                              "Did you mean 'equations'"),
        "edge_features typo": (lambda: fit(edge_features="relativ"), ValueError,
                               "Did you mean 'relative'"),
        "law typo": (lambda: make_nbody("sprng"), ValueError, "law.*Did you mean 'spring'"),
        "law not a string": (lambda: pair_potential(3, 1.0), TypeError,
                             "'law' parameter of pair_potential must be a str"),
        "operator typo": (lambda: OperonBackend(binary_operators=("add", "mult")).fit(
            np.ones((5, 1)), np.ones(5)), ValueError, "binary_operators.*Did you mean 'mul'"),
        "unary operator typo": (lambda: OperonBackend(unary_operators=("sine",)).fit(
            np.ones((5, 1)), np.ones(5)), ValueError, "unary_operators.*Did you mean 'sin'"),
        "selection typo": (lambda: OperonBackend(selection="bets").fit(
            np.ones((5, 1)), np.ones(5)), ValueError, "selection.*Did you mean 'best'"),
        # estimator parameters of the wrong type
        "receiver_columns on a position": (lambda: fit(receiver_columns=[0]), ValueError,
                                           "receiver_columns"),
        "distiller not a distiller": (lambda: fit(distiller="operon"), ValueError, "distiller"),
        "position_columns floats": (lambda: fit(position_columns=[0.5, 1.7]), ValueError,
                                    "position_columns"),
        "position_columns unknown name": (lambda: fit(position_columns=["x", "nope"]),
                                          ValueError, "position_columns"),
        "max_epochs a bool": (lambda: fit(max_epochs=True), ValueError, "max_epochs"),
        "distill max_edges negative": (lambda: fit(distiller=MessageDistiller(max_edges=-5))
                                       .distill(X, y), ValueError, "max_edges"),
        "distill n_components float": (lambda: fit(distiller=MessageDistiller(n_components=1.5))
                                       .distill(X, y), ValueError, "n_components"),
        "target_names a string": (lambda: fit(distiller=MessageDistiller(target_names="ab"))
                                  .distill(X, y), ValueError, "target_names"),
        "edge_messages max_edges": (lambda: fit().edge_messages(X, max_edges=0), ValueError,
                                    "max_edges"),
        "callbacks not a list": (lambda: fit(callbacks="early"), ValueError, "callbacks"),
        "hidden sizes floats": (lambda: fit(hidden_layer_sizes=(16.5,)), ValueError,
                                "hidden_layer_sizes"),
        "kl_strength negative": (lambda: fit(kl_strength=-1), ValueError, "kl_strength"),
        "translation_std negative": (lambda: fit(translation_std=-1), ValueError,
                                     "translation_std"),
        # inputs
        "X a string": (lambda: est().fit("graphs", y), ValueError, "X"),
        "X complex": (lambda: est().fit(X.astype(complex), y), ValueError, "[Cc]omplex"),
        "y strings": (lambda: est().fit(X, np.full(y.shape, "a")), ValueError, "y|string|float"),
        "X sparse": (lambda: est().fit(__import__("scipy").sparse.csr_matrix(X[:, 0]), y[:, 0]),
                     TypeError, "Sparse"),
        "zero nodes": (lambda: est().fit(X[:, :0], y[:, :0]), ValueError, "at least one node"),
        "predict before fit": (lambda: est().predict(X), NotFittedError, "not fitted"),
        "score before fit": (lambda: est().score(X, y), NotFittedError, "not fitted"),
        "distill before fit": (lambda: est().distill(X, y), NotFittedError, "not fitted"),
        "sample_weight length": (lambda: fit().score(X, y, sample_weight=np.ones(3)), ValueError,
                                 "sample_weight|inconsistent|shape"),
        # graph builders
        "radius negative": (lambda: fit(graph=RadiusGraph(radius=-1.0)), ValueError, "radius"),
        "knn zero": (lambda: fit(graph=KNNGraph(k=0)), ValueError, "'k'"),
        "fixed edges float": (lambda: fit(graph=FixedGraph(np.zeros((2, 3)))), ValueError,
                              "edge_index must be an integer array"),
        "fixed edges out of range": (lambda: fit(graph=FixedGraph(np.array([[0], [7]]))),
                                     ValueError, "outside"),
        "fixed self loop": (lambda: fit(graph=FixedGraph(np.array([[1], [1]]))), ValueError,
                            "self loops"),
        # datasets
        "n_samples zero": (lambda: make_nbody("spring", n_samples=0), ValueError, "n_samples"),
        "dim four": (lambda: make_nbody("spring", dim=4), ValueError, "dim"),
        "one body": (lambda: make_nbody("spring", n_bodies=1), ValueError, "n_bodies"),
        "min_distance impossible": (lambda: make_nbody("spring", n_samples=5, min_distance=50.0,
                                                       n_steps=5), ValueError, "min_distance"),
        "state width": (lambda: nbody_energy("spring", np.zeros((2, 4, 5)), dim=2), ValueError,
                        r"\(\.\.\., n_bodies, 6\)"),
        "forces state width": (lambda: pairwise_forces("spring", np.zeros((2, 4, 7)), dim=2),
                               ValueError, "n_bodies, 6"),
        "integrate negative steps": (lambda: integrate_nbody("spring", X[:1], -1, dim=2),
                                     ValueError, "n_steps"),
        "integrate dt zero": (lambda: integrate_nbody("spring", X[:1], 2, dim=2, dt=0.0),
                              ValueError, "dt"),
        # metrics
        "forces shape": (lambda: message_force_r2(fit(), X, forces[:, :2]), ValueError,
                         "forces must have shape"),
        "equations before distill": (lambda: equation_force_r2(fit(), X, forces), NotFittedError,
                                     "edge_equations_"),
        "linear_fit lengths": (lambda: linear_fit_r2(np.ones((5, 2)), np.ones((4, 2))), ValueError,
                               "inconsistent|samples"),
        # foreign exceptions turned into ours
        "device unknown": (lambda: fit(device="banana"), ValueError, "device must be 'cpu'"),
        "device unsupported": (lambda: fit(device="mps"), ValueError, "'mps' device"),
        "callback not a callback": (lambda: fit(callbacks=[42]), TypeError,
                                    "callbacks must hold skorch"),
        "feature named like a message": (lambda: fit(feature_names=["x", "y", "phi1", "vy",
                                                                    "q", "m"]),
                                         ValueError, "feature_names must not use.*phi1"),
        "score y transposed": (lambda: fit().score(X, y.transpose(0, 2, 1)), ValueError,
                               "y must have the shape of the predictions"),
        "score y flattened": (lambda: fit().score(X, y.reshape(len(y), -1)), ValueError,
                              "y must have the shape of the predictions"),
        "no binary operator": (lambda: OperonBackend(binary_operators=()).fit(
            np.ones((5, 1)), np.ones(5)), ValueError, "binary_operators must name"),
        "seed too large": (lambda: OperonBackend(random_state=2**64).fit(
            np.ones((5, 1)), np.ones(5)), ValueError, "random_state"),
        "population too large": (lambda: OperonBackend(population_size=10**30).fit(
            np.ones((5, 1)), np.ones(5)), ValueError, "population_size"),
        "n_jobs zero": (lambda: OperonBackend(n_jobs=0).fit(np.ones((5, 1)), np.ones(5)),
                        ValueError, "n_jobs"),
        "pysr julia code": (lambda: __import__("sklearn_symgn").symbolic.PySRBackend(
            unary_operators=("f(x) = run(`ls`)",))._pysr_params(), ValueError,
                            "unary_operators must be a str among"),
        "receiver_columns with absolute features": (
            lambda: fit(edge_features="absolute", receiver_columns=[4]), ValueError,
            "receiver_columns chooses"),
        "boolean edge_index": (lambda: est().fit([Data(
            x=torch.tensor(X[0], dtype=torch.float32), y=torch.tensor(y[0], dtype=torch.float32),
            edge_index=torch.tensor([[True, False], [False, True]]))]), ValueError,
            "edge_index must be an integer array"),
        "rollout diverges": (lambda: __import__("sklearn_symgn.rollout").rollout.rollout(
            fit(), X[:1], 5, 1e6), ValueError, "rollout diverged"),
        "2-D X without NoEdges": (lambda: est().fit(X[:, 0], y[:, 0]), ValueError,
                                  "graph=NoEdges"),
        "pair potential at a negative distance": (
            lambda: __import__("sklearn_symgn.datasets").datasets.pair_potential(
                "r2", np.array([1.0, -1.0])), ValueError, "r must hold finite distances"),
        "pair energy at an infinite distance": (lambda: SymbolicHGNRegressor(
            hidden_layer_sizes=(4,), max_epochs=1, random_state=0).fit(X, y).pair_energy(
            np.array([np.inf]), X[0, :1], X[0, :1]), ValueError, "r must hold finite"),
        "dataset larger than memory": (lambda: make_nbody("spring", n_samples=10**13),
                                       ValueError, "more than this machine's"),
        "metric forces of a graph list": (lambda: message_force_r2(fit(), [Data(
            x=torch.tensor(X[0], dtype=torch.float32))], forces), ValueError,
            "forces must be a list"),
        # plotting
        "pareto of a string": (lambda: plotting.plot_pareto_front("phi1"), TypeError,
                               "equation must be an Equation"),
        "predicted vs true size": (lambda: plotting.plot_predicted_vs_true(fit(), X, y[:5]),
                                   ValueError, "y has"),
        "history before fit": (lambda: plotting.plot_training_history(est()), NotFittedError,
                               "not fitted"),
    }


CATALOGUE = _catalogue()


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_bad_input_catalogue(case):
    call, error, match = CATALOGUE[case]
    with pytest.raises(error, match=match):
        call()


def test_catalogue_is_large():
    assert len(CATALOGUE) >= 25


def test_distill_without_significant_messages(spring_data):
    """A network whose edge model outputs a constant (a collapsed L1 model) has nothing to distil."""
    X, y = spring_data[0][:60], spring_data[1][:60]
    model = SymbolicGNRegressor(**TINY).fit(X, y)
    last = model.net_.module_.layer.edge_model[-1]
    with torch.no_grad():
        last.weight.zero_()
    with pytest.raises(ValueError, match="messages carry no signal"):
        model.distill(X, y)


def test_nan_loss_stops_training_at_once(data):
    from sklearn_symgn.training import TrainingDivergedError

    model = SymbolicGNRegressor(**{**TINY, "max_epochs": 5}, lr=1e30)
    with pytest.raises(TrainingDivergedError, match="epoch 1, batch"):
        model.fit(*data)
    assert not hasattr(model, "net_")  # a failed fit leaves an unfitted estimator
    with pytest.raises(NotFittedError):
        model.predict(data[0])


def test_non_finite_predictions_raise(data):
    model = SymbolicGNRegressor(**TINY).fit(*data)
    with pytest.raises(ValueError, match="not finite"):
        model.predict(np.full_like(data[0], 3e38))


def test_tensor_inputs_that_require_grad_are_read_as_values(data):
    X, y = data
    model = SymbolicGNRegressor(**TINY).fit(torch.tensor(X, requires_grad=True), torch.tensor(y))
    np.testing.assert_allclose(model.predict(torch.tensor(X, requires_grad=True)),
                               model.predict(X))


def test_n_jobs_beyond_the_cores_is_capped_with_a_warning():
    from sklearn_symgn._validation import available_cores
    from sklearn_symgn.symbolic import OperonBackend

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, size=(60, 2))
    backend = OperonBackend(n_jobs=available_cores() + 1000, generations=2, population_size=20,
                            max_time=None, random_state=0)
    with pytest.warns(RuntimeWarning, match="more than the .* cores.*using"):
        capped = backend.fit(X, X[:, 0]).equation_
    same = OperonBackend(n_jobs=1, generations=2, population_size=20, max_time=None,
                         random_state=0).fit(X, X[:, 0]).equation_
    assert str(capped) == str(same)  # the thread count does not change the result
