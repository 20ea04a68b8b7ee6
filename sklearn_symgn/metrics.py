"""Metrics of the paper: how much of the messages the true forces explain."""

from numbers import Integral, Real

import numpy as np
import sympy
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._validation import Int, validate_params
from .distillation.variables import edge_variables
from .estimator import SymbolicGNRegressor
from .graphs.inputs import as_values, is_graph_list

__all__ = [
    "edge_forces", "equation_force_r2", "law_form_match", "linear_fit_r2", "message_force_r2",
    "pair_force_r2",
]


@validate_params({
    "targets": ["array-like"],
    "components": ["array-like"],
    "trim": [Interval(Real, 0, 0.5, closed="left")],
})
def linear_fit_r2(targets, components, *, trim=0.0):
    """Fraction of the variance of ``components`` explained by a linear map of ``targets``.

    Parameters
    ----------
    targets : ndarray of shape (n, d)
        Explanatory variables (e.g. true pairwise forces).
    components : ndarray of shape (n, k)
        What is explained (e.g. the top message components).
    trim : float in [0, 0.5), default=0.0
        ``0``: one least-squares fit ``components ≈ targets @ A + b`` and its variance-weighted
        R². ``> 0``: the robust evaluation of the paper's reference code: each component is
        standardised and fitted on its own, leaving out of the fit *and* of the score the
        ``trim`` fraction of samples with the largest squared residuals (the reference code's
        loss keeps residuals up to their 90th percentile: ``trim=0.1``), and the components'
        ``1 - (trimmed mean squared residual)`` are averaged with equal weights. Heavy-tailed
        laws (1/r, 1/r²) score higher this way: a few close pairs no longer dominate.

    Returns
    -------
    float
        The R² described above.

    Notes
    -----
    The trimmed fit minimises the mean of the ``ceil((1 - trim) n)`` smallest squared residuals
    by concentration steps (refit on the samples with the smallest residuals until the kept set
    no longer changes; Rousseeuw & Van Driessen 2006), starting from the least-squares fit; the
    reference code minimised the same loss with Powell's method.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.metrics import linear_fit_r2
    >>> rng = np.random.default_rng(0)
    >>> F = rng.normal(size=(1000, 2))
    >>> messages = F @ [[1.0, 0.5], [-0.5, 2.0]] + 0.01 * rng.normal(size=(1000, 2))
    >>> messages[:50] += 10.0 * rng.normal(size=(50, 2))  # 5 % wild pairs
    >>> round(linear_fit_r2(F, messages), 2), round(linear_fit_r2(F, messages, trim=0.1), 4)
    (0.33, 1.0)
    """
    targets = np.asarray(targets, dtype=np.float64)
    components = np.asarray(components, dtype=np.float64)
    if trim == 0.0:
        fit = LinearRegression().fit(targets, components)
        return float(r2_score(components, fit.predict(targets), multioutput="variance_weighted"))
    if len(targets) != len(components):
        raise ValueError(
            f"targets and components must have equally many rows; got {len(targets)} and "
            f"{len(components)}."
        )
    components = components.reshape(len(components), -1)
    n_keep = int(np.ceil((1.0 - trim) * len(components)))
    scores = []
    for column in components.T:
        scale = column.std()
        if scale == 0:
            scores.append(1.0)
            continue
        column = (column - column.mean()) / scale
        keep = np.ones(len(column), dtype=bool)
        for _ in range(100):
            fit = LinearRegression().fit(targets[keep], column[keep])
            squared = (column - fit.predict(targets)) ** 2
            new_keep = np.zeros(len(column), dtype=bool)
            new_keep[np.argpartition(squared, n_keep - 1)[:n_keep]] = True
            if np.array_equal(new_keep, keep):
                break
            keep = new_keep
        scores.append(1.0 - float(np.sort(squared)[:n_keep].mean()))
    return float(np.mean(scores))


#: Arguments shared by the functions that compare messages with true forces.
EDGE_FORCE_CONSTRAINTS = {
    "estimator": "no_validation",  # checked by check_message_model, with a TypeError
    "X": ["array-like"],
    "forces": ["array-like"],
    "n_components": [Int(1), None],
    "mass_column": [Integral],
    "max_edges": [Int(1)],
    "random_state": ["random_state"],
}


def check_message_model(estimator, caller):
    """Raise a ``TypeError`` naming ``estimator`` unless it is a message-passing estimator."""
    if not isinstance(estimator, SymbolicGNRegressor):
        raise TypeError(
            f"{caller} needs the messages of a SymbolicGNRegressor; got "
            f"{type(estimator).__name__}, which has no edge messages (a SymbolicHGNRegressor "
            "learns a pair energy: distil it with its distill())."
        )


@validate_params({**EDGE_FORCE_CONSTRAINTS, "trim": [Interval(Real, 0, 0.5, closed="left")]})
def message_force_r2(estimator, X, forces, *, n_components=None, mass_column=-1,
                     max_edges=20_000, random_state=0, trim=0.0):
    """Message-force R² of the paper, against ``F`` and against ``F / m_i``.

    The ``n_components`` most significant message components (standard deviation, or KL for KL
    networks) are fitted linearly on the true pairwise force of each edge, and on the force
    divided by the receiver's mass (an edge model that sees ``m_i`` may learn acceleration
    contributions instead of forces; both are valid laws).

    Parameters
    ----------
    estimator : SymbolicGNRegressor
        Fitted.
    X : ndarray of shape (n_samples, n_nodes, n_features) or list of Data
        Graphs to evaluate on (their edges).
    forces : ndarray of shape (n_samples, n_nodes, n_nodes, dim) or list of ndarray
        ``forces[s, i, j]``: force of sender ``j`` on receiver ``i`` (as from
        :func:`~sklearn_symgn.datasets.make_nbody` with ``return_forces=True``); for a list of
        graphs, one ``(n_i, n_i, dim)`` array per graph, ``forces[s][i, j]``.
    n_components : int, default=None
        Number of components; ``None`` means the spatial dimension ``dim``.
    mass_column : int, default=-1
        Node-feature column of the mass.
    max_edges : int, default=20000
        Edges subsampled for the fit.
    random_state : int, default=0
        Seed of the subsample.
    trim : float in [0, 0.5), default=0.0
        ``0.1`` gives the reference code's robust evaluation (per component, standardised,
        residuals above their 90th percentile left out); see :func:`linear_fit_r2`.

    Returns
    -------
    dict
        ``{"force": R², "force_over_mass": R², "components": indices}``.

    Examples
    --------
    >>> from sklearn_symgn import SymbolicGNRegressor
    >>> from sklearn_symgn.datasets import make_nbody
    >>> from sklearn_symgn.metrics import message_force_r2
    >>> X, y, F = make_nbody("spring", n_samples=200, random_state=0, return_forces=True)
    >>> model = SymbolicGNRegressor(max_epochs=1, hidden_layer_sizes=(16,), random_state=0)
    >>> sorted(message_force_r2(model.fit(X, y), X, F))
    ['components', 'force', 'force_over_mass']
    """
    check_message_model(estimator, "message_force_r2")
    edges, components, f, f_over_m = edge_forces(
        estimator, X, forces, n_components=n_components, mass_column=mass_column,
        max_edges=max_edges, random_state=random_state,
    )
    top = edges.messages[:, components]
    return {
        "force": linear_fit_r2(f, top, trim=trim),
        "force_over_mass": linear_fit_r2(f_over_m, top, trim=trim),
        "components": components,
    }


@validate_params(EDGE_FORCE_CONSTRAINTS)
def edge_forces(estimator, X, forces, *, n_components=None, mass_column=-1, max_edges=20_000,
                random_state=0):
    """Messages on (a subsample of) the edges of ``X`` beside the true force of each edge.

    Shared by :func:`message_force_r2` and
    :func:`~sklearn_symgn.plotting.plot_message_forces`; parameters as there.

    Returns
    -------
    edges : EdgeMessages
    components : ndarray of int
        The ``n_components`` most significant message components.
    force, force_over_mass : ndarray of shape (n_edges, dim)
        True force of each recorded edge, and that force over the receiver's mass.
    """
    check_message_model(estimator, "edge_forces")
    lookup, dim = pair_force_lookup(X, forces)
    edges = estimator.edge_messages(X, max_edges=max_edges, random_state=random_state)
    k = dim if n_components is None else int(n_components)
    if not 1 <= k <= edges.messages.shape[1]:
        raise ValueError(
            f"n_components must be in [1, {edges.messages.shape[1]}]; got {n_components}."
        )
    order, _ = edges.ranked_components()
    f = lookup(edges.graph, edges.receiver, edges.sender)
    mass = edges.x_receiver[:, mass_column].astype(np.float64)
    return edges, order[:k], f, f / mass[:, None]


def pair_force_lookup(X, forces):
    """Check ``forces`` against the graphs ``X`` and return ``lookup(graph, receiver, sender)``
    -> ``(n_pairs, dim)`` true forces, and ``dim``.

    For arrays ``X`` ``(n_samples, n_nodes, n_features)``, ``forces`` is ``(n_samples, n_nodes,
    n_nodes, dim)``; for a list of ``Data``, a list of one ``(n_i, n_i, dim)`` array per graph.
    ``forces[s][i, j]`` is the force of ``j`` on ``i``.
    """
    if is_graph_list(X):
        return _list_lookup(X, forces)
    X, forces = np.asarray(as_values(X)), np.asarray(as_values(forces), dtype=np.float64)
    if X.ndim != 3 or forces.ndim != 4 or forces.shape[:3] != (len(X), X.shape[1], X.shape[1]):
        raise ValueError(
            "forces must have shape (n_samples, n_nodes, n_nodes, dim) matching X of shape "
            f"(n_samples, n_nodes, n_features); got X {X.shape} and forces {forces.shape} (for "
            "a list of Data graphs, a list of (n_i, n_i, dim) arrays)."
        )
    return (lambda g, i, j: forces[g, i, j]), forces.shape[-1]


def _list_lookup(graphs, forces):
    if not isinstance(forces, (list, tuple)) or len(forces) != len(graphs):
        raise ValueError(
            f"With a list of {len(graphs)} Data graphs, forces must be a list of as many "
            f"(n_i, n_i, dim) arrays (forces[s][i, j]: force of j on i); got "
            f"{type(forces).__name__}" + (f" of length {len(forces)}." if hasattr(
                forces, "__len__") else ".")
        )
    arrays = [np.asarray(as_values(f), dtype=np.float64) for f in forces]
    dims = {f.shape[-1] for f in arrays if f.ndim == 3}
    for n, (graph, f) in enumerate(zip(graphs, arrays)):
        if f.ndim != 3 or f.shape[:2] != (graph.num_nodes, graph.num_nodes) or len(dims) != 1:
            raise ValueError(
                f"forces[{n}] must have shape ({graph.num_nodes}, {graph.num_nodes}, dim), the "
                f"same dim for every graph; got {f.shape}."
            )
    sizes = np.array([f.shape[0] for f in arrays])
    start = np.concatenate([[0], np.cumsum(sizes**2)[:-1]])
    flat = np.concatenate([f.reshape(-1, f.shape[-1]) for f in arrays])
    return (lambda g, i, j: flat[start[g] + i * sizes[g] + j]), dims.pop()


def _ordered_pairs(estimator, X, forces, min_distance):
    """The pairs to evaluate a law on, at least ``min_distance`` apart: every ordered pair
    ``(i, j)``, ``i != j``, of array graphs, the edges of a list of ``Data``. Returns their
    true forces, the receivers' features, the distances and the edge-variable table."""
    lookup, _ = pair_force_lookup(X, forces)
    if min_distance is not None and not np.isfinite(min_distance):
        raise ValueError(f"min_distance must be a finite number; got {min_distance!r}.")
    if is_graph_list(X):  # the graphs' own edges (edge_index, or the graph builder's)
        edges = estimator.edge_messages(X)
        s, i, j = edges.graph, edges.receiver, edges.sender
        x_i, x_j = (np.asarray(x, dtype=np.float64) for x in (edges.x_receiver, edges.x_sender))
    else:
        X = np.asarray(as_values(X), dtype=np.float64)
        s, i, j = np.nonzero(~np.eye(X.shape[1], dtype=bool)[None].repeat(len(X), 0))
        x_i, x_j = X[s, i], X[s, j]
    positions = estimator.position_columns_
    table, names = edge_variables(x_i, x_j, positions, estimator.feature_names_,
                                  estimator.graph_.periodic_box())
    r = table[:, len(positions)] if positions else np.zeros(len(table))
    keep = r >= min_distance if min_distance is not None else np.ones(len(r), dtype=bool)
    if keep.sum() < 2:
        raise ValueError("Fewer than two pairs are left to evaluate; lower min_distance.")
    return lookup(s[keep], i[keep], j[keep]), x_i[keep], r[keep], (table[keep], names)


@validate_params({
    "estimator": "no_validation",
    "X": ["array-like"],
    "forces": ["array-like"],
    "mass_column": [Integral],
    "min_distance": [Interval(Real, 0, None, closed="left"), None],
})
def equation_force_r2(estimator, X, forces, *, mass_column=-1, min_distance=None):
    """Equation-recovery check: do the distilled message equations follow the true forces?

    Evaluates :attr:`edge_equations_ <sklearn_symgn.SymbolicGNRegressor.edge_equations_>` on every
    ordered pair ``(i, j)``, ``i != j``, of the graphs in ``X`` (fresh data, e.g. with distances
    beyond the training range) and fits them linearly on the true pairwise forces, and on the
    forces divided by the receiver's mass (the paper's direction: how much of the distilled
    messages the forces explain). The reverse fit (``*_span``: how much of the force the
    distilled messages explain) catches a law that misses a component, e.g. two messages that
    both follow ``F_x``.

    Parameters
    ----------
    estimator : SymbolicGNRegressor
        Fitted and distilled.
    X : ndarray of shape (n_samples, n_nodes, n_features) or list of Data
        Fresh graphs: every ordered pair of array graphs is evaluated, the edges of a list of
        graphs (their ``edge_index``, or the estimator's graph builder).
    forces : ndarray of shape (n_samples, n_nodes, n_nodes, dim) or list of ndarray
        ``forces[s, i, j]``: force of ``j`` on ``i``; for a list of graphs, one ``(n_i, n_i,
        dim)`` array per graph, ``forces[s][i, j]``.
    mass_column : int, default=-1
        Node-feature column of the mass.
    min_distance : float, default=None
        Leave out pairs closer than this. Simulated laws are softened (``r' = r + 0.01`` in
        :func:`~sklearn_symgn.datasets.make_nbody`), which changes a 1/r² force by more than
        20 % below ``r = 0.1``: the softening is a property of the simulator, not of the law.

    Returns
    -------
    dict
        ``{"force": R², "force_over_mass": R², "force_span": R², "force_over_mass_span": R²,
        "n_pairs": int, "max_distance": float}``; R² values are NaN where an equation is not
        finite on some pair.
    """
    check_message_model(estimator, "equation_force_r2")
    check_is_fitted(estimator, "edge_equations_", msg=(
        "This %(name)s has no distilled equations (edge_equations_): call fit, then distill, "
        "before equation_force_r2."))
    f, x_receiver, r, (table, _) = _ordered_pairs(estimator, X, forces, min_distance)
    phi = np.column_stack([eq(table) for eq in estimator.edge_equations_])
    f_over_m = f / x_receiver[:, mass_column][:, None]
    out = {"n_pairs": int(len(f)), "max_distance": float(r.max())}
    finite = bool(np.all(np.isfinite(phi)))
    for name, target in (("force", f), ("force_over_mass", f_over_m)):
        out[name] = linear_fit_r2(target, phi) if finite else float("nan")
        out[f"{name}_span"] = linear_fit_r2(phi, target) if finite else float("nan")
    return out


@validate_params({
    "estimator": "no_validation",
    "X": ["array-like"],
    "forces": ["array-like"],
    "min_distance": [Interval(Real, 0, None, closed="left"), None],
})
def pair_force_r2(estimator, X, forces, *, min_distance=None):
    """Law check: does the distilled pair force, in physical units, give the true forces?

    Evaluates :attr:`pair_force_ <sklearn_symgn.SymbolicGNRegressor.pair_force_>` (the
    composed law's force of ``j`` on ``i``, the message scale and the node law folded in) on
    every ordered pair of the graphs in ``X`` and compares it with the true pairwise forces,
    without any fitted map: a wrong constant or an extra term lowers it, unlike
    :func:`equation_force_r2`, which fits the messages linearly to the forces.

    Parameters
    ----------
    estimator : SymbolicGNRegressor
        Fitted and distilled, with a pair force (``pair_force_`` not ``None``).
    X : ndarray of shape (n_samples, n_nodes, n_features) or list of Data
        Fresh graphs: every ordered pair of array graphs is evaluated, the edges of a list of
        graphs (their ``edge_index``, or the estimator's graph builder).
    forces : ndarray of shape (n_samples, n_nodes, n_nodes, dim) or list of ndarray
        ``forces[s, i, j]``: force of ``j`` on ``i``; for a list of graphs, one ``(n_i, n_i,
        dim)`` array per graph, ``forces[s][i, j]``.
    min_distance : float, default=None
        Leave out pairs closer than this (see :func:`equation_force_r2`).

    Returns
    -------
    dict
        ``{"r2": R² over all components, "n_pairs": int, "max_distance": float}``; ``r2`` is
        NaN where the law is not finite on some pair.

    Examples
    --------
    >>> from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
    >>> from sklearn_symgn.datasets import make_nbody
    >>> from sklearn_symgn.metrics import pair_force_r2
    >>> from sklearn_symgn.symbolic import OperonBackend
    >>> X, y, F = make_nbody("spring", n_samples=200, random_state=0, return_forces=True)
    >>> fast = OperonBackend(generations=5, population_size=50, random_state=0)
    >>> model = SymbolicGNRegressor(max_epochs=2, hidden_layer_sizes=(16,), random_state=0,
    ...                             distiller=MessageDistiller(backend=fast))
    >>> model = model.fit(X, y).distill(X, y)  # doctest: +SKIP
    >>> check = pair_force_r2(model, X, F)  # doctest: +SKIP
    """
    check_message_model(estimator, "pair_force_r2")
    check_is_fitted(estimator, "pair_force_", msg=(
        "This %(name)s has no distilled law (pair_force_): call fit, then distill, before "
        "pair_force_r2."))
    if estimator.pair_force_ is None:
        raise ValueError("This model's composed law is not a sum of pair terms (pair_force_ "
                         "is None); use equation_force_r2 to check its messages.")
    truth, _, r, (table, names) = _ordered_pairs(estimator, X, forces, min_distance)
    law = np.column_stack(_term_values(estimator.pair_force_, table, names))
    finite = bool(np.all(np.isfinite(law)))
    return {"r2": float(r2_score(truth, law, multioutput="variance_weighted")) if finite
            else float("nan"), "n_pairs": int(len(truth)), "max_distance": float(r.max())}


def _term_values(terms, table, names):
    symbols = [sympy.Symbol(n) for n in names]
    with np.errstate(all="ignore"):
        return [np.broadcast_to(np.asarray(sympy.lambdify(symbols, t, "numpy")(*table.T),
                                           dtype=np.float64), (len(table),)) for t in terms]


@validate_params({
    "found": "no_validation", "shapes": ["array-like"], "table": ["array-like"],
    "names": ["array-like"], "target": ["array-like"],
    "rtol": [Interval(Real, 0, None, closed="left")],
    "max_extra": [Interval(Real, 0, None, closed="left")],
})
def law_form_match(found, shapes, table, names, target, *, rtol=0.02, max_extra=0.005):
    """Exact-form check of a distilled law against the true one, term by term.

    The true law is given by its term *shapes* (``dx/r**3``, ``m_j*dx/r**3``, ...) and its
    values ``target`` on the rows of ``table``; its constants are the least-squares
    coefficients of those shapes on ``target`` (so a simulator's softening is absorbed the way
    the data show it). ``found`` is expanded into additive terms and matched by shape. It
    matches when every true shape is present with a coefficient within ``rtol`` (relative) and
    every other term contributes at most ``max_extra`` of the target's root mean square, or
    when ``found`` reproduces ``target`` itself to within ``max_extra`` (relative root mean
    square): the simulator's own law written another way.

    Parameters
    ----------
    found : sympy.Expr
        The distilled law.
    shapes : list of sympy.Expr
        The true law's terms without their constants.
    table : ndarray of shape (n_rows, n_variables)
        Rows of the variables ``names`` (e.g. the training range of the edges).
    names : list of str
        Variable names of the columns of ``table``.
    target : ndarray of shape (n_rows,)
        The true law's values on the rows.
    rtol : float, default=0.02
        Largest relative error of a coefficient.
    max_extra : float, default=0.005
        Largest root-mean-square contribution of a term that is not in the true law, relative
        to the target's.

    Returns
    -------
    dict
        ``match`` (bool), ``coefficients`` (true shape -> (found, true) coefficients),
        ``missing`` (true shapes not found), ``extra`` (other terms -> relative contribution),
        ``deviation`` (relative root-mean-square difference from ``target``).

    Examples
    --------
    >>> import numpy as np, sympy
    >>> rng = np.random.default_rng(0)
    >>> table = np.column_stack([rng.normal(size=500), rng.uniform(0.5, 3, 500)])
    >>> target = -0.0315 * table[:, 0]  # a spring of rest length 0: F = -k dx
    >>> found = sympy.sympify("-0.0315*dx + 0.00298*dx/r")
    >>> law_form_match(found, [sympy.Symbol("dx")], table, ["dx", "r"], target)["match"]
    False
    """
    table, target = np.asarray(table, dtype=np.float64), np.asarray(target, dtype=np.float64)
    shapes = [sympy.sympify(s) for s in shapes]
    basis = np.column_stack(_term_values(shapes, table, names))
    true_coefficients = np.linalg.lstsq(basis, target, rcond=None)[0]
    found_terms = {}
    for term in sympy.Add.make_args(sympy.expand(found)):
        coefficient, shape = term.as_coeff_Mul()
        found_terms[shape] = found_terms.get(shape, 0.0) + float(coefficient)
    coefficients, missing = {}, []
    for shape, true in zip(shapes, true_coefficients):
        if shape in found_terms:
            coefficients[str(shape)] = (found_terms.pop(shape), float(true))
        else:
            missing.append(str(shape))
    scale = max(float(np.sqrt(np.mean(target**2))), np.finfo(float).tiny)
    extra = {str(c * s): float(np.sqrt(np.mean(v**2)) / scale) for (s, c), v in zip(
        found_terms.items(), _term_values([c * s for s, c in found_terms.items()], table, names))}
    terms_match = not missing and all(
        abs(f - t) <= rtol * abs(t) for f, t in coefficients.values()
    ) and all(v <= max_extra for v in extra.values())
    # a law written another way (e.g. with the simulator's softening, m_j dx/(r (r + 0.01)))
    # matches when it reproduces the true values to within max_extra
    values = _term_values([found], table, names)[0]
    deviation = float(np.sqrt(np.mean((values - target) ** 2)) / scale)
    return {"match": bool(terms_match or deviation <= max_extra), "coefficients": coefficients,
            "missing": missing, "extra": extra, "deviation": deviation}
