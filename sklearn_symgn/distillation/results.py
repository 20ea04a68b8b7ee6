"""Typed results of the distillers; the estimators copy each field into ``<field>_``."""

from dataclasses import dataclass

import numpy as np

__all__ = ["MessageDistillation", "PotentialDistillation"]


@dataclass
class MessageDistillation:
    """What :class:`~sklearn_symgn.distillation.MessageDistiller` found.

    Attributes
    ----------
    edge_equations : list of Equation
        One per distilled message component (``phi1``, ...).
    node_equations : list of Equation
        One per target component.
    symbolic_model : SymbolicGraphModel
        The equations as a model.
    message_components : ndarray of int
        Indices of the distilled message components.
    message_significance : ndarray
        Their significance (standard deviation, or KL).
    message_variance_share : ndarray
        Their share of the total message variance.
    message_form : {"central", "aligned", "raw"}
        How the messages were distilled.
    message_quantile : float
        Quantile of message magnitudes the message equations were fitted on (1: every edge).
    message_transform : ndarray of shape (n_components, n_components)
        Linear map applied to the components before the search (identity when not aligned).
    message_alignment_residual : float
        Distance of the messages from a central law (NaN: not attempted).
    radial_equation : Equation or None
        The radial profile ``g`` (``"central"`` form only).
    vector_node_equation : Equation or None
        The node law shared by all targets (``a_d = h(phi_d, v_d, ...)``) when the node
        equations are its components; ``None`` when each target has its own search.
    composed_law : ComposedLaw
        Message and node equations composed into one expression per target, e.g.
        ``ax_i = Σ_j(1.99*dx*(r - 0.986)/(m_i*r))``; it predicts like ``symbolic_model``.
    message_form_scores : dict
        Where both forms were fitted (ambiguous alignment): form -> R² of the messages of
        held-out edges that its equations reconstruct; empty otherwise.
    added_operators : tuple of str
        Unary operators a second radial search added, and whose law was kept, because the
        law of the default operators was not exact on the targets
        (``MessageDistiller(extra_operators=...)``); empty when none were.
    """

    edge_equations: list
    node_equations: list
    symbolic_model: object
    message_components: np.ndarray
    message_significance: np.ndarray
    message_variance_share: np.ndarray
    message_form: str
    message_quantile: float
    message_transform: np.ndarray
    message_alignment_residual: float
    radial_equation: object
    vector_node_equation: object
    composed_law: object
    message_form_scores: dict
    added_operators: tuple = ()

    @property
    def pair_force(self):
        """The force on ``i`` from ``j`` in physical units (``composed_law.pair_force()``):
        for acceleration targets whose composed law is one pair sum, each component's pair
        term times the receiver's inertial mass, e.g. ``2.0*dx*(r - 0.99)/r``; else ``None``."""
        return self.composed_law.pair_force()


@dataclass
class PotentialDistillation:
    """What :class:`~sklearn_symgn.distillation.PotentialDistiller` found.

    Attributes
    ----------
    force_equation : Equation
        The radial derivative ``dU/dr`` of the pair energy.
    potential_equation : Equation
        The pair potential ``U``: the antiderivative in ``r`` of each row of the front.
    """

    force_equation: object
    potential_equation: object
