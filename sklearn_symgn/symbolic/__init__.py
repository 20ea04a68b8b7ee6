"""Symbolic-regression backends and the equation result type."""

from .base import SymbolicBackend
from .equations import Equation, round_constants
from .operon import OperonBackend
from .pysr import PySRBackend

__all__ = ["Equation", "OperonBackend", "PySRBackend", "SymbolicBackend", "round_constants"]
