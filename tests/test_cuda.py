"""The CUDA path (skipped where no GPU is present)."""

import numpy as np
import pytest
import torch

from sklearn_symgn import SymbolicGNRegressor

from .conftest import TINY

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


def test_fit_predict_on_cuda(spring_data):
    X, y, _, _ = spring_data
    model = SymbolicGNRegressor(**TINY, device="cuda").fit(X, y)
    assert next(model.net_.module_.parameters()).is_cuda
    pred = model.predict(X)
    assert pred.shape == y.shape and np.isfinite(pred).all()
    cpu = SymbolicGNRegressor(**TINY).fit(X, y).predict(X)
    assert np.corrcoef(pred.ravel(), cpu.ravel())[0, 1] > 0.9  # same seed, close networks


def test_graph_lists_and_messages_on_cuda(graph_list):
    model = SymbolicGNRegressor(**TINY, device="cuda").fit(graph_list)
    assert np.isfinite(model.score(graph_list))
    edges = model.edge_messages(graph_list)
    assert edges.messages.shape[0] == sum(g.num_nodes * (g.num_nodes - 1) for g in graph_list)
