"""Record the edge messages of a fitted network and rank their components.

This is the first step of distillation: the messages computed on (a random subsample of) the
edges of some graphs, together with the raw features of each edge's receiver and sender.
"""

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["EdgeMessages"]

#: Largest standard deviation of a message component (in the network's units: standardised
#: features, targets scaled to about 1) below which the messages carry no signal. Trained
#: networks that pass a law send components of std 1e-2 to 1e-1; collapsed ones about 1e-6.
SILENT_MESSAGE_STD = 1e-4


def messages_are_silent(messages):
    """True when no component of ``messages`` ``(E, M)`` varies measurably over the edges."""
    messages = np.asarray(messages, dtype=np.float64)
    return bool(len(messages) == 0 or messages.std(axis=0).max() < SILENT_MESSAGE_STD)


@dataclass
class EdgeMessages:
    """Messages on a set of edges.

    Attributes
    ----------
    messages : ndarray of shape (n_edges, message_dim)
        Messages (the means of sampled ones), in the network's internal units.
    significance : ndarray of shape (message_dim,)
        Score of each component as the message strategy ranks them (standard deviation; mean KL
        divergence for KL messages).
    graph, receiver, sender : ndarray of shape (n_edges,)
        Index of the graph in ``X`` and of the receiver ``i`` and sender ``j`` inside that graph.
    x_receiver, x_sender : ndarray of shape (n_edges, n_features)
        Raw node features of receiver and sender.
    """

    messages: np.ndarray
    significance: np.ndarray
    graph: np.ndarray
    receiver: np.ndarray
    sender: np.ndarray
    x_receiver: np.ndarray
    x_sender: np.ndarray

    def ranked_components(self):
        """Component indices, most significant first, and their scores in that order."""
        order = np.argsort(self.significance)[::-1]
        return order, self.significance[order]


def _batch_edges(module, batch_in, first_graph):
    """One batch's messages and edges, as NumPy arrays with indices local to each graph."""
    messages, raw, edge_index, batch, x = module.edge_messages(batch_in)
    sender, receiver = edge_index
    counts = torch.bincount(batch)
    first_node = torch.cumsum(counts, 0) - counts  # first node of each graph of the batch
    graph = batch[receiver]
    first = first_node[graph]
    return [t.cpu().numpy() for t in (messages, raw, graph + first_graph, receiver - first,
                                      sender - first, x[receiver], x[sender])]


#: Ordered pairs of nodes per forward pass when recording messages: bounds the memory of the
#: network's activations (about 100 MB for 3 hidden layers of 128) on graphs of any size.
RECORD_PAIRS = 2**17


def _keep_smallest(kept, chunk, max_edges):
    """The ``max_edges`` rows of ``kept`` and ``chunk`` (lists of arrays whose first array is
    a random key per edge) with the smallest keys: a uniform sample of the edges seen."""
    arrays = chunk if kept is None else [np.concatenate(p) for p in zip(kept, chunk)]
    if len(arrays[0]) <= max_edges:
        return arrays
    rows = np.argpartition(arrays[0], max_edges - 1)[:max_edges]
    return [a[rows] for a in arrays]


def record_messages(module, inputs, *, max_edges=None, batch_size=None, random_state=None):
    """Record the messages of a fitted network on the edges of validated graphs.

    Parameters
    ----------
    module : GraphNetwork
        The fitted network (``net_.module_`` of a fitted
        :class:`~sklearn_symgn.SymbolicGNRegressor`).
    inputs : GraphInput
        Validated graphs with their edges.
    max_edges : int, default=None
        Keep a uniform random subsample of at most this many edges (drawn while recording,
        so memory holds no more than that and one batch).
    batch_size : int, default=None
        Graphs per forward pass; ``None`` means as many as hold :data:`RECORD_PAIRS` ordered
        pairs (bounds memory).
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample.

    Returns
    -------
    EdgeMessages
    """
    was_training = module.training
    module.eval()
    device = next(module.parameters()).device
    batch_size = inputs.graphs_per_chunk(RECORD_PAIRS) if batch_size is None else batch_size
    rng, chunks, kept, seen = check_random_state(random_state), [], None, 0
    try:
        for first_graph, batch_in in inputs.batches(batch_size):
            chunk = _batch_edges(module, batch_in.to(device), first_graph)
            order = np.arange(seen, seen + len(chunk[0]))  # edges' order, restored at the end
            seen += len(order)
            if max_edges is None:
                chunks.append([order, *chunk])
            else:  # a uniform sample drawn on the fly: random keys, the smallest kept
                kept = _keep_smallest(kept, [rng.random(len(order)), order, *chunk], max_edges)
    finally:
        module.train(was_training)
    arrays = [np.concatenate(c) for c in zip(*chunks)] if max_edges is None else kept[1:]
    rows = np.argsort(arrays[0], kind="stable")
    messages, raw, *edges = (a[rows] for a in arrays[1:])
    width = module.layer.strategy.means(raw).shape[1]
    significance = module.layer.strategy.significance(raw) if len(raw) else np.zeros(width)
    return EdgeMessages(messages, significance, *edges)
