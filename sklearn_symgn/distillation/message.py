"""Distillation of a message-passing network: from its messages to equations.

1. rank the recorded messages' components and keep the significant ones;
2. fit symbolic regression to them as functions of interpretable edge variables (``dx = x_j -
   x_i`` per position column, the distance ``r``, and ``c_i``, ``c_j`` for every other node
   feature ``c``), as they are or, for a central law, as one radial profile;
3. sum the *distilled* messages at each receiver and fit symbolic regression to each node target
   as a function of those sums (``phi1, phi2, ...``) and the node's own features.

Steps 2-3 together form a :class:`~sklearn_symgn.distillation.SymbolicGraphModel`.
"""

import warnings
from numbers import Real

import numpy as np
import sympy
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import Int
from ..messages import messages_are_silent
from ..symbolic import SymbolicBackend
from ..symbolic.parsimony import expression_size, holdout_losses, prune_terms
from .base import BaseDistiller, timed_search
from .central import MESSAGE_FORMS, central_equations, radial_profile, resolve_message_form
from .composed import ComposedLaw
from .node_law import VectorLayout, component_equations
from .radial import (
    acts_linearly,
    graph_model,
    operators_read,
    profile_of,
    pruned_profile,
    reselected,
    softened_profile,
)
from .results import MessageDistillation
from .variables import edge_variables, graph_edge_table, node_variables, sum_at_receivers

__all__ = ["HEAVY_TAIL_RATIO", "VECTOR_R2", "MessageDistiller"]

#: Below this share of the message variance in the distilled components, distill warns that
#: the messages are not sparse.
SPARSE_SHARE = 0.5

#: Alignment residuals for which ``message_form="auto"`` fits both the central and the raw form
#: and keeps the one that explains held-out messages better.
AMBIGUOUS = (0.15, 0.4)

#: Graphs sampled for the final refit of the constants on the targets.
REFIT_GRAPHS = 1000
#: Ordered pairs of nodes the node-law steps (node table, refits) work on at most: larger
#: inputs are subsampled by graphs first (bounded memory; the benchmark's 30,000 graphs of 4
#: bodies, 360,000 pairs, are all used).
DISTILL_PAIRS = 2**20
#: Largest loss of message R² (linear fit) for which the refitted constants are kept.
REFIT_MESSAGE_LOSS = 0.01
#: A composed law whose target loss, refitted, exceeds this fraction of the targets' variance
#: is not exact: the radial profile is searched again with ``extra_operators``. Exact laws of
#: the N-body benchmark stay below 4e-10 (round-off of the simulator's own softening); a
#: rational function standing in for an exponential pair force left 3.6e-5.
EXACT_LOSS = 1e-7

#: ``node_form="auto"`` keeps the vector node law when it explains every target to this R².
VECTOR_R2 = 0.99

#: ``message_quantile="auto"`` trims when the largest selected message magnitude exceeds this
#: multiple of its 95th percentile (close encounters of singular laws; see the user guide).
HEAVY_TAIL_RATIO = 5.0


def message_tail_ratio(size):
    """Largest message magnitude over their 95th percentile (the ``"auto"`` quantile's test)."""
    return float(size.max() / max(np.quantile(size, 0.95), np.finfo(float).tiny))


def resolve_message_quantile(message_quantile, size):
    """The quantile of message magnitudes ``size`` that the message fits keep (1: every edge).

    ``message_quantile`` is a validated setting: ``"auto"``, ``None`` or a number in (0, 1].
    """
    if message_quantile is None:
        return 1.0
    if isinstance(message_quantile, str):
        return 0.95 if message_tail_ratio(size) > HEAVY_TAIL_RATIO else 1.0
    return float(message_quantile)


class MessageDistiller(BaseDistiller):
    """Distils a message-passing network's messages and node model into equations.

    Records of the messages (from the estimator) are ranked by significance; the
    ``n_components`` most significant are fitted by symbolic regression as functions of edge
    variables, then each node target as a function of the summed distilled messages and the
    node's own features. Pass it as ``SymbolicGNRegressor(distiller=...)``; its settings are
    then reachable as ``distiller__<name>`` by ``set_params`` and grid searches.

    Parameters
    ----------
    n_components : int, default=None
        Message components to distil; ``None`` means the number of position columns.
    max_edges : int, default=2500
        Edges sampled for each message fit (the paper used 5,000; 2,500 recovered as many of
        the benchmark's laws with searches about half as long).
    max_nodes : int, default=5000
        Nodes sampled for each node-target fit.
    message_quantile : "auto", float in (0, 1] or None, default="auto"
        Fit the message equations only on edges whose largest selected message magnitude is at
        or below this quantile (``1`` or ``None``: every edge). For heavy-tailed laws (1/r,
        1/r²) the network is least accurate at close encounters, and a few such edges pull the
        search towards saturating forms. ``"auto"`` keeps the 95 % smallest when the largest
        magnitude exceeds :data:`HEAVY_TAIL_RATIO` times their 95th percentile, and every edge
        otherwise.
    message_form : {"auto", "central", "aligned", "raw"}, default="auto"
        How the selected components are distilled. A network learns a law only up to a linear
        mix of its components. ``"raw"`` fits each component as it is (the paper);
        ``"aligned"`` first maps them linearly onto the position axes, one fit each;
        ``"central"`` aligns them, then fits one scalar radial profile ``g`` so that
        ``phi_d = (d_d / r) g``; ``"auto"`` uses ``"central"`` when the aligned messages are
        measurably parallel to the edge directions, ``"raw"`` when they are clearly not, and,
        where the alignment residual is ambiguous (in :data:`AMBIGUOUS`), fits both and keeps
        the form whose equations explain held-out messages better (``message_form_scores_``).
    node_form : {"auto", "vector", "components"}, default="auto"
        How the node targets are distilled. ``"vector"``: one law for all targets ``a_d =
        h(phi_d, v_d, m, q, ...)`` on rows (node, axis), where ``phi_d`` is the summed message
        of axis ``d``, ``v_d`` the node's component of each vector feature (columns named
        ``<prefix><position name>``, e.g. ``vx``, ``vy``) and the other non-position features
        are shared (``vector_node_equation_``); it needs axis-aligned messages (form
        ``"central"`` or ``"aligned"``) and one target per position column. ``"components"``:
        one search per target over every node feature (the paper). ``"auto"``: the vector law
        where it applies and explains every target to R² ≥ :data:`VECTOR_R2`, else one search
        per target.
    refit_constants : bool, default=True
        Finally refit the constants of the chosen equations, message and node equations
        together, by least squares on the targets of (up to 2,000 of) the graphs: the searches
        fit the network's messages, which carry its small errors, while the targets are the
        data. Constants equal in several equations (one radial profile, one vector node law)
        stay equal.
    target_names : list of str, default=None
        Left-hand sides of the node equations; ``None`` means ``y0, y1, ...``.
    backend : SymbolicBackend, default=None
        Symbolic-regression engine; ``None`` means
        :class:`~sklearn_symgn.symbolic.OperonBackend` with its defaults.
    node_backend : SymbolicBackend, default=None
        Engine of the node-law searches; ``None`` means ``backend``. A message law with steps
        needs piecewise operators (``fmin``, ``floor``, ...), whose searches run longer before
        they stop; the node law (``a = F / m``) rarely does, so a plain engine finds it sooner.
    extra_operators : tuple of str, default=("exp",)
        Unary operators of a second radial search, run only when the composed law, its
        constants refitted on the targets, is not exact there (loss above 1e-7 of the
        targets' variance, where the paper's laws on simulated data leave round-off); the
        second search's law is kept only when it is exact there, and ``added_operators_``
        then names what it added. On noisy data no law is exact, so the second search runs
        and its law is never kept. ``()`` switches this off. ``exp`` is not in the default
        set of the first search: there it made the paper's charge laws come out as
        exponential approximants and distillation a third slower (see the benchmarks).
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of edges and nodes (and the default backend); ``None`` takes the
        estimator's.

    Examples
    --------
    >>> from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
    >>> from sklearn_symgn.datasets import make_nbody
    >>> from sklearn_symgn.symbolic import OperonBackend
    >>> X, y = make_nbody("spring", n_samples=100, random_state=0)
    >>> fast = OperonBackend(max_time=None, generations=5, population_size=50, random_state=0)
    >>> model = SymbolicGNRegressor(max_epochs=1, hidden_layer_sizes=(8,), random_state=0,
    ...                             distiller=MessageDistiller(backend=fast))
    >>> len(model.fit(X, y).distill(X, y).node_equations_)
    2
    """

    _parameter_constraints = {
        **BaseDistiller._parameter_constraints,
        "n_components": [Int(1), None],
        "max_edges": [Int(1)],
        "max_nodes": [Int(1)],
        "message_quantile": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="right"), None],
        "message_form": [StrOptions(set(MESSAGE_FORMS))],
        "node_form": [StrOptions({"auto", "vector", "components"})],
        "refit_constants": ["boolean"],
        "target_names": ["array-like", None],
        "node_backend": [SymbolicBackend, None],
        "extra_operators": ["array-like"],
    }

    def __init__(self, *, n_components=None, max_edges=2500, max_nodes=5000,
                 message_quantile="auto", message_form="auto", node_form="auto",
                 refit_constants=True, target_names=None, backend=None, node_backend=None,
                 extra_operators=("exp",), random_state=None):
        super().__init__(backend=backend, random_state=random_state)
        self.n_components = n_components
        self.max_edges = max_edges
        self.max_nodes = max_nodes
        self.message_quantile = message_quantile
        self.message_form = message_form
        self.node_form = node_form
        self.refit_constants = refit_constants
        self.target_names = target_names
        self.node_backend = node_backend
        self.extra_operators = extra_operators

    def distill(self, graphs, edges, spec, *, verbose=0):
        """Distil recorded messages and the graphs' targets into equations.

        Parameters
        ----------
        graphs : GraphInput
            Validated graphs with float64 features and targets.
        edges : EdgeMessages
            The network's messages on (a sample of) their edges.
        spec : NetworkSpec
            Columns, names, graph builder and target shape of the network.
        verbose : int, default=0
            Print each equation as it is found.

        Returns
        -------
        MessageDistillation
        """
        self._validate_params()
        graphs = _bounded(graphs, self._fresh_rng())
        targets, target_names = self._targets(graphs, spec)
        backend = self._resolved_backend(self._fresh_rng())
        rng = self._fresh_rng()
        components, significance, share, selected = self._select(edges, spec)
        table, variables = edge_variables(edges.x_receiver, edges.x_sender,
                                          spec.position_columns, spec.feature_names,
                                          spec.graph.periodic_box())
        quantile, fit_edges = self._fit_edges(selected, rng, verbose)
        form, transform, residual = resolve_message_form(
            self.message_form, selected, table, fit_edges, len(spec.position_columns), verbose
        )
        forms = [form]
        if self.message_form == "auto" and AMBIGUOUS[0] < residual <= AMBIGUOUS[1]:
            forms = ["central", "raw"]  # fit both, keep the one that explains held-out edges
        fits = {
            f: self._form_fit(f, transform if f == form else None, selected, table, fit_edges,
                              variables, backend, (components, share),
                              len(spec.position_columns), verbose, rng)
            for f in forms
        }
        form = max(fits, key=lambda f: fits[f][3])
        edge_equations, radial, transform, _, search = fits[form]
        added = ()
        form_scores = {f: fit[3] for f, fit in fits.items()} if len(fits) > 1 else {}
        node_backend = backend if self.node_backend is None else self.node_backend
        node_equations, vector = self._node_equations(
            graphs, spec, edge_equations, targets, target_names, rng, node_backend, verbose, form
        )
        model = graph_model(edge_equations, node_equations, spec)
        if self.refit_constants:
            subset, messages = _refit_sample(graphs, rng), (table, selected @ transform.T)
            edge_equations, node_equations = self._refitted(model, subset, rng, messages)
            if radial is not None:
                (edge_equations, node_equations), radial, added = self._radial_law(
                    radial, (edge_equations, node_equations), spec, subset, variables,
                    (backend, search))
            if form == "raw":
                edge_equations, node_equations = self._without_offsets(
                    graphs, spec, edge_equations, node_equations, rng, backend)
            node_equations = self._pruned(graphs, spec, edge_equations, node_equations,
                                          targets, rng, node_backend)
            if radial is not None:  # the profile behind the refitted message equations
                radial = profile_of(edge_equations[0], radial, variables,
                                    len(spec.position_columns))
            model = graph_model(edge_equations, node_equations, spec)
        law = _composed(edge_equations, node_equations, spec)
        return MessageDistillation(
            edge_equations, node_equations, model, components, significance, share, form,
            quantile, transform, residual, radial, vector, law, form_scores, added,
        )

    def _targets(self, graphs, spec):
        targets = graphs.node_targets()
        if targets.shape[1] != spec.n_targets:
            raise ValueError(
                f"y has {targets.shape[1]} targets per node; the network predicts "
                f"{spec.n_targets}."
            )
        names = [f"y{t}" for t in range(spec.n_targets)] if self.target_names is None else [
            str(n) for n in self.target_names
        ]
        if len(names) != spec.n_targets:
            raise ValueError(
                f"target_names needs {spec.n_targets} names (one per target); got {len(names)}: "
                f"{list(self.target_names)!r}."
            )
        return targets, names

    def _select(self, edges, spec):
        """The significant components, their scores and variance share, and their values."""
        if len(edges.messages) == 0:
            raise ValueError("X has no edges, so there are no messages to distil.")
        order, significance = edges.ranked_components()
        width = edges.messages.shape[1]
        k = len(spec.position_columns) if self.n_components is None else self.n_components
        if not 1 <= k <= width:
            raise ValueError(
                f"n_components must be in [1, {width}] (the message width); got {k}."
            )
        components = order[:k]
        variance = edges.messages.var(axis=0)
        share = variance[components] / max(variance.sum(), np.finfo(float).tiny)
        selected = edges.messages[:, components].astype(np.float64)
        if messages_are_silent(selected):
            raise ValueError(
                "The network's messages carry no signal (no component varies measurably over "
                "the edges): there is nothing to distil. The message penalty may be too strong "
                "(lower `l1_strength` or `kl_strength`), training too short (raise "
                "`max_epochs`), or an augmentation (`translation_std`) too large."
            )
        if share.sum() < SPARSE_SHARE and width > k:
            warnings.warn(
                f"The {k} distilled message components hold only {share.sum():.0%} of the "
                "message variance: the messages are not sparse, so the equations describe only "
                "part of what the network passes. Train longer (max_epochs), raise the penalty "
                "(l1_strength), or use regularization='bottleneck'.", UserWarning, stacklevel=4,
            )
        return components, significance[:k], share, selected

    def _fit_edges(self, selected, rng, verbose):
        """The quantile used and the sampled rows the message equations are fitted on."""
        size = np.abs(selected).max(axis=1)
        quantile = resolve_message_quantile(self.message_quantile, size)
        if verbose and isinstance(self.message_quantile, str):
            print(f"message_quantile='auto': {quantile:g} (largest message "
                  f"{message_tail_ratio(size):.1f}x the 95th percentile)")
        candidates = np.arange(len(size))
        if quantile < 1:
            candidates = np.flatnonzero(size <= np.quantile(size, quantile))
        rows = rng.choice(candidates, min(self.max_edges, len(candidates)), replace=False)
        return quantile, rows

    def _edge_equations(self, form, aligned, table, rows, variables, backend, selection, dim,
                        verbose):
        """Message equations: one radial profile (central form) or one fit per component; the
        radial profile's equation and the arguments of its search (``timed_search`` after the
        backend), or ``None`` twice."""
        components, share = selection
        if form == "central":
            used, profile = radial_profile(aligned, table, rows, dim)
            what = (f"radial profile of components {[int(c) for c in components]} "
                    f"({share.sum():.1%} of the message variance)")
            search = (table[used, dim:], profile, variables[dim:], "g", verbose, what)
            radial = timed_search(backend, *search)
            return central_equations(radial, variables, dim), radial, search
        equations = [
            timed_search(backend, table[rows], aligned[rows, n], variables, f"phi{n + 1}",
                         verbose, f"message component {int(c)} ({share[n]:.1%} of the message "
                         "variance)")
            for n, c in enumerate(components)
        ]
        return equations, None, None

    def _node_equations(self, graphs, spec, edge_equations, targets, target_names, rng,
                        backend, verbose, form):
        """Node equations on the summed distilled messages and the node's own features: one
        vector law for all axes where the messages are axis-aligned, else one per target."""
        x, sums, node_table, node_names = self._node_table(graphs, spec, edge_equations)
        aligned = form in ("central", "aligned") and \
            len(edge_equations) == len(spec.position_columns) == spec.n_targets
        if self.node_form == "vector" and not aligned:
            raise ValueError(
                "node_form='vector' needs messages aligned with the position axes (message "
                f"form 'central' or 'aligned'; got {form!r}) and one target per position column."
            )
        vector = None
        if aligned and self.node_form != "components":
            layout = VectorLayout(spec.feature_names, spec.position_columns, spec.node_columns)
            table, values = layout.table(sums, x), targets.T.reshape(-1)
            rows = rng.choice(len(table), min(self.max_nodes, len(table)), replace=False)
            vector = timed_search(backend, table[rows], values[rows], layout.names, "a_d",
                                  verbose, "vector node law of all targets")
            equations = component_equations(vector, layout, target_names, node_names)
            if self.node_form == "vector" or _explains(equations, node_table, targets):
                return equations, vector
        rows = rng.choice(len(node_table), min(self.max_nodes, len(node_table)), replace=False)
        seen = _seen_by_node_model(node_table[rows], len(edge_equations), spec.node_columns)
        return [
            timed_search(backend, seen, targets[rows, t], node_names, target,
                         verbose, f"node target {target}")
            for t, target in enumerate(target_names)
        ], None

    def _form_fit(self, form, transform, selected, table, fit_edges, variables, backend,
                  selection, dim, verbose, rng):
        """Edge equations in one form, and how well they explain messages of held-out edges
        (R² of the messages they reconstruct, in the network's own components). ``transform``
        is the form's alignment, or ``None`` to compute it (the form not resolved first)."""
        if transform is None:
            transform = np.eye(selected.shape[1]) if form == "raw" else \
                resolve_message_form(form, selected, table, fit_edges, dim)[1]
        equations, radial, search = self._edge_equations(
            form, selected @ transform.T, table, fit_edges, variables, backend, selection, dim,
            verbose)
        held = np.setdiff1d(np.arange(len(table)), fit_edges)
        held = rng.choice(held, min(self.max_edges, len(held)), replace=False) if len(held) \
            else fit_edges
        with np.errstate(all="ignore"):
            aligned = np.column_stack([eq(table[held]) for eq in equations])
            rebuilt = aligned @ np.linalg.inv(transform).T
        finite = bool(np.all(np.isfinite(rebuilt)))
        score = r2_score(selected[held], rebuilt, multioutput="variance_weighted") if finite \
            else -np.inf
        if verbose and self.message_form == "auto":
            print(f"[distill] {form!r} form explains held-out messages to R² {score:.4f}",
                  flush=True)
        return equations, radial, transform, float(score), search

    def _radial_law(self, radial, equations, spec, subset, variables, search):
        """The radial row chosen on the targets (:func:`.radial.reselected`) and simplified
        (:func:`.radial.pruned_profile`). When the law it keeps is not exact on them (refitted
        loss above :data:`EXACT_LOSS` of their variance), a softened distance is tried
        (:func:`.radial.softened_profile`, simplified again when kept) and, if still not exact,
        the row chosen in the same way from a second search with ``extra_operators``, kept
        when its law is exact there (an approximant with ``exp`` standing in for a softening,
        30x better than the plain law but not exact, is not kept). Returns the equations, the
        radial equation and the operators added."""
        kept = pruned_profile(radial, reselected(radial, equations, spec, subset, variables),
                               spec, subset, variables)
        loss, exact = (graph_model(*kept, spec).refit(subset).loss_,
                       EXACT_LOSS * float(np.var(subset.node_targets())))
        if loss <= exact:
            return kept, radial, ()
        softened = softened_profile(radial, kept, spec, subset, variables)
        if softened is not kept:  # terms that only stood in for the softening go now
            kept = pruned_profile(radial, softened, spec, subset, variables)
            loss = graph_model(*kept, spec).refit(subset).loss_
        backend, args = search
        grown = backend.extended(tuple(self.extra_operators)) if self.extra_operators else None
        if grown is None or loss <= exact:
            return kept, radial, ()
        added = tuple(op for op in grown.get_params()["unary_operators"]
                      if op not in backend.get_params()["unary_operators"])
        X, y, names, target, verbose, what = args
        if verbose:
            print(f"[distill] the law is not exact on the targets (loss {loss:.3g}): searching "
                  f"the radial profile again with {list(added)}", flush=True)
        other = timed_search(grown, X, y, names, target, verbose, f"{what} with {list(added)}")
        first = graph_model(central_equations(other, variables, len(spec.position_columns)),
                            equations[1], spec).refit(subset)
        candidate = pruned_profile(other, reselected(
            other, (first.edge_equations_, first.node_equations_), spec, subset, variables),
            spec, subset, variables)
        law = candidate[0][0].expression
        if (graph_model(*candidate, spec).refit(subset).loss_ <= exact
                and not acts_linearly(law, spec, subset, variables)):
            # only an exact law earns the extra operators; those it does not read are not added
            return candidate, other, operators_read(law, added)
        return kept, radial, ()

    def _refitted(self, model, subset, rng, messages):
        """The equations with their constants refitted on the graphs ``subset``'s targets,
        unless that loses the messages: the refit is kept when the message equations still
        explain the (aligned) messages linearly to within 0.01 of R² of before."""
        model.refit(subset)
        table, aligned = messages
        rows = rng.choice(len(table), min(self.max_edges, len(table)), replace=False)
        before = _message_fit(model.edge_equations, table[rows], aligned[rows])
        after = _message_fit(model.edge_equations_, table[rows], aligned[rows])
        if after < before - REFIT_MESSAGE_LOSS:
            return model.edge_equations, model.node_equations
        return model.edge_equations_, model.node_equations_

    def _without_offsets(self, graphs, spec, edge_equations, node_equations, rng, backend):
        """Raw message equations without a constant term the node law only cancels: where
        every node has the same number of neighbours, ``Σ_j (f + b)`` and a node constant
        ``-n b`` trade off exactly (bottleneck charge-3 kept ``-0.242/m_i`` per pair against
        ``+0.726/m_i`` on 4-body graphs, so its pair force was wrong). Each edge equation's
        constant is dropped when the refitted model loses at most the backend's
        ``prune_tolerance`` of R²."""
        tolerance = getattr(backend, "prune_tolerance", 0.0)
        if not tolerance:
            return edge_equations, node_equations
        subset = _refit_sample(graphs, rng)
        budget = tolerance * float(np.var(subset.node_targets()))
        best = graph_model(edge_equations, node_equations, spec).refit(subset)
        limit, changed = best.loss_ + budget, False
        for k, equation in enumerate(edge_equations):
            expression = sympy.expand(equation.expression)
            offset, _ = expression.as_independent(*expression.free_symbols, as_Add=True)
            if offset == 0 or not expression.free_symbols:
                continue
            trial = list(best.edge_equations_)
            trial[k] = equation.with_chosen(expression - offset,
                                            expression_size(expression - offset))
            model = graph_model(trial, best.node_equations_, spec).refit(subset)
            if model.loss_ <= limit:
                best, changed = model, True
        if not changed:
            return edge_equations, node_equations
        return best.edge_equations_, best.node_equations_

    def _pruned(self, graphs, spec, edge_equations, node_equations, targets, rng, backend):
        """Node equations without the terms that stopped paying once the constants were
        refitted on the targets (a cubic of the summed messages whose coefficient the refit
        drove from 10.4 to 2e-4 stayed in the law): each term whose removal costs at most the
        backend's ``prune_tolerance`` of R² is removed, the rest refitted."""
        tolerance = getattr(backend, "prune_tolerance", 0.0)
        if not tolerance:
            return node_equations
        _, _, node_table, node_names = self._node_table(graphs, spec, edge_equations)
        rows = rng.choice(len(node_table), min(self.max_nodes, len(node_table)), replace=False)
        pruned = []
        for t, equation in enumerate(node_equations):
            X, y = node_table[rows], targets[rows, t]
            expression, removed = prune_terms(equation.expression, X, y, node_names, tolerance)
            if removed:
                loss = float(holdout_losses([expression], X, y, node_names)[0])
                equation = equation.with_chosen(expression, expression_size(expression), loss)
            pruned.append(equation)
        return pruned

    @staticmethod
    def _node_table(graphs, spec, edge_equations):
        """Target nodes' features, summed distilled messages, and the node-variable table."""
        x, receiver, table, _ = graph_edge_table(graphs, spec.graph, spec.position_columns,
                                                 spec.feature_names)
        phi = np.column_stack([eq(table) for eq in edge_equations])
        sums = sum_at_receivers(phi, receiver, len(x))
        node_table, node_names = node_variables(sums, x, spec.feature_names)
        rows = graphs.target_nodes()
        return x[rows], sums[rows], node_table[rows], node_names


def _seen_by_node_model(node_table, n_messages, node_columns):
    """The node table with the features the node model does not see held constant (zero):
    the backend leaves constant columns out of the search, the variables keep their names."""
    if node_columns is None:
        return node_table
    table, seen = node_table.copy(), set(node_columns)
    hidden = [n_messages + k for k in range(table.shape[1] - n_messages) if k not in seen]
    table[:, hidden] = 0.0
    return table


def _composed(edge_equations, node_equations, spec):
    """The composed law of the chosen equations (one expression per target)."""
    return ComposedLaw.from_equations(edge_equations, node_equations, spec.feature_names,
                                      spec.position_columns, spec.graph, spec.node_target_shape)


def _bounded(graphs, rng):
    """``graphs``, or a random subset of them (in order) of at most :data:`DISTILL_PAIRS`
    ordered pairs of nodes in all."""
    n = graphs.graphs_per_chunk(DISTILL_PAIRS)
    if n >= graphs.n_graphs:
        return graphs
    return graphs.subset(np.sort(rng.choice(graphs.n_graphs, n, replace=False)))


def _refit_sample(graphs, rng):
    """Up to ``REFIT_GRAPHS`` graphs, drawn with ``rng``, for refitting constants."""
    rows = rng.choice(graphs.n_graphs, min(REFIT_GRAPHS, graphs.n_graphs), replace=False)
    return graphs.subset(np.sort(rows))


def _message_fit(equations, table, messages):
    """R² of the best linear map from the equations' values to the messages."""
    with np.errstate(all="ignore"):
        values = np.column_stack([eq(table) for eq in equations])
    if not np.all(np.isfinite(values)):
        return -np.inf
    fit = LinearRegression().fit(values, messages)
    return r2_score(messages, fit.predict(values), multioutput="variance_weighted")


def _explains(equations, node_table, targets, threshold=VECTOR_R2):
    """True when every per-target equation explains its target to R² ≥ ``threshold``."""
    for t, eq in enumerate(equations):
        with np.errstate(all="ignore"):
            pred = eq(node_table)
        if not np.all(np.isfinite(pred)) or r2_score(targets[:, t], pred) < threshold:
            return False
    return True
