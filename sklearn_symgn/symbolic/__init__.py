"""Symbolic-regression backends and the equation result type."""

from .base import SymbolicBackend
from .equations import Equation, round_constants
from .export import EquationModule, GraphEquationModule
from .operon import OperonBackend
from .pysr import PySRBackend

__all__ = ["Equation", "EquationModule", "GraphEquationModule", "OperonBackend", "PySRBackend",
           "SymbolicBackend", "round_constants"]
