"""Equations as PyTorch modules: a SymPy expression evaluated with differentiable torch operations."""

import functools
import operator

import sympy
import torch

from ..graphs.builders import minimum_image

__all__ = ["EquationModule", "GraphEquationModule"]


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


class GraphEquationModule(torch.nn.Module):
    """Distilled message and node equations as one differentiable module on graphs.

    ``forward(x, edge_index)`` computes what :class:`~sklearn_symgn.distillation.SymbolicGraphModel`
    predicts, with torch operations: the edge variables (``d<p>`` per position column, ``r``,
    then ``<c>_i``, ``<c>_j`` for every other column), each message equation on every edge,
    their sums at the receivers, and each node equation on ``[sums, x]``. Built by
    :meth:`SymbolicGraphModel.to_torch <sklearn_symgn.distillation.SymbolicGraphModel.to_torch>`.

    Parameters
    ----------
    edge_modules, node_modules : list of EquationModule
        The message equations (``phi1, phi2, ...``) and the node equations, one per target.
    position_columns : list of int
        Coordinate columns of ``x``.
    n_features : int
        Columns of ``x``.
    box : sequence of float, default=None
        Periodic box lengths (one per position column): displacements are minimum images.

    Examples
    --------
    >>> import sympy, torch
    >>> dx, r, phi1 = sympy.symbols("dx r phi1")
    >>> spring = EquationModule(2.0 * dx * (r - 1) / r, ["dx", "r"])
    >>> node = EquationModule(phi1, ["phi1", "x"])
    >>> module = GraphEquationModule([spring], [node], [0], 1)
    >>> x = torch.tensor([[0.0], [3.0]], dtype=torch.float64)
    >>> module(x, torch.tensor([[1, 0], [0, 1]]))  # senders, receivers
    tensor([[ 4.],
            [-4.]], dtype=torch.float64, grad_fn=<StackBackward0>)
    """

    def __init__(self, edge_modules, node_modules, position_columns, n_features, box=None):
        super().__init__()
        self.box = None if box is None else [float(b) for b in box]
        self.edge_modules = torch.nn.ModuleList(edge_modules)
        self.node_modules = torch.nn.ModuleList(node_modules)
        self.position_columns = [int(p) for p in position_columns]
        self.n_features = int(n_features)

    def edge_table(self, x, edge_index):
        """Edge variables of every edge, shape ``(n_edges, n_variables)``."""
        sender, receiver = edge_index
        x_i, x_j = x[receiver], x[sender]
        columns = []
        if self.position_columns:
            d = minimum_image(x_j[:, self.position_columns] - x_i[:, self.position_columns],
                              self.box)
            columns += [d, torch.linalg.vector_norm(d, dim=1, keepdim=True)]
        for c in range(self.n_features):
            if c not in self.position_columns:
                columns += [x_i[:, c:c + 1], x_j[:, c:c + 1]]
        return torch.cat(columns, dim=1)

    def forward(self, x, edge_index):
        """Node predictions.

        Parameters
        ----------
        x : torch.Tensor of shape (n_nodes, n_features)
            Node features (the nodes of several graphs may be stacked, as in PyG batches),
            cast to the data type of the constants.
        edge_index : torch.Tensor of shape (2, n_edges)
            Row 0 senders ``j``, row 1 receivers ``i`` (PyG's ``source_to_target``).

        Returns
        -------
        y : torch.Tensor of shape (n_nodes, n_targets)
        """
        x, edge_index = torch.as_tensor(x), torch.as_tensor(edge_index)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"x must be a tensor of shape (n_nodes, {self.n_features}); got "
                             f"shape {tuple(x.shape)}.")
        if edge_index.ndim != 2 or edge_index.shape[0] != 2 or edge_index.is_floating_point():
            raise ValueError("edge_index must be an integer tensor of shape (2, n_edges); got "
                             f"{edge_index.dtype} of shape {tuple(edge_index.shape)}.")
        x = x.to(self.edge_modules[0].constants.dtype)  # the constants' precision
        table = self.edge_table(x, edge_index)
        phi = torch.stack([m(table) for m in self.edge_modules], dim=1)
        sums = torch.zeros((x.shape[0], phi.shape[1]), dtype=phi.dtype, device=phi.device)
        sums = sums.index_add(0, edge_index[1], phi)
        nodes = torch.cat([sums, x], dim=1)
        return torch.stack([m(nodes) for m in self.node_modules], dim=1)
