"""Training through skorch: the net subclass and the datasets it iterates over."""

from .datasets import DenseGraphDataset, GraphListDataset, collate
from .net import GraphNet

__all__ = ["DenseGraphDataset", "GraphListDataset", "GraphNet", "collate"]
