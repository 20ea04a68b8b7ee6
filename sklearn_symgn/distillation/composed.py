"""The composed law: message and node equations written as one expression per target.

``a_x,i = Σ_j 1.99 (r_ij - 0.986) dx_ij / (r_ij m_i)`` instead of ``phi1 = ...`` and
``ax = 72 phi1 / m``. Node features of the receiver are written ``<c>_i`` (as in the edge
variables); ``Σ_j(...)`` (:class:`PairSum`) sums over the senders ``j`` of each receiver ``i``.
When a node equation is linear in the summed messages with coefficients that depend on the
receiver only, the coefficients move inside the sum, which then holds the pairwise law in the
target's units.
"""

import numpy as np
import sympy
from sklearn.base import BaseEstimator, RegressorMixin

from .._validation import ValidatedMixin, check_finite_equations
from ..base import GraphScoreMixin
from ..graphs.inputs import CHUNK_PAIRS, to_graph_input
from ..symbolic import round_constants
from .display import EquationsDisplayMixin
from .variables import graph_edge_table, inertial_mass_column, lambdified, sum_at_receivers

__all__ = ["ComposedLaw", "PairSum", "compose"]


class PairSum(sympy.Function):
    """``Σ_j(f)``: the sum of a pairwise term ``f`` over the senders ``j`` of a receiver."""

    nargs = 1

    def _sympystr(self, printer):
        return f"Σ_j({printer.doprint(self.args[0])})"

    def _latex(self, printer):
        return rf"\sum_{{j}} \left({printer.doprint(self.args[0])}\right)"


def _receiver_symbols(expr, feature_names, position_columns):
    """Node features ``c`` to ``c_i``; ``None`` if ``expr`` reads an absolute position."""
    positions = {sympy.Symbol(feature_names[p]) for p in position_columns}
    if expr.free_symbols & positions:
        return None
    return {sympy.Symbol(n): sympy.Symbol(f"{n}_i") for n in feature_names}


def compose(node_expression, edge_expressions, feature_names, position_columns):
    """One expression for a target from its node expression and the message expressions.

    Parameters
    ----------
    node_expression : sympy.Expr
        The node law in ``phi1, phi2, ...`` and the node features.
    edge_expressions : list of sympy.Expr
        ``phi1, phi2, ...`` in the edge variables.
    feature_names : list of str
    position_columns : list of int

    Returns
    -------
    sympy.Expr
        In ``<c>_i`` and :class:`PairSum` terms of the edge variables.

    Examples
    --------
    >>> import sympy
    >>> dx, r, phi1, m = sympy.symbols("dx r phi1 m")
    >>> print(compose(72 * phi1 / m, [0.0277 * dx * (r - 1) / r], ["x", "m"], [0]))
    Σ_j(1.9944*dx*(r - 1)/(m_i*r))
    """
    phis = [sympy.Symbol(f"phi{k + 1}") for k in range(len(edge_expressions))]
    rename = _receiver_symbols(node_expression.subs({p: 0 for p in phis}),
                               feature_names, position_columns)
    coefficients = [sympy.diff(node_expression, p) for p in phis]
    linear = all(not (c.free_symbols & set(phis)) for c in coefficients)
    if linear and rename is not None and all(
            _receiver_symbols(c, feature_names, position_columns) is not None
            for c in coefficients):
        rest = node_expression.subs({p: 0 for p in phis}).xreplace(rename)
        pair = sympy.factor_terms(sympy.simplify(
            sum(c.xreplace(rename) * e for c, e in zip(coefficients, edge_expressions))))
        return (0 if pair == 0 else PairSum(pair)) + sympy.simplify(rest)
    sums = {p: PairSum(e) for p, e in zip(phis, edge_expressions)}
    # the receiver's own features, absolute positions included, as ``<c>_i``
    receiver = {sympy.Symbol(n): sympy.Symbol(f"{n}_i") for n in feature_names}
    return node_expression.xreplace(receiver).xreplace(sums)


class ComposedLaw(EquationsDisplayMixin, GraphScoreMixin, RegressorMixin, ValidatedMixin,
                  BaseEstimator):
    """The distilled law as one expression per target, which predicts by itself.

    Built by distillation (``composed_law_`` of a distilled
    :class:`~sklearn_symgn.SymbolicGNRegressor`); its predictions equal the symbolic model's.

    Parameters
    ----------
    targets : list of str
        Left-hand sides.
    expressions : list of sympy.Expr
        One per target, as from :func:`compose`.
    feature_names : list of str
        Node feature names.
    position_columns : list of int
        Coordinate columns.
    graph : graph builder
        Builds the edges of array inputs.
    node_target_shape : tuple, default=(1,)
        One node's targets as the user shaped them.
    sources : tuple of (list of Equation, list of Equation) or None, default=None
        The message and node equations the expressions were composed from. When given, the
        law follows their chosen rows: choosing another row of a front (``eq.index = k``)
        composes the law again, so it keeps predicting like the symbolic model.
    """

    def __init__(self, targets, expressions, feature_names, position_columns, graph,
                 node_target_shape=(1,), sources=None):
        self.targets = targets
        self.expressions = expressions
        self.feature_names = feature_names
        self.position_columns = position_columns
        self.graph = graph
        self.node_target_shape = node_target_shape
        self.sources = sources

    @classmethod
    def from_equations(cls, edge_equations, node_equations, feature_names, position_columns,
                       graph, node_target_shape=(1,)):
        """The law composed from the chosen rows of message and node equations, following
        later changes of those rows (``sources``)."""
        law = cls([eq.target for eq in node_equations], None, list(feature_names),
                  list(position_columns), graph, tuple(node_target_shape),
                  sources=(list(edge_equations), list(node_equations)))
        law.expressions = law.current_expressions()
        return law

    def current_expressions(self):
        """The expressions of the sources' chosen rows (``expressions`` without sources)."""
        sources = self.sources
        if sources is None:
            return list(self.expressions)
        edges, nodes = sources
        key = tuple((eq.index, id(eq.expression)) for eq in (*edges, *nodes))
        cached = getattr(self, "_composed", None)
        if cached is None or cached[0] != key:
            messages = [eq.expression for eq in edges]
            self._composed = (key, [compose(eq.expression, messages, self.feature_names,
                                            self.position_columns) for eq in nodes])
        return list(self._composed[1])

    @property
    def n_features_in_(self):
        return len(self.feature_names)

    @property
    def n_targets_(self):
        return len(self.targets)

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        """Predict node targets from the composed expressions (same inputs as the network)."""
        inputs = to_graph_input(self, X, reset=False, require_y=False, dtype=np.float64)
        pred = np.concatenate([self._predict_chunk(c) for c in inputs.chunks(CHUNK_PAIRS)])
        check_finite_equations(pred, "The composed law's predictions")
        return inputs.shape_output(pred, tuple(self.node_target_shape))

    def _predict_chunk(self, inputs):
        x, receiver, table, edge_names = graph_edge_table(inputs, self.graph,
                                                          self.position_columns,
                                                          self.feature_names)
        node_names = [f"{n}_i" for n in self.feature_names]
        rows = inputs.target_nodes()
        with np.errstate(all="ignore"):
            return np.column_stack([
                _evaluate(e, table, edge_names, receiver, x, node_names)[rows]
                for e in self.current_expressions()
            ])

    def pair_terms(self):
        """The pair term of each target written ``c · Σ_j f + (node terms)``: ``c · f`` (a
        factor of the receiver moved into the sum), or ``None`` for a target that is not
        linear in one pair sum."""
        return [_pair_term(expr) for expr in self.current_expressions()]

    def pair_force(self):
        """The force on ``i`` from ``j`` in physical units, one component per target: each
        pair term times the receiver's inertial mass (the feature named ``m`` or ``mass``; the
        pair term itself without one), e.g. ``2.0*dx*(r - 0.99)/r``. ``None`` unless the
        targets are one per position column and each is one pair sum (plus node terms)."""
        terms = self.pair_terms()
        if len(self.targets) != len(self.position_columns) or any(t is None for t in terms):
            return None
        mass = inertial_mass_column(self.feature_names)
        factor = 1 if mass is None else sympy.Symbol(f"{self.feature_names[mass]}_i")
        return [sympy.simplify(factor * term) for term in terms]

    def simplified(self, digits=3):
        """The expressions with rounded constants, simplified for reading."""
        return [_display(e, digits) for e in self.current_expressions()]

    def __str__(self):
        return "\n".join(f"{t}_i = {e}" for t, e in zip(self.targets, self.simplified()))

    def latex(self, digits=3):
        """LaTeX lines ``a_i = \\sum_j (...)``, one per target (rounded constants)."""
        return [f"{sympy.latex(sympy.Symbol(t + '_i'))} = {sympy.latex(e)}"
                for t, e in zip(self.targets, self.simplified(digits))]

    def sympy(self):
        """The expressions, one per target (``PairSum`` marks sums over senders)."""
        return self.current_expressions()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        return tags


def _pair_term(expr):
    """``c · f`` of ``expr = c · Σ_j f + rest`` (``rest`` and ``c`` free of pair sums), or
    ``None``."""
    sums = list(expr.atoms(PairSum))
    if len(sums) != 1:
        return None
    _, dependent = expr.as_independent(sums[0], as_Add=True)
    factor = sympy.simplify(dependent / sums[0])
    # simplify may rewrite the sum's argument: test for the class, not the instance
    return None if factor.has(PairSum) else factor * sums[0].args[0]


def _monic(factor):
    """``c * (factor / c)`` with ``c`` the coefficient of its largest non-constant term."""
    terms = [t for t in factor.args if not t.is_number]
    if not terms:
        return sympy.Integer(1), factor
    c = max((t.as_coeff_Mul()[0] for t in terms), key=lambda v: abs(float(v)))
    return c, sympy.expand(factor / c)


def _tidy(expr, digits):
    """One rational expression with the constants of its sums, in the numerator and in the
    denominator, pulled in front (``1.57/(1.57*r + 0.0317)`` reads ``1/(r + 0.0202)``),
    rounded."""
    if sympy.count_ops(expr) > 60:
        return round_constants(expr, digits)
    numerator, denominator = sympy.fraction(sympy.together(sympy.expand(expr)))
    top, c_top = _monic_factors(numerator)
    bottom, c_bottom = _monic_factors(denominator)
    return round_constants(c_top / c_bottom * top / bottom, digits)


def _monic_factors(product):
    """``product`` as ``(monic part, coefficient)``: each sum among its factors (also raised to
    a power) divided by the coefficient of its largest non-constant term."""
    coefficient, factors = sympy.Integer(1), []
    for factor in sympy.Mul.make_args(product):
        base, power = factor.as_base_exp() if factor.is_Pow else (factor, 1)
        if isinstance(base, sympy.Add) and (power == 1 or power.is_Integer):
            c, base = _monic(base)
            coefficient *= c**power
            factor = base**power
        factors.append(factor)
    return sympy.Mul(*factors), coefficient


def _display(expr, digits):
    """Rounded constants, each pair sum tidied on its own."""
    def tidy(e):
        return _tidy(e, digits)

    inside = expr.replace(lambda e: isinstance(e, PairSum), lambda e: PairSum(tidy(e.args[0])))
    return round_constants(inside, digits)


def _evaluate(expr, table, edge_names, receiver, x, node_names):
    """Value of a composed expression at every node: each pair sum evaluated on the edges and
    summed at the receivers, then the node-level expression."""
    sums = sorted(expr.atoms(PairSum), key=str)
    dummies = [sympy.Dummy(f"s{k}") for k in range(len(sums))]
    columns = []
    for term in sums:
        values = lambdified(term.args[0], edge_names)(table)
        columns.append(sum_at_receivers(values[:, None], receiver, len(x))[:, 0])
    outer = expr.xreplace(dict(zip(sums, dummies)))
    symbols = [sympy.Symbol(n) for n in node_names] + dummies
    function = sympy.lambdify(symbols, outer, modules="numpy")
    out = function(*x.T, *columns)
    return np.broadcast_to(np.asarray(out, dtype=np.float64), (len(x),))
