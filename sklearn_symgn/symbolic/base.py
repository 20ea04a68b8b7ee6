"""Shared base of the symbolic-regression backends."""

from numbers import Real

import numpy as np
import sympy
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import ValidatedMixin
from .equations import SELECTIONS, Equation
from .parsimony import expression_size, holdout_losses, prune_terms

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

    _parameter_constraints: dict = {
        "selection": [StrOptions(set(SELECTIONS))],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "prune_tolerance": [Interval(Real, 0, None, closed="left")],
    }

    def fit(self, X, y, feature_names=None, target_name="y"):
        """Search for ``y ≈ f(X)``, score the front on held-out rows, prune the chosen law.

        A ``validation_fraction`` of the rows (seeded by ``random_state``) is held out of the
        search; every expression of the front is scored on them, the selection rule compares
        those held-out losses, and additive terms of the chosen expression that cost at most
        ``prune_tolerance`` of R² there are removed (:func:`~.parsimony.prune_terms`).
        Columns that are constant are left out of the search.

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
        X, y, names = self._checked(X, y, feature_names)
        search, held = self._split(len(y))
        varying = [k for k in range(X.shape[1]) if np.ptp(X[search, k]) > 0]
        rows = [r for r in self._search(X[np.ix_(search, varying)], y[search],
                                        [names[k] for k in varying]) if np.isfinite(r[1])]
        # the constant model heads every front (as in PySR's): the "best" rule scores a row by
        # its drop in log-loss from the simpler row before it, so without it a front that starts
        # at the law scores the law 0 and picks a longer row that fits noise
        rows.append((1, float(np.var(y[search])), sympy.Float(float(np.mean(y[search])))))
        complexity, loss, exprs = (list(c) for c in zip(*_pareto(rows)))
        if len(held):  # rows not finite on held-out data are not laws of it: dropped
            loss = holdout_losses(exprs, X[held], y[held], names)
            finite = np.flatnonzero(np.isfinite(loss))
            complexity, exprs = [complexity[k] for k in finite], [exprs[k] for k in finite]
            loss = list(loss[finite])
        self.feature_names_ = names
        self.equation_ = Equation(target_name, names, complexity, loss, exprs, self.selection)
        if len(held) and self.prune_tolerance > 0:
            self.equation_ = self._pruned(self.equation_, X[held], y[held])
        return self

    def extended(self, operators):
        """A copy that also searches with the unary ``operators`` (e.g. ``("exp",)``), or
        ``None`` when it has them all already or takes no unary operators."""
        params = self.get_params()
        if "unary_operators" not in params:
            return None
        current = tuple(params["unary_operators"])
        new = tuple(op for op in operators if op not in current)
        return clone(self).set_params(unary_operators=(*current, *new)) if new else None

    def _checked(self, X, y, feature_names):
        X = check_array(X, dtype=np.float64, input_name="X")
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one target per fit); got shape {y.shape}.")
        check_consistent_length(X, y)
        names = [f"x{k}" for k in range(X.shape[1])] if feature_names is None else [
            str(n) for n in feature_names
        ]
        if len(names) != X.shape[1]:
            raise ValueError(
                f"feature_names has {len(names)} names but X has {X.shape[1]} columns."
            )
        return X, y, names

    def _split(self, n_rows):
        """Rows searched and rows held out (none when too few rows or no validation)."""
        n_held = int(self.validation_fraction * n_rows)
        if n_held < 10 or n_rows - n_held < 10:
            return np.arange(n_rows), np.arange(0)
        seed = 0 if self.random_state is None else self.random_state
        order = np.random.RandomState(seed).permutation(n_rows)
        return np.sort(order[n_held:]), np.sort(order[:n_held])

    def _pruned(self, equation, X, y):
        """``equation`` with its chosen expression pruned (added to the front and chosen)."""
        pruned, removed = prune_terms(equation.expression, X, y, equation.variables,
                                      self.prune_tolerance)
        if not removed:
            return equation
        chosen = int(equation.complexity[equation.index])
        size = max(1, chosen - expression_size(equation.expression) + expression_size(pruned))
        loss = holdout_losses([pruned], X, y, equation.variables)[0]
        return equation.with_chosen(pruned, size, loss)

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
