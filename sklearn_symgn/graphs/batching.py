"""Torch datasets that skorch iterates over, and their (picklable, module-level) collate functions.

Equally sized graphs are stored as one ``(n_samples, n_nodes, n_features)`` tensor and a batch is a
single fancy-indexing operation (``__getitems__``), with the edges built later by tensor arithmetic
in the network; graphs of varying size go through PyG's ``Batch.from_data_list``.
"""

import torch
from torch.utils.data import Dataset
from torch_geometric.data import Batch

__all__ = ["DenseGraphDataset", "GraphListDataset", "collate"]


class DenseGraphDataset(Dataset):
    """Graphs of equal size as tensors ``X (S, n, F)`` and optional targets ``y (S, n, T)``."""

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.__getitems__([i])

    def __getitems__(self, indices):
        idx = torch.as_tensor(indices, dtype=torch.long)
        return self.X[idx], (None if self.y is None else self.y[idx])


class GraphListDataset(Dataset):
    """A list of PyG ``Data`` graphs, each with ``x``, ``edge_index`` and (for fitting) ``y``."""

    def __init__(self, graphs):
        self.graphs = graphs

    def __len__(self):
        return len(self.graphs)

    def __getitem__(self, i):
        return self.graphs[i]


def collate(items):
    """Collate function for both datasets (module level, so nets pickle).

    A :class:`DenseGraphDataset` already returns a whole batch ``(X, y)`` from ``__getitems__``;
    a list of ``Data`` is batched into one disconnected graph, targets concatenated over nodes.
    """
    if isinstance(items, tuple):
        return items
    batch = Batch.from_data_list(items)
    return batch, getattr(batch, "y", None)
