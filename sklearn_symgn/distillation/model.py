"""The distilled equations as a model that predicts from the graphs alone."""

import numpy as np
import sympy
from sklearn.base import BaseEstimator, RegressorMixin

from .._validation import Int, check_finite_equations
from ..base import GraphScoreMixin
from ..graphs.inputs import CHUNK_PAIRS, to_graph_input
from ..symbolic import GraphEquationModule
from ..symbolic.parsimony import fit_constants
from .display import EquationsDisplayMixin
from .variables import graph_edge_table, node_variables, sum_at_receivers

__all__ = ["SymbolicGraphModel"]


class SymbolicGraphModel(EquationsDisplayMixin, GraphScoreMixin, RegressorMixin, BaseEstimator):
    """The distilled equations as a model: ``y_i = node_eq(sum_j edge_eq(e_ij), x_i)``.

    Built by :meth:`SymbolicGNRegressor.distill <sklearn_symgn.SymbolicGNRegressor.distill>`
    (it is not trained by itself); ``predict`` and ``score`` take the same inputs as the network,
    so network and equations can be scored on the same held-out or out-of-distribution data.

    Parameters
    ----------
    edge_equations : list of Equation
        One per significant message component.
    node_equations : list of Equation
        One per target component.
    feature_names : list of str
        Node feature names (their count is ``n_features_in_``).
    position_columns : list of int
        Coordinate columns.
    graph : graph builder
        Builds the edges of array inputs (and of ``Data`` without ``edge_index``).
    node_target_shape : tuple, default=(1,)
        Shape of one node's targets as the user gave them: ``(n_targets,)`` or ``()``.
    max_nfev : int, default=50
        Evaluations of the least-squares refit of the constants in :meth:`fit`, per free
        constant (plus one): a refit that has not converged by then keeps its best constants
        (a well-posed law converges within a few dozen).

    Attributes
    ----------
    edge_equations_, node_equations_ : list of Equation
        After :meth:`fit`: the equations with refitted constants (same structure), which
        :meth:`predict` then uses.
    loss_ : float
        Mean squared error on the targets after the last fit or refit.
    constants_ : ndarray
        After :meth:`fit`: the refitted constants, in the order of :attr:`constants_start_`.
    constants_start_ : ndarray
        After :meth:`fit`: the distilled constants the refit started from.
    """

    _parameter_constraints: dict = {
        "edge_equations": [list], "node_equations": [list], "feature_names": ["array-like"],
        "position_columns": ["array-like"], "graph": "no_validation",
        "node_target_shape": [tuple], "max_nfev": [Int(1)],
    }

    def __init__(self, edge_equations, node_equations, feature_names, position_columns, graph,
                 node_target_shape=(1,), max_nfev=50):
        self.edge_equations = edge_equations
        self.node_equations = node_equations
        self.feature_names = feature_names
        self.position_columns = position_columns
        self.graph = graph
        self.node_target_shape = node_target_shape
        self.max_nfev = max_nfev

    def __sklearn_is_fitted__(self):
        return True  # the distilled equations are the model; fit only refits their constants

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # built from equations; fit refines their constants
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        return tags

    def _equations(self):
        if hasattr(self, "node_equations_"):
            return self.edge_equations_, self.node_equations_
        return self.edge_equations, self.node_equations

    @property
    def n_features_in_(self):
        return len(self.feature_names)

    @property
    def n_targets_(self):
        return len(self.node_equations)

    def _graph_tables(self, inputs):
        """Edge-variable table, receivers, node features and target rows of validated input."""
        x, receiver, table, _ = graph_edge_table(inputs, self.graph, self.position_columns,
                                                 self.feature_names)
        # column-major: each variable contiguous, as the equations read them
        return np.asfortranarray(table), receiver, x, inputs.target_nodes()

    def _evaluate(self, tables, edge_functions, node_functions):
        """Node predictions ``(N_targets, T)`` from per-equation callables of a table."""
        table, receiver, x, rows = tables
        phi = np.column_stack([f(table) for f in edge_functions])
        node_table, _ = node_variables(sum_at_receivers(phi, receiver, len(x)), x,
                                       self.feature_names)
        node_table = np.asfortranarray(node_table[rows])  # each variable contiguous
        return np.column_stack([f(node_table) for f in node_functions])

    def predict(self, X):
        """Predict node targets from the equations alone (same inputs and shapes as the network)."""
        inputs = to_graph_input(self, X, reset=False, require_y=False, dtype=np.float64)
        edge_equations, node_equations = self._equations()
        with np.errstate(all="ignore"):  # chunk by chunk: bounded memory
            pred = np.concatenate([
                self._evaluate(self._graph_tables(chunk), edge_equations, node_equations)
                for chunk in inputs.chunks(CHUNK_PAIRS)])
        check_finite_equations(pred, "The equations' predictions")
        return inputs.shape_output(pred, tuple(self.node_target_shape))

    def fit(self, X, y=None):
        """Refit the numeric constants of the chosen equations to ``X, y`` by least squares.

        The structure of every equation stays; all constants (of the message and the node
        equations together) start from the distilled values and are tuned on the node targets,
        so the law is calibrated on the data rather than on the network's messages.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
            Graphs, as for :meth:`predict`.
        y : array-like, default=None
            Their node targets (read from ``.y`` for a list of graphs).

        Returns
        -------
        self : SymbolicGraphModel
        """
        self._validate_params()
        return self.refit(to_graph_input(self, X, y, reset=False, require_y=True,
                                         dtype=np.float64))

    def refit(self, graphs):
        """:meth:`fit` on validated graphs (a ``GraphInput`` with float64 targets).

        Constants that are equal in several equations (``phi1`` and ``phi2`` of one radial
        profile, the components of one vector node law) stay one constant, so the refit keeps
        the law the same on every axis.

        Parameters
        ----------
        graphs : GraphInput
            As built by :func:`~sklearn_symgn.graphs.inputs.to_graph_input`.

        Returns
        -------
        self : SymbolicGraphModel
        """
        inputs = graphs
        targets = inputs.node_targets()
        if targets.shape[1] != len(self.node_equations):
            raise ValueError(f"y has {targets.shape[1]} targets per node; the equations give "
                             f"{len(self.node_equations)}.")
        equations = [*self.edge_equations, *self.node_equations]
        exprs, symbols, start = _parametrise([eq.expression for eq in equations])
        functions = [sympy.lambdify([sympy.Symbol(v) for v in eq.variables] + symbols, e,
                                    modules="numpy") for eq, e in zip(equations, exprs)]
        tables = self._graph_tables(inputs)
        n_edge = len(self.edge_equations)

        def residual(theta):
            calls = [_bound(f, theta, len(eq.variables)) for f, eq in zip(functions, equations)]
            pred = self._evaluate(tables, calls[:n_edge], calls[n_edge:])
            return np.nan_to_num(pred - targets, nan=1e12, posinf=1e12, neginf=-1e12).ravel()

        theta = fit_constants(residual, start, self.max_nfev)
        fitted = [_with_constants(eq, e, symbols, theta) for eq, e in zip(equations, exprs)]
        self.edge_equations_, self.node_equations_ = fitted[:n_edge], fitted[n_edge:]
        self.constants_, self.constants_start_ = theta, start
        self.loss_ = float(np.mean(residual(theta) ** 2))
        return self

    def to_torch(self, dtype=None):
        """The equations as one differentiable :class:`torch.nn.Module` on graphs.

        Parameters
        ----------
        dtype : torch.dtype, default=None
            Data type of the constants; ``None`` means ``torch.float64``.

        Returns
        -------
        module : GraphEquationModule
            ``module(x, edge_index)`` maps node features ``(n_nodes, n_features)`` and an edge
            index ``(2, n_edges)`` (row 0 senders, row 1 receivers) to the node predictions
            ``(n_nodes, n_targets)``, the chosen equations evaluated with torch operations (the
            constants are trainable parameters).

        Examples
        --------
        >>> import sympy, torch
        >>> from sklearn_symgn.graphs import CompleteGraph
        >>> from sklearn_symgn.symbolic import Equation
        >>> dx, r, phi1 = sympy.symbols("dx r phi1")
        >>> spring = Equation("phi1", ["dx", "r"], [7], [0.0], [2.0 * dx * (r - 1) / r])
        >>> node = Equation("ax", ["phi1", "x"], [1], [0.0], [phi1])
        >>> model = SymbolicGraphModel([spring], [node], ["x"], [0], CompleteGraph())
        >>> X = [[[0.0], [3.0]]]
        >>> module = model.to_torch()
        >>> y = module(torch.tensor(X[0]), CompleteGraph().build(torch.zeros(1, 2, 1)))
        >>> y.detach().numpy().ravel(), model.predict(X).ravel()
        (array([ 4., -4.]), array([ 4., -4.]))
        """
        edge_equations, node_equations = self._equations()
        return GraphEquationModule([eq.to_torch(dtype) for eq in edge_equations],
                                   [eq.to_torch(dtype) for eq in node_equations],
                                   self.position_columns, len(self.feature_names),
                                   self.graph.periodic_box())

    def equations(self, digits=3):
        """All equations as printable lines (messages first, then node targets)."""
        return [str(eq) if digits == 3 else f"{eq.target} = {eq.simplified(digits)}"
                for eq in [*sum(self._equations(), [])]]

    def latex(self, digits=3):
        """LaTeX lines ``lhs = rhs``, messages first, then node targets (rounded constants)."""
        return [eq.latex(digits) for eq in [*sum(self._equations(), [])]]

    def __str__(self):
        return "\n".join(self.equations())


def _parametrise(expressions):
    """Replace every float constant by a symbol (equal values share one); return the
    expressions, the symbols and their values."""
    floats = sorted({f for expr in expressions for f in expr.atoms(sympy.Float)}, key=float)
    symbols = [sympy.Symbol(f"_c{k}") for k in range(len(floats))]
    out = [expr.xreplace(dict(zip(floats, symbols))) for expr in expressions]
    return out, symbols, np.array([float(f) for f in floats], dtype=np.float64)


def _bound(function, theta, n_variables):
    """``function(*columns, *theta)`` as a callable of a table, broadcast to one value per row."""
    def call(table):
        if table.shape[1] != n_variables:
            raise ValueError(f"The equations read {n_variables} variables; the data give "
                             f"{table.shape[1]}.")
        out = function(*table.T, *theta)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (table.shape[0],))
    return call


def _with_constants(equation, expression, symbols, theta):
    """``equation`` with the refitted constants in place of the symbols as its chosen row (the
    front stays); constants the refit drove to round-off (below 1e-6 of the expression's
    largest) become 0."""
    own = {s: float(v) for s, v in zip(symbols, theta) if s in expression.free_symbols}
    largest = max((abs(v) for v in own.values()), default=0.0)
    values = {s: sympy.Float(v) if abs(v) > 1e-6 * largest else sympy.Integer(0)
              for s, v in own.items()}
    return equation.with_chosen(expression.xreplace(values))
