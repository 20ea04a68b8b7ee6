"""Distillation: from a fitted network's messages to equations, and the symbolic model they form.

1. record the messages on the edges of some graphs and rank their components;
2. fit symbolic regression to each significant component as a function of interpretable edge
   variables (``dx = x_j - x_i`` per position column, the distance ``r``, and ``c_i``, ``c_j`` for
   every other node feature ``c``);
3. sum the *distilled* messages at each receiver and fit symbolic regression to each node target
   as a function of those sums (``phi1, phi2, ...``) and the node's own features.

Steps 2-3 together form a :class:`SymbolicGraphModel` that predicts from ``X`` alone.
"""

import time
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils import check_random_state

from .base import GraphScoreMixin
from .central import central_equations, radial_profile, resolve_message_form
from .graphs.inputs import (
    flatten_graphs,
    node_targets,
    shape_node_output,
    target_nodes,
    to_graph_input,
)
from .messages import collect_messages, rank_components

__all__ = [
    "SymbolicGraphModel",
    "distill_network",
    "edge_variables",
    "node_variables",
]


def edge_variables(x_receiver, x_sender, position_columns, feature_names):
    """Interpretable edge variables and their names.

    Parameters
    ----------
    x_receiver, x_sender : ndarray of shape (n_edges, n_features)
        Raw node features of receiver ``i`` and sender ``j``.
    position_columns : list of int
    feature_names : list of str

    Returns
    -------
    table : ndarray of shape (n_edges, n_variables)
    names : list of str
        ``d<p>`` for each position column ``p`` (sender minus receiver), ``r``, then ``<c>_i``,
        ``<c>_j`` for every other column ``c``.
    """
    x_i = np.asarray(x_receiver, dtype=np.float64)
    x_j = np.asarray(x_sender, dtype=np.float64)
    cols, names = [], []
    for p in position_columns:
        cols.append(x_j[:, p] - x_i[:, p])
        names.append(f"d{feature_names[p]}")
    if position_columns:
        cols.append(np.sqrt(np.sum(np.square(cols), axis=0)))
        names.append("r")
    for c in range(x_i.shape[1]):
        if c not in position_columns:
            cols += [x_i[:, c], x_j[:, c]]
            names += [f"{feature_names[c]}_i", f"{feature_names[c]}_j"]
    return np.column_stack(cols), names


def node_variables(message_sums, x, feature_names):
    """Node-model variables: summed messages ``phi1, phi2, ...`` and the node's own features."""
    names = [f"phi{k + 1}" for k in range(message_sums.shape[1])] + list(feature_names)
    return np.column_stack([message_sums, x]), names


def _sum_at_receivers(values, receivers, n_nodes):
    out = np.zeros((n_nodes, values.shape[1]))
    np.add.at(out, receivers, values)
    return out


class SymbolicGraphModel(GraphScoreMixin, RegressorMixin, BaseEstimator):
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
    """

    def __init__(self, edge_equations, node_equations, feature_names, position_columns, graph,
                 node_target_shape=(1,)):
        self.edge_equations = edge_equations
        self.node_equations = node_equations
        self.feature_names = feature_names
        self.position_columns = position_columns
        self.graph = graph
        self.node_target_shape = node_target_shape

    @property
    def n_features_in_(self):
        return len(self.feature_names)

    @property
    def n_targets_(self):
        return len(self.node_equations)

    def predict(self, X):
        """Predict node targets from the equations alone (same inputs and shapes as the network)."""
        inputs = to_graph_input(self, X, reset=False, require_y=False, dtype=np.float64)
        x, edge_index, _ = flatten_graphs(inputs, self.graph, self.position_columns)
        sender, receiver = edge_index
        table, _ = edge_variables(x[receiver], x[sender], self.position_columns, self.feature_names)
        phi = np.column_stack([eq(table) for eq in self.edge_equations])
        sums = _sum_at_receivers(phi, receiver, len(x))
        node_table, _ = node_variables(sums, x, self.feature_names)
        node_table = node_table[target_nodes(inputs)]
        pred = np.column_stack([eq(node_table) for eq in self.node_equations])
        return shape_node_output(pred, inputs, tuple(self.node_target_shape))

    def equations(self, digits=3):
        """All equations as printable lines (messages first, then node targets)."""
        return [str(eq) if digits == 3 else f"{eq.target} = {eq.simplified(digits)}"
                for eq in [*self.edge_equations, *self.node_equations]]

    def __str__(self):
        return "\n".join(self.equations())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        return tags


#: ``message_quantile="auto"`` trims when the largest selected message magnitude exceeds this
#: multiple of its 95th percentile. Measured on the L1 networks of the benchmark: 9.8-21.6 for
#: the 1/r and 1/r² laws (close encounters), 2.3-3.2 for spring, damped, Coulomb (trained
#: without close encounters) and discontinuous.
HEAVY_TAIL_RATIO = 5.0


def message_tail_ratio(size):
    """Largest message magnitude over their 95th percentile (the ``"auto"`` quantile's test)."""
    return float(size.max() / max(np.quantile(size, 0.95), np.finfo(float).tiny))


def resolve_message_quantile(message_quantile, size):
    """The quantile of message magnitudes ``size`` that the message fits keep (1: every edge)."""
    if message_quantile is None:
        return 1.0
    if isinstance(message_quantile, str) and message_quantile == "auto":
        return 0.95 if message_tail_ratio(size) > HEAVY_TAIL_RATIO else 1.0
    if isinstance(message_quantile, (str, bool)) or not isinstance(message_quantile, Real) \
            or not 0 < message_quantile <= 1:
        raise ValueError(
            f"message_quantile must be 'auto', None or a number in (0, 1]; got "
            f"{message_quantile!r}."
        )
    return float(message_quantile)


def distill_network(estimator, X, y=None, *, n_components=None, backend, max_edges=5000,
                    max_nodes=5000, message_quantile="auto", message_form="auto",
                    target_names=None, random_state=None, verbose=0):
    """Distil a fitted network into equations; see ``SymbolicGNRegressor.distill``.

    Returns
    -------
    dict
        ``edge_equations``, ``node_equations``, ``components`` (indices of the distilled message
        components), ``significance`` (their std or KL), ``variance_share`` (their share of the
        total message variance), ``message_form`` (the form used), ``transform`` (the alignment
        applied to them, identity if none), ``alignment_residual``, ``radial_equation``
        (``None`` unless the form is ``"central"``) and ``symbolic_model``.
    """
    rng = check_random_state(random_state)
    positions, names = estimator.position_columns_, estimator.feature_names_
    if y is None and not isinstance(X, (list, tuple)):
        raise ValueError("distill needs the targets y of X: the node equations are fitted on them.")
    inputs = to_graph_input(estimator, X, y, reset=False, require_y=True, dtype=np.float64)
    targets = node_targets(inputs)
    if targets.shape[1] != estimator.n_targets_:
        raise ValueError(
            f"y has {targets.shape[1]} targets per node; the network predicts {estimator.n_targets_}."
        )

    edges = collect_messages(estimator, X)
    if len(edges.messages) == 0:
        raise ValueError("X has no edges, so there are no messages to distil.")
    order, significance = rank_components(edges)
    k = len(positions) if n_components is None else int(n_components)
    if not 1 <= k <= edges.messages.shape[1]:
        raise ValueError(f"n_components must be in [1, {edges.messages.shape[1]}]; got {k}.")
    components = order[:k]
    variance = edges.messages.var(axis=0)
    share = variance[components] / max(variance.sum(), np.finfo(float).tiny)
    selected = edges.messages[:, components]
    wide = selected.astype(np.float64)
    # float32 noise: a constant edge model still shows std ~1e-6 of its output's magnitude
    if np.all(wide.std(axis=0) <= 1e-5 * np.maximum(1.0, np.abs(wide).mean(axis=0))):
        raise ValueError(
            "The network's messages are constant (no significant message components): there is "
            "nothing to distil. The message penalty may be too strong (lower `l1_strength` or "
            "`kl_strength`) or training too short (raise `max_epochs`)."
        )

    table, variables = edge_variables(edges.x_receiver, edges.x_sender, positions, names)
    size = np.abs(wide).max(axis=1)
    quantile = resolve_message_quantile(message_quantile, size)
    candidates = np.arange(len(table))
    if quantile < 1:
        candidates = np.flatnonzero(size <= np.quantile(size, quantile))
    if verbose and isinstance(message_quantile, str):
        print(f"message_quantile='auto': {quantile:g} (largest message "
              f"{message_tail_ratio(size):.1f}x the 95th percentile)")
    fit_edges = rng.choice(candidates, min(max_edges, len(candidates)), replace=False)
    form, transform, residual = resolve_message_form(
        message_form, selected, table, fit_edges, len(positions), verbose
    )
    selected = selected @ transform.T
    radial = None
    if form == "central":
        dim = len(positions)
        rows, profile = radial_profile(selected, table, fit_edges, dim)
        start = time.perf_counter()
        fitted = clone(backend).fit(table[rows, dim:], profile, variables[dim:], target_name="g")
        radial = fitted.equation_
        edge_equations = central_equations(radial, variables, dim)
        if verbose:
            print(f"[distill] radial profile of components {list(components)} "
                  f"({share.sum():.1%} of the message variance) in "
                  f"{time.perf_counter() - start:.1f} s: {radial}", flush=True)
    else:
        edge_equations = []
        for n, c in enumerate(components):
            start = time.perf_counter()
            fitted = clone(backend).fit(table[fit_edges], selected[fit_edges, n], variables,
                                        target_name=f"phi{n + 1}")
            edge_equations.append(fitted.equation_)
            if verbose:
                print(f"[distill] message component {c} ({share[n]:.1%} of the message "
                      f"variance) in {time.perf_counter() - start:.1f} s: {fitted.equation_}",
                      flush=True)

    x, edge_index, _ = flatten_graphs(inputs, estimator.graph_, positions)
    sender, receiver = edge_index
    full_table, _ = edge_variables(x[receiver], x[sender], positions, names)
    phi = np.column_stack([eq(full_table) for eq in edge_equations])
    node_table, node_names = node_variables(_sum_at_receivers(phi, receiver, len(x)), x, names)
    node_table = node_table[target_nodes(inputs)]
    fit_nodes = rng.choice(len(node_table), min(max_nodes, len(node_table)), replace=False)
    if target_names is None:
        target_names = [f"y{t}" for t in range(estimator.n_targets_)]
    if len(target_names) != estimator.n_targets_:
        raise ValueError(f"target_names needs {estimator.n_targets_} names; got {len(target_names)}.")
    node_equations = []
    for t, target in enumerate(target_names):
        start = time.perf_counter()
        fitted = clone(backend).fit(node_table[fit_nodes], targets[fit_nodes, t], node_names,
                                    target_name=str(target))
        node_equations.append(fitted.equation_)
        if verbose:
            print(f"[distill] node target {target} in {time.perf_counter() - start:.1f} s: "
                  f"{fitted.equation_}", flush=True)

    model = SymbolicGraphModel(edge_equations, node_equations, list(names), list(positions),
                               estimator.graph_, estimator._node_target_shape)
    return {
        "edge_equations": edge_equations,
        "node_equations": node_equations,
        "components": components,
        "significance": significance[:k],
        "variance_share": share,
        "message_form": form,
        "transform": transform,
        "radial_equation": radial,
        "alignment_residual": residual,
        "message_quantile": quantile,
        "symbolic_model": model,
    }
