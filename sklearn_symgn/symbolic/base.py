"""Shared base of the symbolic-regression backends."""

import numpy as np
import sympy
from sklearn.base import BaseEstimator
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import StrOptions

from .._validation import ValidatedMixin
from .equations import SELECTIONS, Equation

__all__ = ["SymbolicBackend"]


class SymbolicBackend(ValidatedMixin, BaseEstimator):
    """Base class: validation and book-keeping, one private search method per engine.

    Subclasses implement ``_search(X, y, feature_names)``, returning a Pareto front as a list of
    ``(complexity, loss, sympy_expression)`` whose symbols are named by ``feature_names``.

    Attributes
    ----------
    equation_ : Equation
        The fitted front and the chosen expression.
    feature_names_ : list of str
        Names of the input columns.
    """

    _parameter_constraints: dict = {"selection": [StrOptions(set(SELECTIONS))]}

    def fit(self, X, y, feature_names=None, target_name="y"):
        """Search for ``y ≈ f(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        feature_names : list of str, default=None
            Variable names; ``None`` means ``x0, x1, ...``.
        target_name : str, default="y"
            Name of the left-hand side.

        Returns
        -------
        self
        """
        self._validate_params()
        X = check_array(X, dtype=np.float64, input_name="X")
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one target per fit); got shape {y.shape}.")
        check_consistent_length(X, y)
        names = [f"x{k}" for k in range(X.shape[1])] if feature_names is None else list(
            feature_names
        )
        if len(names) != X.shape[1]:
            raise ValueError(
                f"feature_names has {len(names)} names but X has {X.shape[1]} columns."
            )
        rows = [r for r in self._search(X, y, names) if np.isfinite(r[1])]
        # the constant model heads every front (as in PySR's): the "best" rule scores a row by
        # its drop in log-loss from the simpler row before it, so without it a front that starts
        # at the law scores the law 0 and picks a longer row that fits noise
        rows.append((1, float(np.var(y)), sympy.Float(float(np.mean(y)))))
        if not rows:
            raise RuntimeError(f"{type(self).__name__} returned no finite expression.")
        complexity, loss, exprs = zip(*_pareto(rows))
        self.feature_names_ = names
        self.equation_ = Equation(target_name, names, complexity, loss, list(exprs),
                                  self.selection)
        return self

    def _search(self, X, y, feature_names):  # pragma: no cover - abstract
        raise NotImplementedError


def _pareto(rows):
    """Keep, for increasing complexity, only rows that lower the best loss so far."""
    best, out = np.inf, []
    for c, loss, expr in sorted(rows, key=lambda r: (r[0], r[1])):
        if loss < best and isinstance(expr, sympy.Expr):
            out.append((c, loss, expr))
            best = loss
    return out
