"""Record the edge messages of a fitted network and rank their components.

This is the first step of distillation: the messages computed on (a random subsample of) the
edges of some graphs, together with the raw features of each edge's receiver and sender.
"""

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["EdgeMessages", "collect_messages", "rank_components"]


@dataclass
class EdgeMessages:
    """Messages on a set of edges.

    Attributes
    ----------
    messages : ndarray of shape (n_edges, message_dim)
        Messages (the means for KL networks), in the network's internal units.
    logvar : ndarray of shape (n_edges, message_dim) or None
        Log-variances of KL messages.
    graph, receiver, sender : ndarray of shape (n_edges,)
        Index of the graph in ``X`` and of the receiver ``i`` and sender ``j`` inside that graph.
    x_receiver, x_sender : ndarray of shape (n_edges, n_features)
        Raw node features of receiver and sender.
    """

    messages: np.ndarray
    logvar: np.ndarray | None
    graph: np.ndarray
    receiver: np.ndarray
    sender: np.ndarray
    x_receiver: np.ndarray
    x_sender: np.ndarray


@torch.no_grad()
def collect_messages(estimator, X, *, max_edges=None, batch_size=4096, random_state=None):
    """Compute the messages of a fitted :class:`~sklearn_symgn.SymbolicGNRegressor` on ``X``.

    Parameters
    ----------
    estimator : SymbolicGNRegressor
        A fitted estimator.
    X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
        Graphs whose edges are recorded.
    max_edges : int, default=None
        Keep a uniform random subsample of at most this many edges.
    batch_size : int, default=4096
        Graphs per forward pass (bounds memory).
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample.

    Returns
    -------
    EdgeMessages
    """
    inputs = estimator._network_inputs(X)
    module = estimator.net_.module_
    was_training = module.training
    module.eval()
    device = next(module.parameters()).device
    chunks = []
    try:
        items = inputs.X
        for start in range(0, inputs.n_graphs, batch_size):
            part = items[start : start + batch_size]
            if inputs.dense:
                batch_in = part.to(device)
            else:
                from torch_geometric.data import Batch

                batch_in = Batch.from_data_list(part).to(device)
            x, edge_index, batch, _ = module.graph_inputs(batch_in)
            raw = module.layer.edge_updater(edge_index, x=module.scale(x, batch))
            sender, receiver = edge_index
            graph = batch[receiver]
            if inputs.dense:
                first = graph * part.shape[1]
            else:
                first = batch_in.ptr[graph]
            chunks.append(
                [t.cpu().numpy() for t in (raw, graph + start, receiver - first, sender - first,
                                            x[receiver], x[sender])]
            )
    finally:
        module.train(was_training)
    raw, graph, receiver, sender, x_i, x_j = (np.concatenate(c) for c in zip(*chunks))
    if max_edges is not None and len(raw) > max_edges:
        keep = np.sort(check_random_state(random_state).choice(len(raw), max_edges, replace=False))
        raw, graph, receiver, sender, x_i, x_j = (
            a[keep] for a in (raw, graph, receiver, sender, x_i, x_j)
        )
    logvar = None
    if module.layer.kl:
        raw, logvar = np.split(raw, 2, axis=1)
    return EdgeMessages(raw, logvar, graph, receiver, sender, x_i, x_j)


def rank_components(edge_messages):
    """Order message components by significance, most significant first.

    Standard deviation over edges for deterministic messages; mean KL divergence to ``N(0, 1)``
    for KL messages (as in the paper).

    Returns
    -------
    order : ndarray of int
        Component indices, most significant first.
    significance : ndarray
        The score of each component, in ``order``.
    """
    if edge_messages.logvar is not None:
        mu, logvar = edge_messages.messages, edge_messages.logvar
        score = 0.5 * np.mean(np.exp(logvar) + mu**2 - logvar - 1.0, axis=0)
    else:
        score = edge_messages.messages.std(axis=0)
    order = np.argsort(score)[::-1]
    return order, score[order]
