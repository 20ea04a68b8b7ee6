"""Bad input gives a ValueError/TypeError that names the argument."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from sklearn_symgn import SymbolicGNRegressor

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
