"""Message regularisers of the paper: what makes the messages sparse and interpretable."""

import torch

__all__ = ["message_penalty"]


def message_penalty(raw_messages, n_nodes, regularization, strength):
    r"""Penalty added to the loss for one batch.

    * ``"l1"``: :math:`\lambda \sum_{edges} \lVert \mathbf{m}_{ij} \rVert_1 / N`;
    * ``"kl"``: :math:`\lambda \sum_{edges, k} \tfrac12 (e^{\log\sigma^2} + \mu^2 - \log\sigma^2) / N`,
      the KL divergence of :math:`\mathcal{N}(\mu, \sigma^2)` to :math:`\mathcal{N}(0, 1)` up to a
      constant;
    * ``"standard"``, ``"bottleneck"``: no penalty.

    Parameters
    ----------
    raw_messages : Tensor of shape (n_edges, message_dim) or (n_edges, 2 * message_dim)
        Edge-model outputs (means then log-variances for ``"kl"``).
    n_nodes : int
        Number of nodes in the batch :math:`N` (the paper normalises by batch size times nodes).
    regularization : {"standard", "bottleneck", "l1", "kl"}
    strength : float
        The weight :math:`\lambda`.

    Returns
    -------
    Tensor
        A scalar.
    """
    if regularization == "l1":
        return strength * raw_messages.abs().sum() / n_nodes
    if regularization == "kl":
        mu, logvar = raw_messages.chunk(2, dim=-1)
        kl = 0.5 * (torch.exp(logvar) + mu**2 - logvar)
        return strength * kl.sum() / n_nodes
    return raw_messages.new_zeros(())
