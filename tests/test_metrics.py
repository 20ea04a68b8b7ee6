import numpy as np
import pytest
import torch

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.datasets import make_nbody
from sklearn_symgn.metrics import linear_fit_r2, message_force_r2

from .conftest import TINY


def test_linear_fit_r2():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(500, 2))
    assert linear_fit_r2(F, F @ rng.normal(size=(2, 3)) + 1.0) == pytest.approx(1.0)
    assert linear_fit_r2(F, rng.normal(size=(500, 2))) < 0.05
    assert linear_fit_r2(F, np.tanh(3 * F)) < 0.95


def test_linear_fit_r2_trimmed_ignores_a_few_wild_samples_only():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(2000, 3))
    clean = F @ rng.normal(size=(3, 3)) + 0.05 * rng.normal(size=(2000, 3))
    wild = clean.copy()
    wild[:100] += 20.0 * rng.normal(size=(100, 3))  # 5 %: within the 10 % trimmed away
    assert linear_fit_r2(F, wild) < 0.5
    assert linear_fit_r2(F, wild, trim=0.1) > 0.99
    # the trimmed score of clean data is the plain one (within the noise left out)
    assert abs(linear_fit_r2(F, clean, trim=0.1) - linear_fit_r2(F, clean)) < 0.01
    # a non-linear law stays visibly non-linear: trimming 10 % cannot hide a wrong map
    assert linear_fit_r2(F[:, :1], np.abs(F[:, :1]), trim=0.1) < 0.5
    with pytest.raises(ValueError, match="trim"):
        linear_fit_r2(F, clean, trim=0.5)


def test_edge_messages_indices_and_subsample(spring_data):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(**TINY).fit(X, y)
    edges = model.edge_messages(X[:10])
    assert edges.messages.shape == (10 * 12, 100)
    np.testing.assert_allclose(edges.x_receiver, X[edges.graph, edges.receiver], rtol=1e-6)
    np.testing.assert_allclose(edges.x_sender, X[edges.graph, edges.sender], rtol=1e-6)
    assert np.all(edges.receiver != edges.sender)
    sub = model.edge_messages(X[:10], max_edges=50, random_state=0)
    assert sub.messages.shape == (50, 100)


def test_edge_messages_on_graph_lists(graph_list):
    model = SymbolicGNRegressor(**TINY).fit(graph_list)
    edges = model.edge_messages(graph_list)
    assert len(edges.messages) == sum(g.num_nodes * (g.num_nodes - 1) for g in graph_list)
    for k in (0, len(edges.graph) - 1):
        g = graph_list[edges.graph[k]]
        np.testing.assert_allclose(edges.x_receiver[k], g.x[edges.receiver[k]].numpy(), rtol=1e-6)


def test_kl_components_ranked_by_kl(spring_data):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(regularization="kl", **TINY).fit(X, y)
    edges = model.edge_messages(X)
    assert edges.messages.shape == (len(X) * 12, 100)  # the means, not the log-variances
    order, score = edges.ranked_components()
    assert np.all(np.diff(score) <= 0) and sorted(order) == list(range(100))
    # the KL ranking, not the standard deviation of the means
    std_order = np.argsort(edges.messages.std(axis=0))[::-1]
    raw = model.net_.module_.edge_messages(torch.as_tensor(X[:50], dtype=torch.float32))[1]
    kl = model.message_strategy_.significance(raw.numpy())
    assert kl.shape == (100,) and not np.array_equal(order, std_order)


def test_bottleneck_messages_are_forces_standard_are_not():
    X, y, F = make_nbody("spring", n_samples=4000, random_state=0, return_forces=True)
    kw = {"hidden_layer_sizes": (64, 64), "random_state": 0}
    bottleneck = SymbolicGNRegressor(regularization="bottleneck", max_epochs=30, batch_size=64, **kw)
    r2 = message_force_r2(bottleneck.fit(X[:3000], y[:3000]), X[3000:], F[3000:])
    assert max(r2["force"], r2["force_over_mass"]) > 0.7
    standard = SymbolicGNRegressor(regularization="standard", max_epochs=10, **kw)
    r2 = message_force_r2(standard.fit(X[:3000], y[:3000]), X[3000:], F[3000:])
    assert max(r2["force"], r2["force_over_mass"]) < 0.3


def test_message_force_r2_bad_input(spring_data):
    X, y, F, _ = spring_data
    model = SymbolicGNRegressor(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="forces must have shape"):
        message_force_r2(model, X, F[:, :, 0])
    with pytest.raises(ValueError, match="n_components"):
        message_force_r2(model, X, F, n_components=0)


def test_law_form_match_rejects_a_spurious_rest_length_and_accepts_the_law():
    import sympy

    from sklearn_symgn.metrics import law_form_match

    rng = np.random.default_rng(0)
    dx, dy = rng.normal(size=(2, 2000))
    r = np.hypot(dx, dy)
    table, names = np.column_stack([dx, dy, r]), ["dx", "dy", "r"]
    target = -0.0315 * dx  # zero rest length: F = -k (x_i - x_j) for one axis
    spurious = law_form_match(sympy.sympify("-0.0315*dx + 0.00298*dx/r"), ["dx"], table, names,
                              target)
    assert not spurious["match"] and spurious["extra"]["0.00298*dx/r"] > 0.005
    exact = law_form_match(sympy.sympify("-0.0316*dx"), ["dx"], table, names, target)
    assert exact["match"] and not exact["extra"] and not exact["missing"]
    off = law_form_match(sympy.sympify("-0.033*dx"), ["dx"], table, names, target)
    assert not off["match"]  # 4.8 % off: the R² 0.998 of such a law hides it
    missing = law_form_match(sympy.sympify("-0.0315*dy"), ["dx"], table, names, target)
    assert missing["missing"] == ["dx"] and not missing["match"]


def test_metrics_read_a_list_of_graphs_like_the_same_arrays(spring_data):
    """Forces of a list of Data are one (n_i, n_i, dim) array per graph; the metrics then give
    what they give on the same graphs as arrays, and evaluate a graph's own edges only."""
    from torch_geometric.data import Data

    from sklearn_symgn import MessageDistiller
    from sklearn_symgn.metrics import equation_force_r2
    from sklearn_symgn.symbolic import OperonBackend

    X, y, F, _ = spring_data
    fast = OperonBackend(generations=5, population_size=50, random_state=0)
    model = SymbolicGNRegressor(**TINY, distiller=MessageDistiller(backend=fast))
    model.fit(X, y).distill(X, y)
    graphs = [Data(x=torch.tensor(x, dtype=torch.float32)) for x in X[:20]]
    forces = list(F[:20])
    for metric, key in ((message_force_r2, "force"), (equation_force_r2, "force_over_mass")):
        on_arrays, on_list = metric(model, X[:20], F[:20]), metric(model, graphs, forces)
        assert on_list[key] == pytest.approx(on_arrays[key], rel=1e-4)
    ring = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])  # four of the twelve ordered pairs
    own = [Data(x=g.x, edge_index=ring) for g in graphs]
    assert equation_force_r2(model, own, forces)["n_pairs"] == 20 * 4
    with pytest.raises(ValueError, match="list of 20 Data graphs, forces must be a list"):
        equation_force_r2(model, graphs, F[:20])
    with pytest.raises(ValueError, match=r"forces\[0\] must have shape \(4, 4, dim\)"):
        message_force_r2(model, graphs, [f[:3] for f in forces])


def test_recorded_edges_are_the_same_sample_whatever_the_batches(spring_data):
    """The uniform edge sample is drawn while recording (random keys, the smallest kept):
    it does not depend on how the graphs are batched, and a cap above the edge count keeps
    every edge in order."""
    from sklearn_symgn.graphs.inputs import to_graph_input
    from sklearn_symgn.messages import record_messages

    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(**TINY).fit(X, y)
    inputs = to_graph_input(model, X[:30], reset=False, require_y=False)
    module = model.net_.module_
    runs = [record_messages(module, inputs, max_edges=50, batch_size=b, random_state=3)
            for b in (1, 7, None)]
    for run in runs[1:]:
        np.testing.assert_array_equal(run.graph * 100 + run.receiver * 10 + run.sender,
                                      runs[0].graph * 100 + runs[0].receiver * 10 + runs[0].sender)
        np.testing.assert_allclose(run.messages, runs[0].messages, rtol=1e-6)
    assert len(runs[0].messages) == 50 and np.all(np.diff(runs[0].graph) >= 0)
    everything = record_messages(module, inputs, max_edges=10**6, random_state=3)
    np.testing.assert_allclose(everything.messages, model.edge_messages(X[:30]).messages)


def test_equations_predict_chunk_by_chunk_as_at_once(spring_data, monkeypatch):
    import sklearn_symgn.distillation.composed as composed
    import sklearn_symgn.distillation.model as model_module
    from sklearn_symgn import MessageDistiller
    from sklearn_symgn.symbolic import OperonBackend

    X, y, _, _ = spring_data
    fast = OperonBackend(generations=5, population_size=50, random_state=0)
    model = SymbolicGNRegressor(**TINY, distiller=MessageDistiller(backend=fast))
    model.fit(X, y).distill(X, y)
    at_once = model.symbolic_model_.predict(X), model.composed_law_.predict(X)
    for module in (model_module, composed):
        monkeypatch.setattr(module, "CHUNK_PAIRS", 3 * 12)  # three graphs of 4 bodies
    chunked = model.symbolic_model_.predict(X), model.composed_law_.predict(X)
    for a, b in zip(at_once, chunked):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)
