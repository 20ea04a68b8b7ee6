"""Training through skorch: the net subclass, its callbacks and the datasets it iterates over."""

from .callbacks import StopOnNonFiniteLoss, TrainingDivergedError
from .datasets import DenseGraphDataset, GraphListDataset, collate
from .net import GraphNet

__all__ = [
    "DenseGraphDataset", "GraphListDataset", "GraphNet", "StopOnNonFiniteLoss",
    "TrainingDivergedError", "collate",
]
