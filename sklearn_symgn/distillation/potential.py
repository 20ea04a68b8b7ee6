"""Distillation of a Hamiltonian network: its learned pair energy as a potential ``U(r, ...)``.

Accelerations fix the pair energy only up to a term that does not depend on ``r``, so the
distiller fits the network's ``dU/dr`` and integrates every expression of the front in ``r``.
"""

from numbers import Real

import numpy as np
import sympy
from sklearn.utils._param_validation import Interval

from .._validation import Int
from ..symbolic import Equation
from .base import BaseDistiller, timed_search
from .results import PotentialDistillation

__all__ = ["PotentialDistiller"]


class PotentialDistiller(BaseDistiller):
    """Distils a Hamiltonian network's pair energy into a potential ``U(r, o_i, o_j)``.

    Samples pairs (edges), fits symbolic regression to the network's ``dU/dr`` as a function of
    the distance ``r`` and ``<c>_i``, ``<c>_j`` for every feature ``c`` other than positions and
    velocities, and integrates each expression of the Pareto front in ``r`` with SymPy. Pass it
    as ``SymbolicHGNRegressor(distiller=...)``.

    Parameters
    ----------
    max_pairs : int, default=5000
        Pairs sampled for the fit.
    distance_quantile : float in (0, 1], default=0.99
        Sample only pairs no farther apart than this quantile of the distances: the network's
        energy is least reliable where it saw few pairs. ``1`` uses every pair.
    backend : SymbolicBackend, default=None
        Symbolic-regression engine; ``None`` means
        :class:`~sklearn_symgn.symbolic.OperonBackend` with its defaults.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of pairs (and the default backend); ``None`` takes the estimator's.
    """

    _parameter_constraints = {
        **BaseDistiller._parameter_constraints,
        "max_pairs": [Int(1)],
        "distance_quantile": [Interval(Real, 0, 1, closed="right")],
    }

    def __init__(self, *, max_pairs=5000, distance_quantile=0.99, backend=None,
                 random_state=None):
        super().__init__(backend=backend, random_state=random_state)
        self.max_pairs = max_pairs
        self.distance_quantile = distance_quantile

    def distill(self, pairs, distances, pair_table, energy_derivative, *, verbose=0):
        """Fit ``dU/dr`` on sampled pairs and integrate it.

        Parameters
        ----------
        pairs : tuple of ndarray
            ``(x_i, x_j)``, raw node features ``(n_pairs, n_features)`` of every pair.
        distances : ndarray of shape (n_pairs,)
            Their distances.
        pair_table : callable
            ``pair_table(x_i, x_j) -> (table, names)``: the variables ``r, <c>_i, <c>_j, ...``
            of the potential.
        energy_derivative : callable
            ``energy_derivative(r, x_i, x_j) -> dU/dr`` of the network, in the user's units.
        verbose : int, default=0
            Print the equation.

        Returns
        -------
        PotentialDistillation
        """
        self._validate_params()
        if len(distances) == 0:
            raise ValueError("X has no pairs of interacting bodies to distil.")
        rng = self._fresh_rng()
        backend = self._resolved_backend(rng)
        candidates = np.flatnonzero(distances <= np.quantile(distances, self.distance_quantile))
        rows = rng.choice(candidates, min(self.max_pairs, len(candidates)), replace=False)
        x_i, x_j = pairs[0][rows], pairs[1][rows]
        table, names = pair_table(x_i, x_j)
        dudr = energy_derivative(table[:, 0], x_i, x_j)
        force = timed_search(backend, table, dudr, names, "dU_dr", verbose, "pair force dU/dr")
        potential = _integrate_front(force, "U")
        if verbose:
            print(f"[distill] pair potential: {potential}", flush=True)
        return PotentialDistillation(force, potential)


def _antiderivative(expr, r):
    """Exact antiderivative in ``r`` of a rational function of ``r`` whose denominator factors
    into terms of degree at most 2 (logs and arctangents), or ``None``.

    Float constants are made rational first: SymPy's partial fractions over floats can fail or
    return wrong results silently. Higher-degree factors (roots by radicals) and non-rational
    integrands are skipped, as is any result that does not differentiate back to ``expr``.
    """
    # real symbols (r > 0): log|x| is then the real antiderivative of 1/x on both sides of a pole
    real = {v: sympy.Dummy(v.name, real=True) for v in expr.free_symbols - {r}}
    real[r] = sympy.Dummy(r.name, positive=True)
    exact = sympy.nsimplify(expr.xreplace(real), rational=True)
    numerator, denominator = sympy.fraction(sympy.cancel(sympy.together(exact)))
    if not (numerator.is_polynomial(real[r]) and denominator.is_polynomial(real[r])):
        return None
    if any(sympy.degree(f, real[r]) > 2 for f, _ in sympy.factor_list(denominator)[1]):
        return None
    result = sympy.integrate(numerator / denominator, real[r])
    if result.has(sympy.Integral, sympy.RootSum):
        return None
    result = _as_floats(result.replace(sympy.log, lambda arg: sympy.log(sympy.Abs(arg))))
    symbols = list(real.values())
    check = sympy.lambdify(symbols, [sympy.diff(result, real[r]), expr.xreplace(real)],
                           modules="numpy")
    points = np.random.default_rng(0).uniform(0.5, 2.0, size=(len(symbols), 8))
    with np.errstate(all="ignore"):
        derivative, original = (np.broadcast_to(np.asarray(v, dtype=float), 8)
                                for v in check(*points))
    if not np.allclose(derivative, original, rtol=1e-6, atol=1e-9):
        return None
    return result.xreplace({d: v for v, d in real.items()})


def _as_floats(expr):
    """Rational constants back to floats, except exponents and small integers."""
    if expr.is_Rational:
        return expr if expr.is_Integer and abs(expr) <= 100 else sympy.Float(expr)
    if expr.is_Pow:
        return sympy.Pow(_as_floats(expr.base), expr.exp)
    if not expr.args:
        return expr
    return expr.func(*(_as_floats(a) for a in expr.args))


def _integrate_front(equation, target):
    """The antiderivative in ``r`` of every expression of a front, as an :class:`Equation`
    (rows without a closed-form antiderivative, see :func:`_antiderivative`, are dropped)."""
    r = sympy.Symbol("r")
    rows, preferred = [], None
    for k, (c, loss, expr) in enumerate(zip(equation.complexity, equation.loss,
                                            equation.expressions)):
        antiderivative = _antiderivative(expr, r)
        if antiderivative is not None:
            preferred = len(rows) if k == equation.index else preferred
            rows.append((c, loss, antiderivative))
    if not rows:
        raise RuntimeError(f"None of the expressions of {equation.target} could be integrated.")
    complexity, loss, exprs = zip(*rows)
    # the potential of the chosen force where it has one; else the selection rule decides
    return Equation(target, list(equation.variables), complexity, loss, list(exprs),
                    equation.selection, preferred=preferred)
