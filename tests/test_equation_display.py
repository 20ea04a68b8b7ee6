"""Equations you can see and take away: table, notebook display, NumPy and torch exports."""

import pickle
import sys

import numpy as np
import pytest
import sympy
import torch

from sklearn_symgn.symbolic import Equation, EquationModule

dx, r, q = sympy.symbols("dx r q")
X = np.array([[0.5, 2.0, 1.0], [-1.5, 0.7, -2.0], [2.0, 3.5, 0.3], [-0.2, 1.2, 4.0]])


def _spring():
    """A three-row front whose "best" row is the spring law."""
    return Equation("phi1", ["dx", "r", "q"], [5, 3, 9], [1e-6, 1.0, 9e-7],
                    [1.9998 * dx * (r - 1) / r, 2.0 * dx, 1.9998 * dx * (r - 1) / r + 1e-4 * q])


def test_table_lists_the_front_with_full_precision_and_the_choice():
    pytest.importorskip("pandas")
    eq = _spring()
    table = eq.table()
    assert list(table.columns) == ["complexity", "loss", "score", "equation", "sympy", "chosen"]
    assert table["complexity"].tolist() == [3, 5, 9]
    assert table["chosen"].tolist() == [False, True, False]
    assert table["equation"][1] == "2*dx*(r - 1)/r"  # rounded for reading
    assert table["sympy"][1] == 1.9998 * dx * (r - 1) / r  # full precision
    eq.index = 2
    assert eq.table()["chosen"].tolist() == [False, False, True]


def test_table_without_pandas_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` fails
    with pytest.raises(ImportError, match="pip install pandas"):
        _spring().table()


def test_notebook_displays():
    eq = _spring()
    latex = eq._repr_latex_()
    assert latex.startswith("$") and latex.endswith("$") and latex[1:-1] == eq.latex()
    assert r"\phi_{1} =" in latex
    page = eq._repr_html_()
    assert page.count("<tr") == 4 and page.count("<td>*</td>") == 1
    chosen = next(line for line in page.splitlines() if "<td>*</td>" in line)
    assert "2*dx*(r - 1)/r" in chosen
    step = Equation("a<b", ["dx", "r"], [1], [0.0],
                    [sympy.Piecewise((dx, r < 2), (0, True))])
    page = step._repr_html_()
    assert "r &lt; 2" in page and "a&lt;b" in page
    assert "r < 2" not in page and "a<b" not in page

def test_to_numpy_equals_the_equation_and_keeps_its_row():
    eq = _spring()
    f = eq.to_numpy()
    np.testing.assert_array_equal(f(X), eq(X))
    np.testing.assert_allclose(f(X[:1]), [1.9998 * 0.5 * 1.0 / 2.0])
    eq.index = 0
    assert not np.allclose(f(X), eq(X))  # bound to the row chosen when exported
    np.testing.assert_array_equal(eq.to_numpy()(X), eq(X))


def test_changing_the_index_changes_the_evaluation():
    eq = _spring()
    spring = eq(X)
    eq.index = 0
    np.testing.assert_allclose(eq(X), 2.0 * X[:, 0])
    eq.index = 1
    np.testing.assert_array_equal(eq(X), spring)
    eq.expressions[1] = 3.0 * dx  # replacing the chosen row counts too
    np.testing.assert_allclose(eq(X), 3.0 * X[:, 0])
    restored = pickle.loads(pickle.dumps(eq))
    np.testing.assert_allclose(restored(X), 3.0 * X[:, 0])


@pytest.mark.parametrize("bad", [X[:, :2], X[0], X[None]])
def test_bad_shapes_raise(bad):
    eq = _spring()
    with pytest.raises(ValueError, match=r"shape \(n_rows, 3\)"):
        eq(bad)
    with pytest.raises(ValueError, match=r"shape \(n_rows, 3\)"):
        eq.to_numpy()(bad)
    with pytest.raises(ValueError, match=r"shape \(n_rows, 3\)"):
        eq.to_torch()(torch.as_tensor(bad))


EXPRESSIONS = [
    1.9998 * dx * (r - 1) / r,
    sympy.exp(-0.5 * r) * sympy.log(r) + sympy.sqrt(r) * dx**2,
    sympy.Abs(q) / r**3 - dx**-1,
    sympy.Min(1, sympy.floor(r / 2)) + sympy.Max(dx, q, 0.25),
    sympy.tanh(dx) * sympy.sin(r) + sympy.cos(q) + sympy.ceiling(q) + sympy.cbrt(r),
    r ** 1.5 + sympy.pi * sympy.sign(dx) + sympy.Heaviside(q),
    sympy.Piecewise((dx, r < 1), (q * r, r <= 3), (sympy.Float(2.5), True)),
    sympy.Float(4.25),
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_to_torch_matches_numpy(expr):
    eq = Equation("y", ["dx", "r", "q"], [1], [0.0], [expr])
    module = eq.to_torch()
    out = module(torch.tensor(X))
    assert out.shape == (len(X),) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), eq(X), rtol=1e-12)
    out32 = eq.to_torch(dtype=torch.float32)(torch.tensor(X, dtype=torch.float32))
    np.testing.assert_allclose(out32.detach().numpy(), eq(X), rtol=1e-5)


def test_torch_gradients_are_analytic_and_constants_are_parameters():
    module = Equation("phi1", ["dx", "r"], [1], [0.0], [2.0 * dx * (r - 1) / r]).to_torch()
    inputs = torch.tensor(X[:, :2], requires_grad=True)
    module(inputs).sum().backward()
    x, rr = X[:, 0], X[:, 1]
    np.testing.assert_allclose(inputs.grad[:, 0].numpy(), 2 * (rr - 1) / rr)
    np.testing.assert_allclose(inputs.grad[:, 1].numpy(), 2 * x / rr**2)
    (constant,) = module.parameters()
    np.testing.assert_allclose(constant.grad.numpy(), [np.sum(x * (rr - 1) / rr)])
    with torch.no_grad():
        constant.fill_(3.0)  # a fine-tuned constant changes the output
    np.testing.assert_allclose(module(torch.tensor(X[:, :2])).detach().numpy(),
                               3 * x * (rr - 1) / rr)


def test_equal_constants_share_a_parameter_and_exact_numbers_stay_fixed():
    module = EquationModule(0.5 * dx + 0.5 * r**2 + sympy.Rational(1, 3), ["dx", "r"])
    assert module.constants.shape == (1,)
    assert module.state_dict()["constants"].tolist() == [0.5]


def test_torch_rejects_what_it_cannot_translate():
    with pytest.raises(ValueError, match="gamma"):
        EquationModule(sympy.gamma(dx), ["dx"])
    with pytest.raises(ValueError, match=r"\['r'\]"):
        EquationModule(dx * r, ["dx"])
    with pytest.raises(ValueError, match="not a real number"):
        EquationModule(sympy.I * dx, ["dx"])
