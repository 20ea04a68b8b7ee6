"""Shared tiny fixtures: few samples, small networks, fixed seeds."""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(int(os.environ.get("SYMGN_TEST_THREADS", "2")))


def pytest_configure(config):
    """Nothing a test writes lands in the system temp directory: pytest's temporary paths and
    every other temporary file (PyG writes its generated message-passing modules with
    ``tempfile``), in this process and its subprocesses, go under ``.pytest-tmp`` of the
    checkout, which the next run clears."""
    if not config.option.basetemp:
        config.option.basetemp = str(Path(config.rootpath) / ".pytest-tmp")
    scratch = Path(config.option.basetemp).with_name(".pytest-scratch")
    scratch.mkdir(exist_ok=True)
    for stale in scratch.iterdir():  # the previous run's files
        if stale.is_file():
            stale.unlink()
    os.environ["TMPDIR"] = tempfile.tempdir = str(scratch)

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
