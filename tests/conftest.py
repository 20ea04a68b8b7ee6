"""Shared tiny fixtures: few samples, small networks, fixed seeds."""

import os

import numpy as np
import pytest
import torch

torch.set_num_threads(int(os.environ.get("SYMGN_TEST_THREADS", "2")))

from sklearn_symgn.datasets import make_nbody  # noqa: E402

TINY = {"hidden_layer_sizes": (16,), "max_epochs": 2, "batch_size": 32, "random_state": 0}


@pytest.fixture(scope="session")
def spring_data():
    """200 snapshots of a 2-D 4-body spring system, with forces and names."""
    return make_nbody("spring", n_samples=200, random_state=0, return_forces=True,
                      return_feature_names=True)


@pytest.fixture(scope="session")
def graph_list():
    """Twelve PyG graphs of 3 to 6 nodes with 2-D spring accelerations as targets."""
    from torch_geometric.data import Data

    rng = np.random.default_rng(0)
    graphs = []
    for k in range(12):
        n = 3 + k % 4
        X, y = make_nbody("spring", n_samples=1, n_bodies=n, n_steps=1, random_state=int(rng.integers(1e6)))
        graphs.append(Data(x=torch.tensor(X[0], dtype=torch.float32),
                           y=torch.tensor(y[0], dtype=torch.float32)))
    return graphs
