r"""Message strategies of the paper: what keeps the messages sparse, one small object each.

A strategy says how wide the edge model's output is, which messages are summed, what penalty is
added to the loss and how message components are ranked for distillation. The estimator's
``regularization`` string picks one (:func:`make_strategy`); nothing outside this module asks
which strategy it holds.
"""

import numpy as np
import torch

__all__ = [
    "STRATEGIES", "Bottleneck", "KL", "L1", "MessageStrategy", "Standard", "make_strategy",
]


class MessageStrategy:
    """Base: unconstrained messages of width ``message_dim`` (100 by default), no penalty.

    Parameters
    ----------
    strength : float, default=0.0
        Weight of the penalty.
    """

    #: The ``regularization`` string of the estimator.
    name = "standard"
    #: The estimator parameter that holds ``strength`` (``None``: no penalty).
    strength_parameter = None

    def __init__(self, strength=0.0):
        self.strength = strength

    def message_dim(self, message_dim, n_targets):
        """The message width: ``message_dim`` if given, else this strategy's default."""
        return 100 if message_dim is None else message_dim

    def output_width(self, message_dim):
        """Width of the edge model's output for messages of width ``message_dim``."""
        return message_dim

    def means(self, raw):
        """The deterministic messages in a raw edge-model output (what distillation reads)."""
        return raw

    def sample(self, raw, training):
        """The messages that are summed at the receivers."""
        return raw

    def penalty(self, raw, n_nodes):
        """Loss term of one batch (a scalar tensor), normalised by its node count."""
        return raw.new_zeros(())

    def significance(self, raw):
        """Score per message component of raw outputs ``(E, width)``: standard deviation."""
        return np.asarray(raw).std(axis=0)

    def __repr__(self):
        return f"{type(self).__name__}(strength={self.strength!r})"


class Standard(MessageStrategy):
    """The paper's *standard* model: no constraint on the messages."""


class Bottleneck(MessageStrategy):
    """Messages as wide as the targets (the spatial dimension for accelerations)."""

    name = "bottleneck"

    def message_dim(self, message_dim, n_targets):
        return n_targets if message_dim is None else message_dim


class L1(MessageStrategy):
    r"""L1 penalty :math:`\lambda \sum_{edges} \lVert \mathbf{m}_{ij} \rVert_1 / N`."""

    name = "l1"
    strength_parameter = "l1_strength"

    def penalty(self, raw, n_nodes):
        return self.strength * raw.abs().sum() / n_nodes


class KL(MessageStrategy):
    r"""Messages sampled from a learned Gaussian, with its KL divergence to :math:`N(0, 1)`.

    The edge model outputs means then log-variances; the penalty is
    :math:`\lambda \sum_{edges, k} \tfrac12 (e^{\log\sigma^2} + \mu^2 - \log\sigma^2) / N`, and
    components are ranked by their mean KL divergence (as in the paper).
    """

    name = "kl"
    strength_parameter = "kl_strength"

    def output_width(self, message_dim):
        return 2 * message_dim

    def means(self, raw):
        return raw[:, : raw.shape[1] // 2]

    def sample(self, raw, training):
        mu, logvar = raw.chunk(2, dim=-1)
        if not training:
            return mu
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def penalty(self, raw, n_nodes):
        mu, logvar = raw.chunk(2, dim=-1)
        kl = 0.5 * (torch.exp(logvar) + mu**2 - logvar)
        return self.strength * kl.sum() / n_nodes

    def significance(self, raw):
        mu, logvar = np.split(np.asarray(raw), 2, axis=1)
        return 0.5 * np.mean(np.exp(logvar) + mu**2 - logvar - 1.0, axis=0)


STRATEGIES = {cls.name: cls for cls in (Standard, Bottleneck, L1, KL)}


def make_strategy(regularization, **strengths):
    """The strategy object for a ``regularization`` string (see :data:`STRATEGIES`).

    ``strengths`` maps estimator parameters (``l1_strength``, ``kl_strength``) to values; the
    strategy takes the one it uses.

    Examples
    --------
    >>> from sklearn_symgn.models.strategies import make_strategy
    >>> make_strategy("l1", l1_strength=0.3, kl_strength=0.01)
    L1(strength=0.3)
    """
    cls = STRATEGIES[regularization]
    return cls(strengths.get(cls.strength_parameter, 0.0))
