"""Does a distilled law extrapolate within its own data? If not, search again with more operators.

A law found by symbolic regression can fit its rows closely and still have the wrong form: a
rational function tracks an exponential pair force over the training distances and then keeps
growing beyond them. The rows themselves tell the two apart. Refit the law's constants on the
nearer ``NEAR_QUANTILE`` of the rows (by distance) and evaluate it on the farther rest: a law of
the right form predicts them as well as when they were fitted (its constants are those of the
data), an approximant does not (its constants were tuned to the range they saw). Where the
error on the far rows grows by more than ``EXTRAPOLATION_RATIO``, the search is repeated with
extra operators and the law that extrapolates better is kept.
"""

import numpy as np

from ..symbolic.parsimony import refit_constants
from .base import timed_search

__all__ = ["EXTRAPOLATION_RATIO", "NEAR_QUANTILE", "extrapolation_errors", "grown_search"]

#: Share of the rows (the nearest, by distance) the constants are refitted on.
NEAR_QUANTILE = 0.8
#: A law whose error on the far rows, with constants refitted on the near ones, exceeds this
#: multiple of its error there with constants fitted on all rows does not extrapolate. Laws of
#: the right form stay near 1 (1.0 on spring, 1/r³ and charge profiles with 0.1 % noise); a
#: rational approximant of ``(1 - r) exp(-2 r) / r`` gave 11.8.
EXTRAPOLATION_RATIO = 3.0


def extrapolation_errors(equation, X, y, column=0):
    """Root-mean-square errors of ``equation``'s chosen law on the rows of ``X`` beyond the
    ``NEAR_QUANTILE`` of ``X[:, column]``: as fitted (on all rows), and with its constants
    refitted on the rows below. ``inf`` where the refitted law is not finite there."""
    far = X[:, column] > np.quantile(X[:, column], NEAR_QUANTILE)
    if far.sum() < 2 or (~far).sum() < 2:
        return 0.0, 0.0
    refitted, _ = refit_constants(equation.expression, X[~far], y[~far], equation.variables)
    errors = []
    for law in (equation, equation.with_chosen(refitted)):
        with np.errstate(all="ignore"):
            residual = law(X[far]) - y[far]
        errors.append(float(np.sqrt(np.mean(residual**2))) if np.all(np.isfinite(residual))
                      else np.inf)
    return errors[0], errors[1]


def _ratio(errors):
    fitted, refitted = errors
    return refitted / fitted if fitted > 0 else (1.0 if refitted == 0 else np.inf)


def grown_search(equation, backend, operators, X, y, names, target, verbose, what):
    """``equation`` if its law extrapolates within ``X`` (column 0, the distance), else the
    better extrapolating of it and a search of ``backend`` extended with the unary
    ``operators``; and the operators the kept law's search added (empty when none)."""
    errors = extrapolation_errors(equation, X, y)
    grown = backend.extended(operators) if operators else None
    if _ratio(errors) <= EXTRAPOLATION_RATIO or grown is None:
        return equation, ()
    added = tuple(op for op in grown.get_params()["unary_operators"]
                  if op not in backend.get_params()["unary_operators"])
    if verbose:
        print(f"[distill] {equation} does not extrapolate within its rows (far-row error "
              f"x{_ratio(errors):.1f} with constants fitted on the near ones): searching again "
              f"with {list(added)}", flush=True)
    candidate = timed_search(grown, X, y, names, target, verbose, f"{what} with {list(added)}")
    if extrapolation_errors(candidate, X, y)[1] < errors[1]:
        return candidate, added
    return equation, ()
