"""Central-law structure of messages: align them with the position axes, fit a radial profile.

A graph network learns a pair law only up to an invertible linear mix of its message components
(e.g. ``0.8 F_x - 0.6 F_y``). For a *central* law, ``f = u g`` with ``u = (p_j - p_i) / r`` and a
scalar ``g``, the mix can be undone from the messages alone (:func:`central_alignment`); then one
symbolic regression of the scalar radial profile ``g(r, q_i, q_j, m_i, m_j, ...)`` gives every
component as ``phi_d = (d_d / r) g``. Both steps are checked on the data, never assumed: the
alignment residual says how central the messages are.
"""

import numpy as np
import sympy

from .._validation import check_option
from ..symbolic import Equation

__all__ = ["ALIGNMENT_TOLERANCE", "MESSAGE_FORMS", "central_alignment", "central_equations",
           "radial_profile", "resolve_message_form", "unit_directions"]

#: ``message_form="auto"`` treats messages as central when, once aligned, they are this close to
#: parallel to the edge directions (median ``|sin|`` of the angle; unrelated messages: ~0.7 in 2-D).
ALIGNMENT_TOLERANCE = 0.25

#: ``"raw"``: each selected component as it is (the paper); ``"aligned"``: aligned with the axes,
#: one fit each; ``"central"``: aligned, one fit of the radial profile; ``"auto"``: ``"central"``
#: when the alignment residual is within ``ALIGNMENT_TOLERANCE``, else ``"raw"``.
MESSAGE_FORMS = ("auto", "central", "aligned", "raw")


def central_alignment(messages, directions):
    r"""Linear map that turns messages of a central law into per-axis components.

    If the messages are a linear image ``m = A f`` of a central vector law ``f = u g`` (``u`` the
    unit vector from receiver to sender, ``g`` any scalar function of the edge), every message is
    parallel to ``A u``: :math:`m_a (A u)_b - m_b (A u)_a = 0` for all axis pairs, a homogeneous
    linear system in the entries of ``A`` whose null space is found by SVD. The aligned
    components ``A^{-1} m = u g`` are each one axis times a scalar law (``dx * g``, ``dy * g``),
    which symbolic regression finds far more reliably than the rotated mixtures the network
    learns. Signs and magnitudes of ``g`` do not matter (each edge is weighted by
    ``|m| / (|m| + mean |m|)``), so it works for attractive, repulsive and sign-changing laws.

    Parameters
    ----------
    messages : ndarray of shape (n_edges, dim)
        The selected message components.
    directions : ndarray of shape (n_edges, dim)
        Unit vectors ``(p_j - p_i) / r``.

    Returns
    -------
    transform : ndarray of shape (dim, dim)
        ``T`` with aligned components ``messages @ T.T``, scaled by one factor (the same for
        every axis, so that the profile ``g`` is the same on each) so that they keep the
        messages' average standard deviation.
    residual : float
        Median over edges of ``|sin|`` of the angle between the aligned message and ``u``,
        each edge weighted by its aligned message's norm (a law that vanishes on most edges,
        such as a force that starts at some distance, is judged where it acts, not on its
        round-off): near 0 for a central law, about 0.7 (2-D) or 0.9 (3-D) for messages
        unrelated to ``u``.
    """
    m = np.asarray(messages, dtype=np.float64)
    u = np.asarray(directions, dtype=np.float64)
    dim = m.shape[1]
    m = m - np.median(m, axis=0)
    size = np.linalg.norm(m, axis=1, keepdims=True)
    # edges far below the typical size (the silent edges of a law that acts only beyond
    # some distance) weigh little, or their round-off would decide the null space
    w = m / (size + np.mean(size) + np.finfo(float).tiny)
    rows = []
    for a in range(dim):
        for b in range(a + 1, dim):
            row = np.zeros((len(m), dim, dim))  # coefficients of A[row index, column index]
            row[:, b, :] = w[:, a, None] * u
            row[:, a, :] -= w[:, b, None] * u
            rows.append(row.reshape(len(m), -1))
    _, _, vt = np.linalg.svd(np.concatenate(rows), full_matrices=False)
    A = vt[-1].reshape(dim, dim)
    if np.linalg.cond(A) > 1e6:
        return np.eye(dim), 1.0
    transform = np.linalg.inv(A)
    v = m @ transform.T
    v_norm = np.linalg.norm(v, axis=1)
    along = np.abs(np.sum(v * u, axis=1))
    sine = np.sqrt(np.clip(1 - (along / np.maximum(v_norm, np.finfo(float).tiny)) ** 2, 0, 1))
    residual = _weighted_median(sine, v_norm) if np.any(v_norm > 0) else 1.0
    # one scale for every axis: a central law has the same profile g on each of them
    aligned_std = np.mean(np.std(v, axis=0))
    transform *= np.mean(np.std(m, axis=0)) / max(aligned_std, np.finfo(float).tiny)
    return transform, residual


def _weighted_median(values, weights):
    """Median of ``values`` under non-negative ``weights``."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def unit_directions(table, rows, dim):
    """Rows of ``rows`` with a non-zero distance, and their unit vectors ``(p_j - p_i) / r``.

    ``table`` holds edge variables as from :func:`~sklearn_symgn.distillation.variables.edge_variables`:
    ``d<p>`` columns first, then ``r``.
    """
    rows = rows[table[rows, dim] > 0] if dim else rows[:0]
    return rows, table[rows, :dim] / table[rows, dim, None]


def radial_profile(aligned, table, rows, dim):
    """Radial component ``g = m · u`` of aligned messages on ``rows`` (zero-length edges left out).

    Returns the rows used and ``g`` on them.
    """
    rows, directions = unit_directions(table, rows, dim)
    return rows, np.sum(aligned[rows] * directions, axis=1)


def resolve_message_form(form, selected, table, fit_edges, dim, verbose=0):
    """Decide how the selected messages are distilled.

    Parameters
    ----------
    form : {"auto", "central", "aligned", "raw"}
    selected : ndarray of shape (n_edges, k)
        Selected message components on all recorded edges.
    table : ndarray of shape (n_edges, n_variables)
        Edge variables (``d<p>`` columns first, then ``r``).
    fit_edges : ndarray of int
        Rows used for the fits.
    dim : int
        Number of position columns.
    verbose : int, default=0

    Returns
    -------
    form : {"central", "aligned", "raw"}
        The form used.
    transform : ndarray of shape (k, k)
        Applied to the messages (``selected @ transform.T``); the identity for ``"raw"``.
    residual : float
        Alignment residual (NaN when alignment was not attempted).
    """
    k = selected.shape[1]
    check_option(form, MESSAGE_FORMS, "message_form")
    if form == "raw":
        return "raw", np.eye(k), float("nan")
    usable, directions = unit_directions(table, fit_edges, dim)
    if k != dim or len(usable) < 10 * k * k:
        if form != "auto":
            raise ValueError(
                f"message_form={form!r} needs n_components equal to the number of position "
                f"columns ({dim}; got {k}) and at least {10 * k * k} edges of non-zero length."
            )
        return "raw", np.eye(k), float("nan")
    transform, residual = central_alignment(selected[usable], directions)
    if form == "auto":
        form = "central" if residual <= ALIGNMENT_TOLERANCE else "raw"
    if verbose:
        print(f"[distill] central-law alignment residual {residual:.3f}: messages distilled as "
              f"{form!r}", flush=True)
    return form, (np.eye(k) if form == "raw" else transform), residual


def central_equations(radial, variables, dim):
    """Per-axis message equations ``phi_d = (d_d / r) g`` from a radial-profile equation ``g``.

    Parameters
    ----------
    radial : Equation
        The profile ``g`` over the non-direction variables (``r`` and the node features).
    variables : list of str
        All edge variables, ``d<p>`` columns first, then ``r``.
    dim : int
        Number of position columns.

    Returns
    -------
    list of Equation
        One per axis, each with the radial front multiplied by its direction cosine, so the
        chosen row and the front are the profile's.
    """
    r = sympy.Symbol(variables[dim])
    equations = []
    for d in range(dim):
        cosine = sympy.Symbol(variables[d]) / r
        equations.append(Equation(
            f"phi{d + 1}", list(variables), radial.complexity + 2, radial.loss,
            [cosine * e for e in radial.expressions], radial.selection, preferred=radial.index,
        ))
    return equations
