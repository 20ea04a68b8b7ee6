"""Parsimony: score a front on held-out rows, refit constants, prune terms that do not pay.

Symbolic regression rewards any term that lowers the loss on the rows it searched, so a law
recovered from a network's slightly imperfect messages often carries small extra terms (a
constant offset, a rest length of 0.095 for a spring of rest length 0). Two defences, both on
rows the search never saw:

* the front is scored on held-out rows (:func:`holdout_losses`), so the selection rule compares
  expressions on how they generalise;
* every additive term of the chosen expression is tried for removal, with the remaining
  constants refitted (:func:`prune_terms`); a term goes when the held-out mean squared error
  rises by at most ``tolerance`` times the variance of the target (an R² drop of at most
  ``tolerance``).
"""

import numpy as np
import sympy
from scipy.optimize import least_squares

__all__ = [
    "expression_size", "fit_constants", "holdout_losses", "prune_terms", "refit_constants",
]


def expression_size(expr):
    """Number of nodes of the expression tree (a complexity comparable across expressions)."""
    return sum(1 for _ in sympy.preorder_traversal(expr))


def _evaluate(expr, X, names, constants=()):
    symbols = [sympy.Symbol(n) for n in names]
    function = sympy.lambdify(symbols + list(constants), expr, modules="numpy")

    def call(theta=()):
        with np.errstate(all="ignore"):
            out = function(*X.T, *theta)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],))

    return call


def _mse(values, y):
    if not np.all(np.isfinite(values)):
        return np.inf
    return float(np.mean((values - y) ** 2))


def holdout_losses(expressions, X, y, names):
    """Mean squared error of each expression on rows ``X, y`` (``inf`` where not finite)."""
    return np.array([_mse(_evaluate(e, X, names)(), y) for e in expressions])


def refit_constants(expr, X, y, names, max_nfev=200):
    """Least-squares refit of the float constants of ``expr`` on ``X, y``.

    Returns the expression with the refitted constants and its mean squared error on the rows.
    """
    floats = sorted(expr.atoms(sympy.Float), key=float)
    if not floats:
        return expr, _mse(_evaluate(expr, X, names)(), y)
    symbols = [sympy.Dummy(f"c{k}") for k in range(len(floats))]
    call = _evaluate(expr.xreplace(dict(zip(floats, symbols))), X, names, symbols)

    def residual(theta):
        return np.nan_to_num(call(theta) - y, nan=1e12, posinf=1e12, neginf=-1e12)

    start = np.array([float(f) for f in floats])
    theta = fit_constants(residual, start, max_nfev)
    fitted = expr.xreplace({f: sympy.Float(float(t)) for f, t in zip(floats, theta)})
    return fitted, _mse(call(theta), y)


#: Weight of the pull of each refitted constant towards its start, relative to the
#: constant's own effect on the residuals (see :func:`fit_constants`).
ANCHOR = 1e-8


def fit_constants(residual, start, max_nfev=200):
    """Least squares over the constants that move the residual; the others stay as they are.

    A constant that no residual depends on (a message term the node law ignores, a flat
    stretch of a step) has no best value; leaving it free lets the solver's round-off decide
    it, and two identical calls can disagree. Levenberg-Marquardt on the rest, with a weak
    pull of each constant towards its start (weighted by ``ANCHOR`` times the constant's own
    effect on the residuals): constants that trade off exactly (a message's scale against
    the node law's factor, an offset in a message against one in the node law) otherwise
    follow round-off along their valley, and 1e-13 of noise in the data changed the printed
    constants.

    Parameters
    ----------
    residual : callable
        ``residual(theta) -> ndarray`` of residuals.
    start : ndarray
        Starting constants.
    max_nfev : int, default=200
        Largest number of residual evaluations per free constant, as in SciPy.

    Returns
    -------
    theta : ndarray
    """
    start = np.asarray(start, dtype=np.float64)
    base = residual(start)
    free, sensitivity = [], []
    for k in range(len(start)):
        probe = start.copy()
        step = 1e-6 * max(1.0, abs(probe[k]))
        probe[k] += step
        change = residual(probe) - base
        if np.any(change != 0):
            free.append(k)
            sensitivity.append(np.linalg.norm(change) / step)
    if not free:
        return start
    # each constant's pull in the units of its own effect on the residuals
    weight = np.sqrt(ANCHOR) * np.asarray(sensitivity)

    def partial(values):
        theta = start.copy()
        theta[free] = values
        return np.concatenate([residual(theta), weight * (values - start[free])])

    method = "lm" if len(base) >= len(free) else "trf"
    theta = start.copy()
    theta[free] = least_squares(partial, start[free], method=method,
                                max_nfev=max_nfev * (len(free) + 1)).x
    return theta


def _terms(expr):
    """Additive terms of ``expr`` (expanded), or ``()`` when the expansion is unwieldy."""
    expanded = sympy.expand(expr)
    terms = sympy.Add.make_args(expanded)
    return terms if 1 < len(terms) <= 12 else ()


def _removals(expr):
    """Every expression with one additive term removed, of the expression itself or, for a
    quotient, of its numerator or its denominator (a tiny term in a denominator is as spurious
    as one beside it)."""
    terms = _terms(expr)
    for k in range(len(terms)):
        yield sympy.Add(*(terms[:k] + terms[k + 1:]))
    if len(terms) > 1:
        return
    numerator, denominator = sympy.fraction(sympy.together(expr))
    if denominator == 1:
        return
    for part, rebuild in ((numerator, lambda n: n / denominator),
                          (denominator, lambda d: numerator / d)):
        pieces = _terms(part)
        for k in range(len(pieces)):
            yield rebuild(sympy.Add(*(pieces[:k] + pieces[k + 1:])))


def prune_terms(expr, X, y, names, tolerance=1e-3):
    """Drop additive terms whose removal costs at most ``tolerance`` of R² on ``X, y``.

    Greedy: each round removes the term whose removal (remaining constants refitted) raises the
    mean squared error least, while the total rise stays within ``tolerance * var(y)``. Terms
    are those of the expanded expression or, for a quotient, of its numerator and denominator.

    Parameters
    ----------
    expr : sympy.Expr
        The chosen expression.
    X, y : ndarray
        Held-out rows and targets.
    names : list of str
        Column names of ``X``.
    tolerance : float, default=1e-3
        Largest R² drop a removal may cost.

    Returns
    -------
    expr : sympy.Expr
        The pruned expression (``expr`` itself when nothing was removed).
    removed : list of sympy.Expr
        What each removal took away (the difference of the expressions before and after).

    Examples
    --------
    >>> import numpy as np, sympy
    >>> r = np.linspace(0.5, 5, 200)
    >>> law = sympy.sympify("2.0*r - 1e-4")
    >>> print(prune_terms(law, r[:, None], 2 * r, ["r"])[0])
    2.0*r
    """
    scale = max(float(np.var(y)), np.finfo(float).tiny)
    budget = _mse(_evaluate(expr, X, names)(), y) + tolerance * scale
    removed = []
    while True:
        candidates = []
        for rest in _removals(expr):
            pruned, loss = refit_constants(rest, X, y, names)
            if loss <= budget:
                candidates.append((loss, sympy.count_ops(pruned), pruned))
        if not candidates:
            return expr, removed
        _, _, pruned = min(candidates, key=lambda c: (c[0], c[1]))
        removed.append(sympy.simplify(expr - pruned))
        expr = pruned
