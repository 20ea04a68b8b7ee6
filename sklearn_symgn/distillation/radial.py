"""The radial law chosen and simplified on the targets.

The search chooses a row of the radial profile's front on the network's messages; the data
may tell rows apart that the messages cannot (a softened ``1/r²`` against a plain one). Here
rows are refitted, composed with the node law, on the targets: one is chosen again
(:func:`reselected`), simplified while that does not cost on the targets
(:func:`pruned_profile`), and a law of a grown operator set is checked for functions that only
stand in for an expansion (:func:`acts_linearly`).
"""

import numpy as np
import sympy

from ..symbolic.parsimony import expression_size
from .central import central_equations
from .composed import PairSum
from .model import SymbolicGraphModel
from .variables import graph_edge_table, lambdified

__all__ = ["acts_linearly", "graph_model", "operators_read", "profile_of", "pruned_profile",
           "reselected", "softened_profile"]

#: Rows of the radial front (more accurate on held-out messages than the chosen one) that are
#: refitted on the targets and may replace the chosen row.
RESELECT_ROWS = 6
#: A more complex radial row replaces a simpler one only when the simpler one's target loss,
#: refitted, exceeds this multiple of the lowest.
RESELECT_RATIO = 1.5
#: Target losses below this fraction of the targets' variance count as exact (round-off).
RESELECT_FLOOR = 1e-9
#: Terms of the radial profile's numerator or denominator at most this share of their sum on
#: every edge are tried for removal once the row is chosen (:func:`pruned_profile`).
PRUNE_SHARE = 0.05
#: Exponents of the radial profile this close to a whole number are tried rounded to it.
EXPONENT_SNAP = 0.1
#: A softened distance ``r + c`` starts its refit at this share of the median pair distance.
SOFTENING_START = 0.01
#: A function of a grown law (``exp``, ...) whose values depart from a straight line of its
#: argument by at most this share of their range is an expansion, not a law: not kept.
LINEAR_FUNCTION = 0.01
#: SymPy's names of the operators that are functions in a parsed law (others, e.g. ``sqrt``,
#: become powers and are reported as added whenever the law of their search is kept).
FUNCTION_NAMES = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tanh": "tanh",
                  "floor": "floor", "ceil": "ceiling"}


def reselected(radial, equations, spec, subset, variables):
    """The radial profile's row chosen again, on the targets rather than on the messages.

    The messages carry the network's small errors, so rows of the front that explain them
    about equally well can differ by orders of magnitude on the data: for a softened ``1/r²``
    (``r' = r + 0.01``), ``m_j/(r**2 (1.57 r + 0.0317))`` and ``m_j/r**2`` had held-out message
    losses of 8.2e-8 and 1.1e-7 but target losses of 2.5e-9 and 5.9e-4 once refitted. The
    chosen row and up to :data:`RESELECT_ROWS` rows more accurate on held-out messages are
    each composed with the node law and refitted on ``subset``; rows that still read other
    variables than the chosen row once refitted are left out (a velocity in a pair law only
    fits the network's noise; a term that the refit drives to zero is no objection). The
    simplest whose loss is at most :data:`RESELECT_RATIO` times the lowest (or
    :data:`RESELECT_FLOOR` of the targets' variance, round-off) is kept: the chosen row unless
    a more complex one is clearly better.
    """
    chosen = radial.index
    better = [k for k in np.argsort(radial.loss, kind="stable")
              if radial.complexity[k] > radial.complexity[chosen]
              and radial.loss[k] < radial.loss[chosen]][:RESELECT_ROWS]
    if not better:
        return equations
    edge_equations, node_equations = equations
    variables_used = edge_equations[0].expression.free_symbols
    current = graph_model(edge_equations, node_equations, spec).refit(subset)
    trials = [(radial.complexity[chosen], 0, current.loss_, equations)]
    for k in better:
        row = radial.with_chosen(radial.expressions[k], radial.complexity[k], radial.loss[k])
        trial = graph_model(central_equations(row, variables, len(spec.position_columns)),
                            node_equations, spec).refit(subset)
        if not trial.edge_equations_[0].expression.free_symbols <= variables_used:
            continue  # a term in another variable that the refit kept
        trials.append((radial.complexity[k], 1, trial.loss_,
                       (trial.edge_equations_, trial.node_equations_)))
    # losses at round-off (an exact law on simulated data) are all equally good
    floor = RESELECT_FLOOR * float(np.var(subset.node_targets()))
    lowest = max(min(t[2] for t in trials), floor)
    trials.sort(key=lambda t: (t[0], t[1]))
    return next(t[3] for t in trials if t[2] <= RESELECT_RATIO * lowest)


def pruned_profile(radial, equations, spec, subset, variables):
    """The radial profile without the small terms that do not pay on the targets, and with
    whole exponents where a fractional one does not pay either.

    A row chosen on the targets can carry terms of no consequence (L1 r2-2:
    ``dx (m_j - 1.34e-5 r² - 2.71e-7 r) / (r² (r + 0.0203))``), and a search with ``pow`` finds
    ``-23.5/r**6.96 + 47.5/r**13`` for Lennard-Jones. Candidates: each additive term of the
    profile's numerator or denominator that is small where the law acts (at most
    :data:`PRUNE_SHARE` of its sum on every edge of ``subset``) removed, and every exponent
    within :data:`EXPONENT_SNAP` of a whole number rounded to it. Greedily, the candidate that
    loses least (constants refitted) replaces the profile while the loss stays within
    :data:`RESELECT_RATIO` of the loss before any change (or of :data:`RESELECT_FLOOR` of the
    targets' variance, round-off)."""
    dim = len(spec.position_columns)
    *_, table, _ = graph_edge_table(subset, spec.graph, spec.position_columns, spec.feature_names)
    best = graph_model(*equations, spec).refit(subset)
    floor = RESELECT_FLOOR * float(np.var(subset.node_targets()))
    limit = RESELECT_RATIO * max(best.loss_, floor)
    while True:
        profile = _profile(best.edge_equations_[0], variables, dim)
        trials = []
        for smaller in _simpler_profiles(profile, table, variables):
            row = radial.with_chosen(smaller, expression_size(smaller))
            trial = graph_model(central_equations(row, variables, dim),
                                best.node_equations_, spec).refit(subset)
            trials.append(trial)
        trial = min(trials, key=lambda t: t.loss_, default=None)
        if trial is None or not trial.loss_ <= limit:
            return best.edge_equations_, best.node_equations_
        best = trial


def softened_profile(radial, equations, spec, subset, variables):
    """The radial profile with one factor ``r`` of its denominator softened to ``r + c``, when
    that is clearly better on the targets (refitted loss at most ``1 / RESELECT_RATIO`` of the
    profile's own); otherwise ``equations`` refitted.

    Simulators soften close encounters (``r' = r + 0.01`` in the paper's), which a search on
    messages of few close pairs can miss: L1 seed 1 charge-2 kept ``q_i q_j/r**2`` (beyond the
    training range R² 0.988) where other seeds found ``q_i q_j/(r (r + 0.0202))``. Each power
    ``r**k`` of the denominator becomes ``r**(k-1) (r + c)``, ``c`` refitted from
    :data:`SOFTENING_START` of the median distance; the best candidate is kept when clearly
    better. Returns ``(edge_equations, node_equations)``: ``equations`` itself when no
    softening pays."""
    dim = len(spec.position_columns)
    *_, table, _ = graph_edge_table(subset, spec.graph, spec.position_columns, spec.feature_names)
    r = sympy.Symbol(variables[dim])
    c = sympy.Float(SOFTENING_START * float(np.median(table[:, dim])), 3)
    best = graph_model(*equations, spec).refit(subset)
    numerator, denominator = sympy.fraction(sympy.together(_profile(best.edge_equations_[0],
                                                                    variables, dim)))
    trials = []
    for factor in sympy.Mul.make_args(denominator):
        base, k = factor.as_base_exp()
        if base != r or not (k.is_Integer and k >= 1):
            continue
        softened = numerator / (denominator / factor * r ** (k - 1) * (r + c))
        row = radial.with_chosen(softened, expression_size(softened))
        trials.append(graph_model(central_equations(row, variables, dim),
                                  best.node_equations_, spec).refit(subset))
    trial = min(trials, key=lambda t: t.loss_, default=None)
    if trial is not None and trial.loss_ * RESELECT_RATIO <= best.loss_:
        return trial.edge_equations_, trial.node_equations_
    return equations


def acts_linearly(expression, spec, subset, variables):
    """True when a function of ``expression`` (``exp``, ``log``, ...) is a straight line of its
    argument over the edges of ``subset`` (within :data:`LINEAR_FUNCTION` of its range): an
    expansion standing in for another law, not a law of that function (L1 r2-3 gave
    ``8305 (exp(0.00012 m_j/r²) - exp(2.46e-6 m_j/r³)) ...`` for a softened ``1/r²``; the
    cluster's ``exp(-2 r)`` spans a factor of 25 over its pairs)."""
    *_, table, _ = graph_edge_table(subset, spec.graph, spec.position_columns, spec.feature_names)
    for atom in expression.atoms(sympy.Function):
        if len(atom.args) != 1 or isinstance(atom, PairSum):
            continue
        with np.errstate(all="ignore"):
            u, v = lambdified(atom.args[0], variables)(table), lambdified(atom, variables)(table)
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))) or np.ptp(v) == 0:
            continue
        line = np.polyval(np.polyfit(u, v, 1), u) if np.ptp(u) > 0 else np.full_like(v, v[0])
        if np.max(np.abs(v - line)) <= LINEAR_FUNCTION * np.ptp(v):
            return True
    return False


def _simpler_profiles(profile, table, variables):
    """``profile`` with its exponents near whole numbers rounded (when it has any), and with
    one small additive term of its numerator or denominator removed, for each such term (at
    most :data:`PRUNE_SHARE` of the sum it belongs to on every row)."""
    swaps = {p: p.base ** round(float(p.exp)) for p in profile.atoms(sympy.Pow)
             if p.exp.is_Float and abs(float(p.exp) - round(float(p.exp))) <= EXPONENT_SNAP}
    whole = [profile.xreplace(swaps)] if swaps else []
    numerator, denominator = sympy.fraction(sympy.together(profile))
    out = []
    for part, rebuild in ((sympy.expand(numerator), lambda p: p / denominator),
                          (sympy.expand(denominator), lambda p: numerator / p)):
        terms = sympy.Add.make_args(part)
        if len(terms) < 2:
            continue
        with np.errstate(all="ignore"):
            total = np.abs(lambdified(part, variables)(table))
            for term in terms:
                share = np.abs(lambdified(term, variables)(table)) / total
                if np.all(np.isfinite(share)) and share.max() <= PRUNE_SHARE:
                    out.append(rebuild(part - term))
    return whole + out


def graph_model(edge_equations, node_equations, spec):
    """The symbolic graph model of the equations, on the network's columns and graph."""
    return SymbolicGraphModel(edge_equations, node_equations, list(spec.feature_names),
                              list(spec.position_columns), spec.graph, spec.node_target_shape)


def profile_of(equation, radial, variables, dim):
    """``g = phi1 * r / d1`` of a central message equation, as the radial profile's chosen row
    (the front of the search is kept)."""
    return radial.with_chosen(_profile(equation, variables, dim))


def _profile(equation, variables, dim):
    """``g = phi1 * r / d1`` of a central message equation ``phi1 = (d1 / r) g``."""
    d, r = sympy.Symbol(variables[0]), sympy.Symbol(variables[dim])
    return sympy.cancel(equation.expression * r / d)


def operators_read(law, operators):
    """The ``operators`` (names of the search) that ``law`` reads; those that become powers in
    a parsed law (``sqrt``, ...) count as read."""
    functions = {atom.func.__name__ for atom in law.atoms(sympy.Function)}
    return tuple(op for op in operators
                 if FUNCTION_NAMES.get(op, op) in functions or op not in FUNCTION_NAMES)
