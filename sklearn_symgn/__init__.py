"""sklearn-symgn: discover symbolic models from graph networks with inductive biases.

A scikit-learn implementation of Cranmer et al., "Discovering Symbolic Models from Deep Learning
with Inductive Biases" (NeurIPS 2020).
"""

from .distillation import MessageDistiller, PotentialDistiller
from .estimator import SymbolicGNRegressor
from .hamiltonian import SymbolicHGNRegressor

__version__ = "0.1.0"

__all__ = [
    "MessageDistiller", "PotentialDistiller", "SymbolicGNRegressor", "SymbolicHGNRegressor",
    "__version__",
]
