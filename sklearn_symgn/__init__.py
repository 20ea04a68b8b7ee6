"""sklearn-symgn: discover symbolic models from graph networks with inductive biases.

A scikit-learn implementation of Cranmer et al., "Discovering Symbolic Models from Deep Learning
with Inductive Biases" (NeurIPS 2020).
"""

from .estimator import SymbolicGNRegressor

__version__ = "0.1.0"

__all__ = ["SymbolicGNRegressor", "__version__"]
