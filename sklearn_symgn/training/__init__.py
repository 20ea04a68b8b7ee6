"""Training through skorch: the net subclass and its callbacks."""

from .callbacks import StopOnNonFiniteLoss, TrainingDivergedError
from .net import GraphNet

__all__ = ["GraphNet", "StopOnNonFiniteLoss", "TrainingDivergedError"]
