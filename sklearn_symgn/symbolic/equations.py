"""The result type of symbolic regression: a Pareto front of expressions and a chosen one."""

import html
from dataclasses import dataclass, field

import numpy as np
import sympy
import torch

from .export import EquationModule

__all__ = ["Equation", "round_constants", "select_best"]

SELECTIONS = ("best", "accuracy", "simplest")


def round_constants(expr, digits=3):
    """Round the floating-point constants of ``expr`` for display.

    Constants within ``1e-3`` (relative) of an integer become that integer, the others keep
    ``digits`` significant digits; ``1.0000032*x*y/z**2`` prints as ``x*y/z**2``.
    """
    replacements = {}
    for f in expr.atoms(sympy.Float):
        value = float(f)
        nearest = round(value)
        if nearest != 0 and abs(value - nearest) <= 1e-3 * abs(value):
            replacements[f] = sympy.Integer(nearest)
        elif value == 0:
            replacements[f] = sympy.Integer(0)
        else:
            replacements[f] = sympy.Float(float(f"{value:.{digits}g}"), digits)
    return expr.xreplace(replacements)


def select_best(complexity, loss):
    """PySR's ``"best"`` rule: among rows with loss at most 1.5× the minimum, the row with the
    largest drop in log-loss per unit of complexity relative to the previous (simpler) row.

    Parameters
    ----------
    complexity, loss : array-like of shape (n_rows,)
        The Pareto front, sorted by increasing complexity.

    Returns
    -------
    index : int
    scores : ndarray of shape (n_rows,)
    """
    loss = np.maximum(np.asarray(loss, dtype=float), np.finfo(float).tiny)
    complexity = np.asarray(complexity, dtype=float)
    scores = np.zeros(len(loss))
    scores[1:] = -np.diff(np.log(loss)) / np.maximum(np.diff(complexity), 1.0)
    eligible = loss <= 1.5 * loss.min()
    return int(np.flatnonzero(eligible)[np.argmax(scores[eligible])]), scores


def _check_rows(X, variables):
    """``X`` as a float array of shape (n_rows, len(variables)), or a ValueError saying why not."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(variables):
        raise ValueError(
            f"X must have shape (n_rows, {len(variables)}) with columns {variables}; "
            f"got {X.shape}."
        )
    return X


def _numpy_function(expression, variables):
    """``expression`` compiled with NumPy into ``f(X)``, columns of ``X`` in ``variables`` order."""
    variables = list(variables)
    compiled = sympy.lambdify([sympy.Symbol(v) for v in variables], expression, modules="numpy")

    def function(X):
        X = _check_rows(X, variables)
        out = compiled(*X.T)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],)).copy()

    function.__doc__ = f"Evaluate {expression} on rows of X (columns {variables})."
    return function


@dataclass
class Equation:
    """A distilled equation ``target = f(variables)`` and the Pareto front it was chosen from.

    Attributes
    ----------
    target : str
        Name of the left-hand side (e.g. ``"phi1"``, a message component).
    variables : list of str
        Names of the input variables, in the column order of :meth:`__call__`.
    complexity, loss : ndarray
        The front, by increasing complexity (loss: mean squared error on the fit data).
    expressions : list of sympy.Expr
        The front's expressions, with full-precision constants.
    selection : {"best", "accuracy", "simplest"}
        How :attr:`index` was chosen: PySR's ``"best"`` score, the lowest loss, or the simplest.
    preferred : int or None
        Position (in the lists as given) of an expression chosen regardless of ``selection``,
        e.g. the chosen expression after pruning; ``None`` lets ``selection`` decide.

    Examples
    --------
    >>> import sympy
    >>> x, r = sympy.symbols("dx r")
    >>> eq = Equation("phi1", ["dx", "r"], [3, 7], [1.0, 1e-6], [2.0 * x, 1.50004 * x * (r - 1) / r])
    >>> print(eq)
    phi1 = 1.5*dx*(r - 1)/r
    >>> eq([[2.0, 2.0]]).round(3)
    array([1.5])
    """

    target: str
    variables: list
    complexity: np.ndarray
    loss: np.ndarray
    expressions: list
    selection: str = "best"
    preferred: int | None = field(default=None, repr=False)
    scores: np.ndarray = field(init=False, repr=False)
    index: int = field(init=False)

    def __post_init__(self):
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}; got {self.selection!r}.")
        if not len(self.expressions):
            raise ValueError("An Equation needs at least one expression on its front.")
        order = np.argsort(np.asarray(self.complexity), kind="stable")
        self.complexity = np.asarray(self.complexity, dtype=float)[order]
        self.loss = np.asarray(self.loss, dtype=float)[order]
        self.expressions = [self.expressions[k] for k in order]
        best, self.scores = select_best(self.complexity, self.loss)
        self.index = {"best": best, "accuracy": int(np.argmin(self.loss)), "simplest": 0}[
            self.selection
        ]
        if self.preferred is not None:
            self.index = int(np.flatnonzero(order == self.preferred)[0])
        self._func = None

    @property
    def expression(self):
        """The chosen expression (full precision)."""
        return self.expressions[self.index]

    def with_chosen(self, expression, complexity=None, loss=None):
        """A new equation whose front has ``expression`` added as the chosen row.

        For the chosen law after a change the search did not make (terms pruned, constants
        refitted): the other rows stay, so another one can still be chosen (:attr:`index`).

        Parameters
        ----------
        expression : sympy.Expr
            The new chosen expression, in :attr:`variables`.
        complexity, loss : float, default=None
            Its row on the front; ``None`` means those of the currently chosen row.

        Returns
        -------
        Equation

        Examples
        --------
        >>> import sympy
        >>> x = sympy.Symbol("dx")
        >>> eq = Equation("phi1", ["dx"], [1, 3], [1.0, 0.1], [sympy.Float(0.5), 2.01 * x])
        >>> refitted = eq.with_chosen(2.0 * x)
        >>> print(refitted)
        phi1 = 2*dx
        >>> len(refitted.expressions), refitted.index
        (3, 2)
        """
        row = self.index
        return Equation(
            self.target, list(self.variables),
            [*self.complexity, self.complexity[row] if complexity is None else complexity],
            [*self.loss, self.loss[row] if loss is None else loss],
            [*self.expressions, expression], self.selection, preferred=len(self.expressions),
        )

    def sympy(self, index=None):
        """The chosen (or the ``index``-th) expression, as a SymPy expression."""
        return self.expressions[self.index if index is None else index]

    def simplified(self, digits=3):
        """The chosen expression with rounded constants, simplified for reading."""
        expr = round_constants(self.expression, digits)
        if sympy.count_ops(expr) <= 60:
            expr = round_constants(sympy.simplify(expr), digits)
        return expr

    def latex(self, digits=3, mul_symbol=None):
        """LaTeX of ``target = expression`` (rounded constants).

        ``mul_symbol="dot"`` writes products explicitly (``x \\cdot y``), which parsers such as
        ``sympy.parsing.latex.parse_latex`` read back unambiguously.
        """
        lhs = sympy.latex(sympy.Symbol(self.target))
        return f"{lhs} = {sympy.latex(self.simplified(digits), mul_symbol=mul_symbol)}"

    def __str__(self):
        return f"{self.target} = {self.simplified()}"

    def __call__(self, X):
        """Evaluate the chosen expression on rows of ``X`` (columns in :attr:`variables` order)."""
        # compiled once per chosen row: setting ``index`` (or replacing the row) recompiles
        cached = self._func
        if cached is None or cached[0] != self.index or cached[1] is not self.expression:
            self._func = (self.index, self.expression,
                          _numpy_function(self.expression, self.variables))
        return self._func[2](X)

    def to_numpy(self):
        """The chosen expression as a plain NumPy function ``f(X)``.

        The function is bound to the expression chosen now: unlike calling the equation
        itself, it does not follow a later change of :attr:`index`. It does not pickle (it
        holds a lambdified function); pickle the equation instead.

        Returns
        -------
        function : callable
            ``function(X)`` takes an array of shape ``(n_rows, len(variables))``, columns in
            :attr:`variables` order, and returns an array of shape ``(n_rows,)``.

        Examples
        --------
        >>> import sympy
        >>> x, r = sympy.symbols("dx r")
        >>> eq = Equation("phi1", ["dx", "r"], [3, 7], [1.0, 1e-6], [2 * x, 2 * x * (r - 1) / r])
        >>> f = eq.to_numpy()
        >>> f([[1.0, 2.0], [3.0, 1.0]])
        array([1., 0.])
        """
        return _numpy_function(self.expression, self.variables)

    def to_torch(self, dtype=None):
        """The chosen expression as a differentiable :class:`torch.nn.Module`.

        Parameters
        ----------
        dtype : torch.dtype, default=None
            Data type of the module's constants; ``None`` means ``torch.float64``.

        Returns
        -------
        module : EquationModule
            ``module(X)`` maps a tensor of shape ``(n_rows, len(variables))`` to shape
            ``(n_rows,)`` with torch operations, so gradients reach ``X``; the floating-point
            constants are the parameter vector ``module.constants``, which an optimiser can
            fine-tune.

        Examples
        --------
        >>> import sympy, torch
        >>> x, r = sympy.symbols("dx r")
        >>> eq = Equation("phi1", ["dx", "r"], [3, 7], [1.0, 1e-6], [2 * x, 2.0 * x * (r - 1) / r])
        >>> module = eq.to_torch()
        >>> X = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
        >>> module(X).sum().backward()
        >>> X.grad  # d/d(dx) = 2 (r - 1) / r, d/dr = 2 dx / r**2
        tensor([[1.0000, 0.5000]], dtype=torch.float64)
        """
        return EquationModule(self.expression, self.variables,
                              dtype=torch.float64 if dtype is None else dtype)

    def front(self):
        """The Pareto front as a list of rows (complexity, loss, score, equation, chosen)."""
        return [
            {
                "complexity": int(c), "loss": float(loss), "score": float(s),
                "equation": str(round_constants(e)), "chosen": k == self.index,
            }
            for k, (c, loss, s, e) in enumerate(
                zip(self.complexity, self.loss, self.scores, self.expressions)
            )
        ]

    def front_table(self):
        """The Pareto front as aligned text, one row per expression."""
        lines = [f"{'':2}{'complexity':>10} {'loss':>11} {'score':>8}  equation"]
        for row in self.front():
            mark = "* " if row["chosen"] else "  "
            lines.append(
                f"{mark}{row['complexity']:>10} {row['loss']:>11.4g} {row['score']:>8.3f}  "
                f"{row['equation']}"
            )
        return "\n".join(lines)

    def table(self):
        """The Pareto front as a :class:`pandas.DataFrame`, like PySR's ``equations_``.

        Returns
        -------
        table : pandas.DataFrame
            One row per expression, by increasing complexity, with columns ``complexity``,
            ``loss``, ``score``, ``equation`` (text, constants rounded), ``sympy`` (the
            full-precision SymPy expression) and ``chosen`` (True on the row at :attr:`index`).

        Examples
        --------
        >>> import sympy
        >>> x, r = sympy.symbols("dx r")
        >>> eq = Equation("phi1", ["dx", "r"], [3, 7], [1.0, 1e-6], [2 * x, 2 * x * (r - 1) / r])
        >>> table = eq.table()
        >>> list(table.columns)
        ['complexity', 'loss', 'score', 'equation', 'sympy', 'chosen']
        >>> table.loc[table["chosen"], "equation"].item()
        '2*dx*(r - 1)/r'
        """
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError("Equation.table() needs pandas; install it with "
                              "`pip install pandas` (or use Equation.front()).") from error
        rows = [{**row, "sympy": expr} for row, expr in zip(self.front(), self.expressions)]
        return pd.DataFrame(rows, columns=["complexity", "loss", "score", "equation", "sympy",
                                           "chosen"])

    def _repr_latex_(self):
        """Jupyter's LaTeX display: ``$target = expression$``."""
        return f"${self.latex()}$"

    def _repr_html_(self):
        """Jupyter's HTML display: the chosen equation (as LaTeX) over the front; * = chosen."""
        cells = "".join(f"<th>{name}</th>" for name in ("", "complexity", "loss", "score",
                                                        "equation"))
        rows = [f"<tr>{cells}</tr>"]
        for row in self.front():
            style = ' style="font-weight: bold"' if row["chosen"] else ""
            rows.append(
                f"<tr{style}><td>{'*' if row['chosen'] else ''}</td>"
                f"<td>{row['complexity']}</td><td>{row['loss']:.4g}</td>"
                f"<td>{row['score']:.3f}</td><td>{html.escape(row['equation'])}</td></tr>"
            )
        caption = html.escape(self._repr_latex_())
        return f"<table>\n<caption>{caption}</caption>\n" + "\n".join(rows) + "\n</table>"

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_func"] = None  # lambdified functions do not pickle
        return state

    def __repr__(self):
        return f"Equation({self}, complexity={int(self.complexity[self.index])}, " \
               f"loss={self.loss[self.index]:.4g})"
