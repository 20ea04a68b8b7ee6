import pickle
import subprocess
import sys

import numpy as np
import pytest
import sympy

from sklearn_symgn.symbolic import Equation, OperonBackend, PySRBackend, round_constants
from sklearn_symgn.symbolic._parse import parse_infix
from sklearn_symgn.symbolic.equations import select_best
from sklearn_symgn.symbolic.operon import BINARY, UNARY  # noqa: F401
from sklearn_symgn.symbolic.pysr import import_pysr

x, y, z, r, dx = sympy.symbols("x y z r dx")


def test_round_constants():
    assert round_constants(1.0000032 * x * y / z**2) == x * y / z**2
    assert str(round_constants(0.1234567 * x + 2.5e-7)) == "0.123*x + 2.5e-7"


def test_select_best_is_pysr_rule():
    # the drop from 1.0 to 1e-4 at complexity 7 beats the later small gains
    index, scores = select_best([3, 7, 9, 15], [1.0, 1e-4, 0.9e-4, 0.8e-4])
    assert index == 1 and scores[1] == pytest.approx(-np.log(1e-4) / 4)
    # rows with loss above 1.5x the minimum are not eligible
    index, _ = select_best([1, 2], [1.0, 0.1])
    assert index == 1


def test_equation_selection_evaluation_and_pickle():
    eq = Equation("phi1", ["dx", "r"], [3, 7, 11],
                  [1.0, 1e-6, 0.9e-6], [2.0 * dx, 1.50004 * dx * (r - 1) / r, dx * r])
    assert str(eq) == "phi1 = 1.5*dx*(r - 1)/r"
    assert Equation("a", ["dx", "r"], [3, 7], [1.0, 0.5], [dx, r], selection="simplest").index == 0
    np.testing.assert_allclose(eq([[2.0, 4.0], [1.0, 1.0]]), [1.50004 * 2 * 3 / 4, 0.0])
    assert eq([[1.0, 2.0]] * 3).shape == (3,)
    with pytest.raises(ValueError, match="columns"):
        eq(np.zeros((2, 3)))
    clone = pickle.loads(pickle.dumps(eq))
    np.testing.assert_allclose(clone([[2.0, 4.0]]), eq([[2.0, 4.0]]))
    assert "* " in eq.front_table() and len(eq.front()) == 3
    with pytest.raises(ValueError, match="selection"):
        Equation("a", ["x"], [1], [1.0], [x], selection="median")


def test_latex_round_trip():
    from sympy.parsing.latex import parse_latex

    m_i = sympy.Symbol("m_i")
    eq = Equation("a_x", ["x", "r", "m_i"], [9], [1e-3], [0.5004 * x * (r - 1) / (r * m_i)])
    lhs, rhs = eq.latex().split(" = ")
    assert lhs == "a_{x}"
    assert rhs == sympy.latex(eq.simplified())
    # explicit products: LaTeX's "x \left(r - 1\right)" would read as a function call
    parsed = parse_latex(eq.latex(mul_symbol="dot").split(" = ")[1])
    by_name = {"x": x, "r": r, "m_{i}": m_i}
    parsed = parsed.xreplace({s: by_name[s.name] for s in parsed.free_symbols})
    assert sympy.simplify(parsed - eq.simplified()) == 0


def test_parse_infix_names_and_operators():
    expr = parse_infix("(1.5 * X1) * (X2 ^ 2) / sqrt(abs(X3)) + exp(X1)", ["dx", "m_j", "q i"])
    (dx_, m_j), qi = sympy.symbols("dx m_j"), sympy.Symbol("q i")
    assert expr == 1.5 * dx_ * m_j**2 / sympy.sqrt(sympy.Abs(qi)) + sympy.exp(dx_)


def test_operon_recovers_a_law_repeatably():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, size=(500, 4))
    target = X[:, 0] * X[:, 1] / X[:, 2]
    backend = OperonBackend(max_time=None, generations=30, population_size=300, random_state=1)
    eq = backend.fit(X, target, ["m1", "m2", "r", "noise"], target_name="F").equation_
    m1, m2, rr = sympy.symbols("m1 m2 r")
    assert sympy.simplify(eq.simplified() - m1 * m2 / rr) == 0
    assert str(eq) == "F = m1*m2/r"
    again = OperonBackend(max_time=None, generations=30, population_size=300, random_state=1)
    assert str(again.fit(X, target, ["m1", "m2", "r", "noise"], target_name="F").equation_) == str(eq)


def test_operon_restarts_merge_their_fronts():
    rng = np.random.default_rng(1)
    X = rng.uniform(0.5, 2.0, size=(300, 3))
    target = X[:, 0] / X[:, 1] ** 2 + 0.3 * X[:, 2]
    kwargs = {"max_time": None, "generations": 4, "population_size": 60}
    runs = [OperonBackend(random_state=seed, **kwargs).fit(X, target).equation_ for seed in (5, 6)]
    merged = OperonBackend(random_state=5, n_restarts=2, **kwargs).fit(X, target).equation_
    assert merged.loss.min() <= min(eq.loss.min() for eq in runs) * (1 + 1e-9)
    assert np.all(np.diff(merged.loss) < 0)  # still a Pareto front
    with pytest.raises(ValueError, match="n_restarts"):
        OperonBackend(n_restarts=0).fit(X, target)


@pytest.mark.parametrize("op", sorted(UNARY))
def test_every_documented_unary_operator_runs(op):
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, size=(100, 2))
    backend = OperonBackend(unary_operators=(op,), max_time=None, generations=2,
                            population_size=30, random_state=0)
    assert np.isfinite(backend.fit(X, X[:, 0] ** 2).equation_.loss).all()


def test_step_operators_find_a_discontinuous_law():
    """floor/fmin/fmax express a force that switches on at r = 2 (the discontinuous system)."""
    rng = np.random.default_rng(0)
    r = rng.uniform(0.1, 4.0, size=(600, 1))
    target = np.where(r[:, 0] >= 2, 2 * (r[:, 0] - 1), 0.0)
    backend = OperonBackend(binary_operators=("add", "sub", "mul", "div", "fmin", "fmax"),
                            unary_operators=("floor",), max_time=None, generations=300,
                            population_size=300, max_length=15, random_state=0,
                            selection="accuracy")
    eq = backend.fit(r, target, ["r"]).equation_
    assert eq.expression.has(sympy.floor) or eq.expression.has(sympy.Max, sympy.Min)
    np.testing.assert_allclose(eq(np.array([[1.0], [1.9], [2.1], [3.5]])), [0, 0, 2.2, 5.0],
                               atol=0.05)


def test_backend_validation():
    X = np.ones((10, 2))
    with pytest.raises(ValueError, match="unary_operators"):
        OperonBackend(unary_operators=("erf",)).fit(X, np.ones(10))
    with pytest.raises(ValueError, match="feature_names"):
        OperonBackend().fit(X, np.ones(10), ["a"])
    with pytest.raises(ValueError, match="1-D"):
        OperonBackend().fit(X, np.ones((10, 2)))
    with pytest.raises(ValueError, match="max_time"):
        OperonBackend(max_time=-1).fit(X, np.ones(10))


def test_importing_package_does_not_import_pysr():
    code = "import sys, sklearn_symgn, sklearn_symgn.symbolic; print('pysr' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pysr_missing_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "pysr", None)  # makes `import pysr` fail
    with pytest.raises(ImportError, match=r"pip install 'sklearn-symgn\[pysr\]'"):
        import_pysr()
    with pytest.raises(ImportError, match="Julia"):
        PySRBackend().fit(np.ones((5, 1)), np.ones(5))


def test_pysr_translation_layer():
    import pandas as pd

    backend = PySRBackend(unary_operators=("exp",), niterations=5, deterministic=True,
                          random_state=3, timeout_in_seconds=30, selection="accuracy")
    params = backend._pysr_params()
    assert params["unary_operators"] == ["exp"] and params["parallelism"] == "serial"
    assert params["model_selection"] == "accuracy" and params["timeout_in_seconds"] == 30
    with pytest.raises(ValueError, match="random_state"):
        PySRBackend(deterministic=True)._pysr_params()
    table = pd.DataFrame({"complexity": [1, 5], "loss": [2.0, 0.01],
                          "sympy_format": [sympy.Float(0.5), sympy.sympify("v0*v1/v2")]})
    rows = PySRBackend._front_rows(table, ["v0", "v1", "v2"])
    assert [(c, loss) for c, loss, _ in rows] == [(1, 2.0), (5, 0.01)]
    assert rows[1][2] == sympy.sympify("v0*v1/v2")


def _julia_available():
    try:
        import_pysr()
    except ImportError as exc:
        return str(exc)
    return None


@pytest.mark.pysr
@pytest.mark.skipif(_julia_available() is not None,
                    reason="PySR/Julia unavailable here (no internet to install Julia)")
def test_real_pysr_recovers_a_law():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, size=(300, 2))
    backend = PySRBackend(niterations=20, deterministic=True, random_state=0)
    eq = backend.fit(X, X[:, 0] * X[:, 1], ["a", "b"]).equation_
    a, b = sympy.symbols("a b")
    assert sympy.simplify(eq.simplified() - a * b) == 0


def test_prune_terms_removes_what_does_not_pay_and_keeps_what_does():
    from sklearn_symgn.symbolic.parsimony import prune_terms

    rng = np.random.default_rng(0)
    r_ = rng.uniform(0.5, 5.0, 500)
    m = np.exp(rng.normal(size=500))
    X = np.column_stack([r_, m])
    truth = 0.02 * m / r_**2 * (1 + 1e-3 * rng.normal(size=500))
    pruned, removed = prune_terms(sympy.sympify("0.02*m/r**2 - 0.00018"), X, truth, ["r", "m"])
    assert str(round_constants(pruned)) == "0.02*m/r**2" and len(removed) == 1
    spring = 2 * (r_ - 1)  # a rest length is a real term: removing it costs most of R²
    kept, removed = prune_terms(sympy.sympify("2.0*r - 2.0"), X, spring, ["r", "m"])
    assert not removed and kept == sympy.sympify("2.0*r - 2.0")
    small = spring + 0.001 * m  # a real but tiny term: kept only when nothing may get worse
    law = sympy.sympify("2.0*r - 2.0 + 0.001*m")
    assert not prune_terms(law, X, small, ["r", "m"], tolerance=0.0)[1]
    pruned, removed = prune_terms(law, X, small, ["r", "m"])
    assert len(removed) == 1 and sympy.Symbol("m") not in pruned.free_symbols


def test_backend_holds_out_rows_leaves_out_constant_columns_and_prunes():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.uniform(1, 2, 400), np.ones(400), rng.uniform(1, 2, 400)])
    target = 3 * X[:, 0] * X[:, 2] + 0.001 * rng.normal(size=400)
    backend = OperonBackend(generations=20, population_size=200, random_state=0)
    eq = backend.fit(X, target, ["a", "m", "b"]).equation_
    assert "m" not in {s.name for e in eq.expressions for s in e.free_symbols}
    assert str(eq) == "y = 3*a*b"
    # the losses of the front are held-out losses: the chosen one is the held-out error
    search, held = backend._split(400)
    assert len(held) == 100 and not set(search) & set(held)
    np.testing.assert_allclose(eq.loss[eq.index],
                               np.mean((eq(X[held]) - target[held]) ** 2), rtol=1e-6)
    none_held = OperonBackend(generations=5, population_size=50, random_state=0,
                              validation_fraction=0.0)
    assert len(none_held._split(400)[1]) == 0


def test_operon_budget_is_in_generations_and_the_safety_cap_warns(monkeypatch):
    import sklearn_symgn.symbolic.operon as operon

    rng = np.random.default_rng(2)
    X = rng.uniform(1, 2, size=(300, 2))
    fits = [str(OperonBackend(population_size=100, random_state=3).fit(X, X[:, 0] / X[:, 1])
                .equation_.front_table()) for _ in range(2)]
    assert fits[0] == fits[1]  # a generation budget: repeatable
    clock = iter(np.arange(0.0, 1e6, 1000.0))
    monkeypatch.setattr(operon.time, "perf_counter", lambda: next(clock))
    with pytest.warns(RuntimeWarning, match="wall-clock cap max_time"):
        OperonBackend(generations=5, population_size=50, max_time=1, random_state=0).fit(
            X, X[:, 0], ["a", "b"])


def test_operon_early_stopping_rules():
    """An exact law stops at the first look; a noisy one once its chosen row has settled (after
    20 generations); piecewise operators need the chosen row to stay over a longer window; the
    count is repeatable; early_stopping=False runs every generation."""
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, size=(400, 2))
    kwargs = {"max_time": None, "generations": 60, "population_size": 200, "random_state": 0}
    exact = OperonBackend(**kwargs).fit(X, X[:, 0] * X[:, 1], ["a", "b"])
    assert exact.generations_run_ == [5] and str(exact.equation_.simplified()) == "a*b"
    noisy_y = X[:, 0] * X[:, 1] + rng.normal(scale=0.05, size=400)
    noisy = OperonBackend(**kwargs).fit(X, noisy_y, ["a", "b"])
    assert 20 <= noisy.generations_run_[0] < 60
    assert OperonBackend(**kwargs).fit(X, noisy_y, ["a", "b"]).generations_run_ == \
        noisy.generations_run_
    steps = OperonBackend(**kwargs, binary_operators=("add", "mul", "fmin")).fit(
        X, noisy_y, ["a", "b"])
    assert steps.generations_run_[0] >= max(55, noisy.generations_run_[0])
    full = OperonBackend(**kwargs, early_stopping=False).fit(X, noisy_y, ["a", "b"])
    assert full.generations_run_ == [60]
