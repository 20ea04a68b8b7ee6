"""The operator set grows when a radial law does not extrapolate within its own rows."""

import numpy as np
import pytest
import sympy

from sklearn_symgn import MessageDistiller
from sklearn_symgn.distillation.extrapolation import (
    EXTRAPOLATION_RATIO,
    extrapolation_errors,
    grown_search,
)
from sklearn_symgn.symbolic import Equation, OperonBackend

r = sympy.Symbol("r")


def _rows(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    distance = np.sort(rng.uniform(0.5, 2.5, n))
    law = 3.0 * np.exp(-1.5 * distance)
    return distance[:, None], law * (1 + 1e-3 * rng.normal(size=n))


def _equation(expr, X, y):
    loss = float(np.mean((sympy.lambdify(r, expr)(X[:, 0]) - y) ** 2))
    return Equation("g", ["r"], [5], [loss], [expr])


def _approximant(X, y):
    """A cubic in 1/r fitted on all rows: close in range, of the wrong form."""
    basis = np.column_stack([X[:, 0] ** -k for k in range(4)])
    c = np.linalg.lstsq(basis, y, rcond=None)[0]
    return sum(sympy.Float(float(c[k])) * r**-k for k in range(4))


def test_a_law_of_the_right_form_extrapolates_and_an_approximant_does_not():
    X, y = _rows()
    exact = _equation(sympy.Float(3.0) * sympy.exp(sympy.Float(-1.5) * r), X, y)
    fitted, refitted = extrapolation_errors(exact, X, y)
    assert refitted / fitted < 1.5
    fitted, refitted = extrapolation_errors(_equation(_approximant(X, y), X, y), X, y)
    assert refitted / fitted > EXTRAPOLATION_RATIO


def test_the_search_grows_only_when_the_law_does_not_extrapolate():
    X, y = _rows()
    backend = OperonBackend(generations=40, population_size=300, random_state=0)
    exact = _equation(sympy.Float(3.0) * sympy.exp(sympy.Float(-1.5) * r), X, y)
    assert grown_search(exact, backend, ("exp",), X, y, ["r"], "g", 0, "g") == (exact, ())
    approximant = _equation(_approximant(X, y), X, y)
    kept, added = grown_search(approximant, backend, (), X, y, ["r"], "g", 0, "g")
    assert (kept, added) == (approximant, ())  # switched off
    grown, added = grown_search(approximant, backend, ("exp",), X, y, ["r"], "g", 0, "g")
    assert added == ("exp",)
    assert grown.expression.has(sympy.exp)
    beyond = np.linspace(2.5, 5.0, 50)
    np.testing.assert_allclose(grown(beyond[:, None]), 3.0 * np.exp(-1.5 * beyond),
                               rtol=0.05, atol=1e-3)


def test_a_backend_is_extended_by_the_operators_it_lacks():
    backend = OperonBackend(unary_operators=("log",), random_state=3)
    grown = backend.extended(("exp", "log"))
    assert grown.unary_operators == ("log", "exp") and grown.random_state == 3
    assert backend.unary_operators == ("log",)  # a copy
    assert grown.extended(("exp",)) is None


def test_extra_operators_are_validated():
    with pytest.raises(ValueError, match="extra_operators"):
        MessageDistiller(extra_operators=3)._validate_params()
