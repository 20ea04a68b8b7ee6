"""Distillation: from a fitted network to equations, as pluggable distiller objects."""

from .base import BaseDistiller, NetworkSpec
from .composed import ComposedLaw, PairSum
from .message import MessageDistiller
from .model import SymbolicGraphModel
from .potential import PotentialDistiller
from .results import MessageDistillation, PotentialDistillation

__all__ = [
    "BaseDistiller", "ComposedLaw", "MessageDistillation", "MessageDistiller", "NetworkSpec", "PairSum",
    "PotentialDistillation", "PotentialDistiller", "SymbolicGraphModel",
]
