import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from torch_geometric.data import Data

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.graphs import FixedGraph, KNNGraph, RadiusGraph

from .conftest import TINY


@pytest.mark.parametrize("regularization", ["standard", "bottleneck", "l1", "kl"])
def test_fit_predict_shapes_and_message_dim(spring_data, regularization):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(regularization=regularization, **TINY).fit(X, y)
    pred = model.predict(X)
    assert pred.shape == y.shape and pred.dtype == np.float64 and np.isfinite(pred).all()
    assert model.message_dim_ == (2 if regularization == "bottleneck" else 100)
    assert model.n_features_in_ == 6 and model.n_targets_ == 2
    assert model.position_columns_ == [0, 1]
    assert len(model.net_.history) == TINY["max_epochs"]


def test_learns_spring_accelerations():
    from sklearn_symgn.datasets import make_nbody

    X, y = make_nbody("spring", n_samples=2000, random_state=0)
    model = SymbolicGNRegressor(regularization="standard", hidden_layer_sizes=(64, 64),
                                max_epochs=10, batch_size=32, random_state=0)
    model.fit(X[:1500], y[:1500])
    assert model.score(X[1500:], y[1500:]) > 0.8  # held-out trajectories


def test_kl_is_deterministic_at_predict_time(spring_data):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(regularization="kl", **TINY).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), model.predict(X))


def test_predictions_are_in_user_units(spring_data):
    X, y, _, _ = spring_data
    a = SymbolicGNRegressor(**TINY).fit(X, y).predict(X)
    b = SymbolicGNRegressor(**TINY).fit(X, 1000 * y).predict(X)
    np.testing.assert_allclose(b, 1000 * a, rtol=1e-4, atol=1e-3)


def test_same_seed_same_predictions_and_global_rng_untouched(spring_data):
    X, y, _, _ = spring_data
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    p1 = SymbolicGNRegressor(**TINY).fit(X, y).predict(X)
    assert torch.rand(1) == before  # fit does not consume the user's global torch RNG
    p2 = SymbolicGNRegressor(**TINY).fit(X, y).predict(X)
    np.testing.assert_array_equal(p1, p2)
    p3 = SymbolicGNRegressor(**{**TINY, "random_state": 1}).fit(X, y).predict(X)
    assert not np.allclose(p1, p3)


def test_2d_target_per_node(spring_data):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(**TINY).fit(X, y[..., 0])
    assert model.predict(X).shape == y[..., 0].shape


@pytest.mark.parametrize("graph", [RadiusGraph(1.5), KNNGraph(2), FixedGraph([[0, 1, 2], [1, 2, 3]])])
def test_graph_builders_in_estimator(spring_data, graph):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(graph=graph, **TINY).fit(X, y)
    assert model.predict(X).shape == y.shape


def test_graph_list_input(graph_list):
    model = SymbolicGNRegressor(**TINY).fit(graph_list)
    pred = model.predict(graph_list)
    n_nodes = sum(g.num_nodes for g in graph_list)
    assert pred.shape == (n_nodes, 2)
    assert np.isfinite(model.score(graph_list))
    # graphs that carry their own edges use them
    g = graph_list[0]
    single = Data(x=g.x, y=g.y, edge_index=torch.tensor([[0], [1]]))
    p_edge = model.predict([single])
    p_full = model.predict([Data(x=g.x, y=g.y)])
    assert not np.allclose(p_edge, p_full)


def test_graph_list_matches_dense_predictions(spring_data):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(**TINY).fit(X, y)
    graphs = [Data(x=torch.tensor(x, dtype=torch.float32)) for x in X[:5]]
    np.testing.assert_allclose(model.predict(graphs), model.predict(X[:5]).reshape(-1, 2),
                               rtol=1e-5, atol=1e-5)


def test_validation_fraction_and_callbacks(spring_data):
    from skorch.callbacks import EarlyStopping

    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(
        **{**TINY, "max_epochs": 6}, validation_fraction=0.25,
        callbacks=[EarlyStopping(monitor="valid_loss", patience=1, threshold=10.0)],
    ).fit(X, y)
    assert "valid_loss" in model.net_.history[-1]
    assert len(model.net_.history) < 6  # stopped early


def test_checkpoint_callback_saves_best_params(spring_data, tmp_path):
    from skorch.callbacks import Checkpoint

    X, y, _, _ = spring_data
    SymbolicGNRegressor(**TINY, callbacks=[Checkpoint(monitor="train_loss_best",
                                                      dirname=str(tmp_path))]).fit(X, y)
    assert (tmp_path / "params.pt").exists()


def test_verbose_prints_epoch_table(spring_data, capsys):
    X, y, _, _ = spring_data
    SymbolicGNRegressor(**{**TINY, "max_epochs": 1}, verbose=1).fit(X, y)
    assert "train_loss" in capsys.readouterr().out


def test_translation_augmentation_absolute_features(spring_data):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(edge_features="absolute", translation_std=3.0, **TINY).fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_predict_before_fit(spring_data):
    with pytest.raises(NotFittedError):
        SymbolicGNRegressor().predict(spring_data[0])


def test_receiver_mass_is_hidden_from_the_edge_model_by_default(spring_data):
    X, y, _, names = spring_data
    model = SymbolicGNRegressor(**TINY, feature_names=names).fit(X[:50], y[:50])
    assert model.receiver_columns_ == [names.index(c) for c in ("vx", "vy", "q")]
    assert SymbolicGNRegressor(**TINY).fit(X[:50], y[:50]).receiver_columns_ is None  # no "m"
    everything = SymbolicGNRegressor(**TINY, feature_names=names, receiver_columns=None)
    assert everything.fit(X[:50], y[:50]).receiver_columns_ is None
    named = SymbolicGNRegressor(**TINY, feature_names=names, receiver_columns=["q"])
    assert named.fit(X[:50], y[:50]).receiver_columns_ == [names.index("q")]


def test_max_epochs_auto_budgets_optimiser_steps(spring_data):
    """``max_epochs="auto"``: the epochs that give ``AUTO_STEPS`` steps, within bounds."""
    X, y, _, _ = spring_data

    class FewSteps(SymbolicGNRegressor):
        AUTO_STEPS, AUTO_EPOCHS = 30, (1, 1000)

    params = {**TINY, "max_epochs": "auto", "batch_size": 16}
    model = FewSteps(**params).fit(X[:64], y[:64])  # 4 batches per epoch: ceil(30 / 4) = 8
    assert model.max_epochs_ == 8 and len(model.net_.history) == 8
    assert FewSteps(**params).fit(X[:160], y[:160]).max_epochs_ == 3  # 10 batches
    FewSteps.AUTO_EPOCHS = (5, 1000)
    assert FewSteps(**params).fit(X[:160], y[:160]).max_epochs_ == 5  # the lower bound
    assert SymbolicGNRegressor(**TINY).fit(X[:32], y[:32]).max_epochs_ == 2  # an int stays
    with pytest.raises(ValueError, match="max_epochs"):
        SymbolicGNRegressor(max_epochs="many").fit(X[:32], y[:32])


def test_node_model_is_translation_invariant_by_default(spring_data):
    """Without absolute positions in the node model the network ignores where the bodies are;
    positions given to it (an external field) make it depend on them."""
    X, y, _, names = spring_data
    shifted = X.copy()
    shifted[..., :2] += 5.0
    model = SymbolicGNRegressor(**TINY, feature_names=names).fit(X[:50], y[:50])
    assert model.node_columns_ == [names.index(c) for c in ("vx", "vy", "q", "m")]
    np.testing.assert_allclose(model.predict(shifted[:20]), model.predict(X[:20]), atol=1e-5)
    field = SymbolicGNRegressor(**TINY, feature_names=names, node_columns=None).fit(X[:50], y[:50])
    assert field.node_columns_ == list(range(6))
    assert not np.allclose(field.predict(shifted[:20]), field.predict(X[:20]), atol=1e-3)
    named = SymbolicGNRegressor(**TINY, feature_names=names, node_columns=["x", "y", "m"])
    assert named.fit(X[:50], y[:50]).node_columns_ == [0, 1, 5]
    absolute = SymbolicGNRegressor(**TINY, edge_features="absolute").fit(X[:50], y[:50])
    assert absolute.node_columns_ == list(range(6))
    with pytest.raises(ValueError, match="node_columns"):
        SymbolicGNRegressor(**TINY, feature_names=names, node_columns=["w"]).fit(X[:50], y[:50])


def test_training_on_translated_copies_gives_the_same_model(spring_data):
    """At the defaults, a network trained on the data moved by a constant offset predicts, on
    the moved data, what the network trained on the original predicts on the original."""
    X, y, _, names = spring_data
    moved = X.copy()
    moved[..., :2] += np.array([7.0, -3.0])
    params = dict(**TINY, feature_names=names)
    original = SymbolicGNRegressor(**params).fit(X[:50], y[:50])
    translated = SymbolicGNRegressor(**params).fit(moved[:50], y[:50])
    np.testing.assert_allclose(translated.predict(moved[50:70]), original.predict(X[50:70]),
                               rtol=1e-4, atol=1e-5)


def test_a_2d_x_is_read_as_rows_only_with_no_edges(spring_data):
    """A 2-D X is refused unless the graph builder is NoEdges; then each row is a graph of one
    node, a DataFrame's columns name the features, and 3-D graphs get no edges either."""
    import pandas as pd

    from sklearn_symgn.graphs import NoEdges

    X, y, _, names = spring_data
    rows, targets = X[:40].reshape(-1, X.shape[-1]), y[:40].reshape(-1, y.shape[-1])
    with pytest.raises(ValueError, match=r"X is a 2-D array of shape \(160, 6\).*NoEdges"):
        SymbolicGNRegressor(**TINY).fit(rows, targets)
    fitted = SymbolicGNRegressor(**TINY).fit(X[:40], y[:40])
    with pytest.raises(ValueError, match="graph=NoEdges"):
        fitted.predict(rows)
    tabular = SymbolicGNRegressor(**TINY, graph=NoEdges())
    tabular.fit(pd.DataFrame(rows, columns=names), targets)
    assert tabular.feature_names_ == names
    assert tabular.predict(rows[:8]).shape == (8, 2)
    # no edges in 3-D graphs either: each node is predicted as it is alone
    np.testing.assert_allclose(tabular.predict(X[:2]).reshape(-1, 2), tabular.predict(
        X[:2].reshape(-1, X.shape[-1])), rtol=1e-5, atol=1e-6)


def test_fit_warns_when_training_is_degenerate(spring_data):
    """A penalty that silences the messages is reported by fit and refused by distill; a
    network that learned its targets is not."""
    import warnings

    from skorch.callbacks import Callback

    class Silence(Callback):  # a forced collapse: the edge model's output becomes constant
        def on_train_end(self, net, **kwargs):
            with torch.no_grad():
                net.module_.layer.edge_model[-1].weight.zero_()

    X, y, _, _ = spring_data
    with pytest.warns(UserWarning, match="messages carry no signal"):
        silenced = SymbolicGNRegressor(**TINY, callbacks=[Silence()]).fit(X, y)
    with pytest.raises(ValueError, match="messages carry no signal"):
        silenced.distill(X, y)
    with pytest.warns(UserWarning, match="R² -?0\\.0"):
        SymbolicGNRegressor(**{**TINY, "max_epochs": 1}, lr=1e-6).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SymbolicGNRegressor(hidden_layer_sizes=(32,), max_epochs=30, batch_size=16, lr=1e-2,
                            random_state=0).fit(X, y)
    assert not [w for w in caught if "degenerate" in str(w.message)]


def test_progress_bar_without_ipywidgets_is_plain_text(spring_data, monkeypatch, capsys):
    """In Jupyter, tqdm's notebook bar needs ipywidgets (an ImportError without it): the
    progress bar falls back to text when ipywidgets cannot be imported."""
    import sys

    X, y, _, _ = spring_data
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # `import ipywidgets` fails
    model = SymbolicGNRegressor(**{**TINY, "max_epochs": 1}, verbose=2).fit(X[:32], y[:32])
    assert dict(model.net_.callbacks_)["progress_bar"].detect_notebook is False



def test_predict_batch_size_changes_passes_not_predictions(spring_data):
    """Predictions do not depend on the graphs per forward pass; a bad value is named."""
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(**TINY).fit(X, y)
    auto = model.predict(X)
    np.testing.assert_allclose(model.set_params(predict_batch_size=7).predict(X), auto,
                               rtol=1e-5, atol=1e-6)
    for bad in (0, 2.5, "all", True):
        with pytest.raises(ValueError, match="predict_batch_size"):
            model.set_params(predict_batch_size=bad).predict(X)
