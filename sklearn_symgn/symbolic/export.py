"""Equations as PyTorch modules: a SymPy expression evaluated with differentiable torch operations."""

import functools
import operator

import sympy
import torch

__all__ = ["EquationModule"]


def _reduce(function):
    return lambda *args: functools.reduce(function, args)


def _heaviside(x, value_at_zero):
    return torch.heaviside(x, value_at_zero.to(x.dtype))


#: SymPy node types and the torch operation evaluating them (arguments already evaluated).
OPERATIONS = {
    sympy.Add: _reduce(operator.add), sympy.Mul: _reduce(operator.mul),
    sympy.exp: torch.exp, sympy.log: torch.log,
    sympy.sin: torch.sin, sympy.cos: torch.cos, sympy.tan: torch.tan,
    sympy.sinh: torch.sinh, sympy.cosh: torch.cosh, sympy.tanh: torch.tanh,
    sympy.asin: torch.asin, sympy.acos: torch.acos, sympy.atan: torch.atan,
    sympy.Abs: torch.abs, sympy.sign: torch.sign,
    sympy.floor: torch.floor, sympy.ceiling: torch.ceil,
    sympy.Min: _reduce(torch.minimum), sympy.Max: _reduce(torch.maximum),
    sympy.Heaviside: _heaviside,
    sympy.StrictLessThan: torch.lt, sympy.LessThan: torch.le,
    sympy.StrictGreaterThan: torch.gt, sympy.GreaterThan: torch.ge,
    sympy.Equality: torch.eq, sympy.Unequality: torch.ne,
    sympy.And: _reduce(torch.logical_and), sympy.Or: _reduce(torch.logical_or),
    sympy.Not: torch.logical_not,
}


def _evaluate(expr, leaf):
    """``expr`` evaluated with torch operations; ``leaf(node)`` gives the tensor of a symbol, a
    fitted (float) constant or an exact number."""
    if isinstance(expr, (sympy.Symbol, sympy.Float)) or (
            expr.is_number and not expr.has(sympy.Float)):
        return leaf(expr)
    if isinstance(expr, sympy.Pow):
        base, exponent = expr.args
        if exponent.is_Integer:  # an integer power stays defined for negative bases
            return _evaluate(base, leaf) ** int(exponent)
        return torch.pow(_evaluate(base, leaf), _evaluate(exponent, leaf))
    if isinstance(expr, sympy.Piecewise):
        return _piecewise(expr, leaf)
    operation = OPERATIONS.get(type(expr))
    if operation is None:
        supported = sorted(t.__name__ for t in OPERATIONS)
        raise ValueError(f"Cannot translate the SymPy node {expr} (type {type(expr).__name__}) "
                         f"to torch; supported: Pow, Piecewise, symbols, numbers and "
                         f"{', '.join(supported)}.")
    return operation(*(_evaluate(arg, leaf) for arg in expr.args))


def _piecewise(expr, leaf):
    """``Piecewise((value, condition), ...)``: the first condition that holds; NaN if none."""
    result = None
    for value, condition in reversed(expr.args):
        if condition == sympy.false:
            continue
        value = _evaluate(value, leaf)
        if condition == sympy.true:
            result = value
        else:
            otherwise = torch.full_like(value, float("nan")) if result is None else result
            result = torch.where(_evaluate(condition, leaf), value, otherwise)
    if result is None:
        raise ValueError(f"The Piecewise node {expr} has no condition that can hold.")
    return result


class EquationModule(torch.nn.Module):
    """A SymPy expression as a differentiable :class:`torch.nn.Module`.

    ``forward(X)`` evaluates the expression with torch operations on the columns of ``X``, so
    gradients flow to the input and to the expression's floating-point constants, which are the
    entries of the parameter vector :attr:`constants` (equal constants share one entry). Exact
    numbers (integers, rationals, ``pi``) stay fixed.

    Parameters
    ----------
    expression : sympy.Expr
        The expression, built from ``+``, ``*``, powers, ``exp``, ``log``, ``sqrt``, the
        trigonometric and hyperbolic functions, ``Abs``, ``sign``, ``floor``, ``ceiling``,
        ``Min``, ``Max``, ``Heaviside`` and ``Piecewise``.
    variables : list of str
        Names of the expression's symbols, in the column order of ``X``.
    dtype : torch.dtype, default=torch.float64
        Data type of :attr:`constants` (the module's ``.to()`` changes it later).

    Attributes
    ----------
    constants : torch.nn.Parameter of shape (n_constants,)
        The expression's floating-point constants, in order of first appearance.

    Examples
    --------
    >>> import sympy, torch
    >>> dx, r = sympy.symbols("dx r")
    >>> module = EquationModule(2.0 * dx * (r - 1) / r, ["dx", "r"])
    >>> module.constants
    Parameter containing:
    tensor([2.], dtype=torch.float64, requires_grad=True)
    >>> X = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    >>> module(X)
    tensor([1.], dtype=torch.float64, grad_fn=<...>)
    """

    def __init__(self, expression, variables, *, dtype=torch.float64):
        super().__init__()
        self.expression = sympy.sympify(expression)
        self.variables = [str(v) for v in variables]
        unknown = {str(s) for s in self.expression.free_symbols} - set(self.variables)
        if unknown:
            raise ValueError(f"expression uses {sorted(unknown)}, which are not among the "
                             f"variables {self.variables}.")
        floats = list(dict.fromkeys(node for node in sympy.preorder_traversal(self.expression)
                                    if isinstance(node, sympy.Float)))
        self.constant_positions = {f: k for k, f in enumerate(floats)}
        self.constants = torch.nn.Parameter(torch.tensor([float(f) for f in floats],
                                                         dtype=dtype))
        self(torch.zeros((0, len(self.variables)), dtype=dtype))  # unsupported nodes fail here

    def forward(self, X):
        """The expression on every row of ``X``.

        Parameters
        ----------
        X : torch.Tensor of shape (n_rows, n_variables)
            Columns in the order of ``variables``; integer tensors are cast to the dtype of
            :attr:`constants`.

        Returns
        -------
        y : torch.Tensor of shape (n_rows,)
        """
        X = torch.as_tensor(X)
        if X.ndim != 2 or X.shape[1] != len(self.variables):
            raise ValueError(f"X must be a tensor of shape (n_rows, {len(self.variables)}) with "
                             f"columns {self.variables}; got shape {tuple(X.shape)}.")
        if not torch.is_floating_point(X):
            X = X.to(self.constants.dtype)
        out = _evaluate(self.expression, functools.partial(self._leaf, X))
        return torch.broadcast_to(out, (X.shape[0],))

    def _leaf(self, X, node):
        if isinstance(node, sympy.Symbol):
            return X[:, self.variables.index(str(node))]
        if isinstance(node, sympy.Float):
            return self.constants[self.constant_positions[node]]
        try:
            value = float(node)
        except TypeError as error:
            raise ValueError(f"The constant {node} of the expression is not a real number.") \
                from error
        return torch.tensor(value, dtype=X.dtype, device=X.device)

    def extra_repr(self):
        return f"{self.expression}, variables={self.variables}"
