"""Graph builders: which pairs of nodes exchange messages.

A builder is a small scikit-learn style object (so ``set_params(graph__radius=...)`` works). Its
``build(pos)`` maps node positions of ``B`` equally sized graphs, shape ``(B, n, d)``, to an edge
index ``(2, E)`` over the ``B * n`` flattened nodes (row 0 senders ``j``, row 1 receivers ``i``),
with tensor arithmetic only, so batches are built without Python loops over graphs.
"""

import functools
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from .._validation import ValidatedMixin

__all__ = ["CompleteGraph", "FixedGraph", "GraphBuilder", "KNNGraph", "NoEdges", "Periodic",
           "RadiusGraph", "minimum_image", "pairwise_distances"]


def _offset(template, batch_size, n_nodes):
    """Repeat a single-graph edge index for ``batch_size`` graphs of ``n_nodes`` nodes."""
    offsets = torch.arange(batch_size, device=template.device) * n_nodes
    return (template[:, None, :] + offsets[None, :, None]).reshape(2, -1)


@functools.lru_cache(maxsize=32)
def _complete_template(n_nodes, device):
    sender, receiver = torch.meshgrid(
        torch.arange(n_nodes, device=device), torch.arange(n_nodes, device=device), indexing="xy"
    )
    keep = sender != receiver
    return torch.stack([sender[keep], receiver[keep]])


class GraphBuilder(ValidatedMixin, BaseEstimator):
    """Base class; subclasses implement ``build(pos)``."""

    #: True when the edges do not depend on positions (a template can be cached).
    static = False
    #: True when the builder makes no edges; only such a builder reads a 2-D ``X`` (each row a
    #: graph of one node).
    edgeless = False
    _parameter_constraints: dict = {}

    def check(self, n_nodes):
        """Raise ``ValueError`` if the builder cannot build graphs of ``n_nodes`` nodes."""
        self._validate_params()

    def build(self, pos):
        """Edge index ``(2, B * n)`` of ``B`` graphs from positions ``(B, n, d)``."""
        return self.from_distances(pairwise_distances(pos))

    def from_distances(self, dist):
        """Edge index from the pairwise distances ``(B, n, n)`` of each graph (``inf`` on the
        diagonal). Builders that do not look at positions build from the shape alone."""
        return self.build(dist.new_zeros(*dist.shape[:2], 1))

    def periodic_box(self):
        """Box lengths of a periodic geometry (displacements are minimum images), or ``None``."""
        return None


class CompleteGraph(GraphBuilder):
    """Fully connected directed graph without self loops: ``n * (n - 1)`` edges (the default).

    Examples
    --------
    >>> import torch
    >>> from sklearn_symgn.graphs import CompleteGraph
    >>> CompleteGraph().build(torch.zeros(2, 3, 2)).shape
    torch.Size([2, 12])
    """

    static = True

    def build(self, pos):
        batch_size, n_nodes = pos.shape[:2]
        return _offset(_complete_template(n_nodes, pos.device), batch_size, n_nodes)


class NoEdges(GraphBuilder):
    """No edges: every node is updated from its own features alone (no messages).

    The builder of tabular data: only with it is a 2-D ``X`` of shape ``(n_samples,
    n_features)`` read as graphs of one node each (the network reduces to its node model). With
    any other builder a 2-D ``X`` is refused, since it is most often a table of bodies that
    should have been a 3-D ``(n_samples, n_nodes, n_features)`` array.

    Examples
    --------
    >>> import torch
    >>> from sklearn_symgn.graphs import NoEdges
    >>> NoEdges().build(torch.zeros(2, 3, 2)).shape
    torch.Size([2, 0])
    """

    static = True
    edgeless = True

    def build(self, pos):
        return torch.empty((2, 0), dtype=torch.long, device=pos.device)


class FixedGraph(GraphBuilder):
    """The same user-given edges in every graph.

    Parameters
    ----------
    edge_index : array-like of shape (2, n_edges)
        Row 0 senders, row 1 receivers, node numbers in ``[0, n_nodes)``, no self loops.
    """

    static = True
    _parameter_constraints = {"edge_index": ["array-like"]}

    def __init__(self, edge_index):
        self.edge_index = edge_index

    def check(self, n_nodes):
        super().check(n_nodes)
        ei = np.asarray(self.edge_index)
        if ei.ndim != 2 or ei.shape[0] != 2 or not np.issubdtype(ei.dtype, np.integer):
            raise ValueError(
                f"edge_index must be an integer array of shape (2, n_edges); got shape {ei.shape} "
                f"and dtype {ei.dtype}."
            )
        if ei.size and (ei.min() < 0 or ei.max() >= n_nodes):
            raise ValueError(
                f"edge_index refers to nodes outside [0, {n_nodes}): found values in "
                f"[{ei.min()}, {ei.max()}]."
            )
        if np.any(ei[0] == ei[1]):
            raise ValueError("edge_index contains self loops (sender == receiver); remove them.")

    def build(self, pos):
        template = torch.as_tensor(np.asarray(self.edge_index), dtype=torch.long, device=pos.device)
        return _offset(template, pos.shape[0], pos.shape[1])


def pairwise_distances(pos, box=None):
    """Distances ``(B, n, n)`` between the nodes of each graph, ``inf`` on the diagonal; with
    ``box`` (lengths, one per coordinate), between minimum images."""
    if box is None:
        dist = torch.cdist(pos, pos)
    else:
        delta = minimum_image(pos[:, None, :, :] - pos[:, :, None, :], box)
        dist = torch.linalg.vector_norm(delta, dim=-1)
    eye = torch.eye(pos.shape[1], dtype=torch.bool, device=pos.device)
    return dist.masked_fill(eye, float("inf"))


def minimum_image(delta, box):
    """Displacements ``delta`` (last axis: coordinates) wrapped to their minimum image in a
    periodic box of lengths ``box`` (each component then within half a length); ``delta``
    itself when ``box`` is ``None``. NumPy arrays and torch tensors alike."""
    if box is None:
        return delta
    if isinstance(delta, torch.Tensor):
        box = torch.as_tensor(box, dtype=delta.dtype, device=delta.device)
        return delta - box * torch.round(delta / box)
    box = np.asarray(box, dtype=np.float64)
    return delta - box * np.round(delta / box)


def _flatten_pairs(batch, receiver, sender, n_nodes):
    return torch.stack([batch * n_nodes + sender, batch * n_nodes + receiver])


class RadiusGraph(GraphBuilder):
    """Edges between nodes closer than ``radius`` (both directions, no self loops).

    Parameters
    ----------
    radius : float
        Cut-off distance, in the units of the position columns.
    """

    _parameter_constraints = {"radius": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, radius):
        self.radius = radius

    def from_distances(self, dist):
        batch, receiver, sender = torch.nonzero(dist < self.radius, as_tuple=True)
        return _flatten_pairs(batch, receiver, sender, dist.shape[1])


class KNNGraph(GraphBuilder):
    """Each node receives messages from its ``k`` nearest neighbours.

    Parameters
    ----------
    k : int
        Number of neighbours (capped at ``n_nodes - 1``).
    """

    _parameter_constraints = {"k": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, k):
        self.k = k

    def from_distances(self, dist):
        batch_size, n_nodes = dist.shape[:2]
        k = min(self.k, n_nodes - 1)
        sender = torch.topk(dist, k, dim=-1, largest=False).indices
        batch = torch.arange(batch_size, device=dist.device)[:, None, None].expand_as(sender)
        receiver = torch.arange(n_nodes, device=dist.device)[None, :, None].expand_as(sender)
        return _flatten_pairs(batch.reshape(-1), receiver.reshape(-1), sender.reshape(-1), n_nodes)


class Periodic(GraphBuilder):
    """A builder in a periodic box: neighbours and displacements by the minimum image.

    Wraps another builder (``RadiusGraph``, ``KNNGraph``, ...): it chooses neighbours from the
    distances between nearest periodic images, and the network, the distilled equations and
    the metrics read each displacement ``x_j - x_i`` as its minimum image (each component
    within half a box length), as molecular-dynamics codes do. The box is orthorhombic, with
    the positions in any image (wrapped or not). With a cut-off, keep it below half the
    shortest box length, or pairs with several images within reach keep the nearest one only.

    Parameters
    ----------
    builder : graph builder
        Chooses the edges from the minimum-image distances.
    box : array-like of shape (n_position_columns,)
        Box length along each position column, in the units of the positions.

    Examples
    --------
    >>> import torch
    >>> from sklearn_symgn.graphs import Periodic, RadiusGraph
    >>> pos = torch.tensor([[[0.5, 0.0], [9.5, 0.0], [5.0, 0.0]]])  # 1 apart across the wall
    >>> Periodic(RadiusGraph(1.5), box=[10.0, 10.0]).build(pos).tolist()
    [[1, 0], [0, 1]]
    """

    _parameter_constraints = {"builder": [GraphBuilder], "box": ["array-like"]}

    def __init__(self, builder, box):
        self.builder = builder
        self.box = box

    @property
    def static(self):
        return self.builder.static

    def check(self, n_nodes):
        super().check(n_nodes)
        box = np.asarray(self.box, dtype=np.float64) if np.ndim(self.box) == 1 else None
        if box is None or not box.size or not np.all(np.isfinite(box) & (box > 0)):
            raise ValueError("box must be a 1-D array of positive, finite box lengths, one per "
                             f"position column; got {self.box!r}.")
        self.builder.check(n_nodes)

    def build(self, pos):
        box = self.periodic_box()
        if pos.shape[-1] != len(box):
            raise ValueError(f"box has {len(box)} lengths but the graphs have {pos.shape[-1]} "
                             "position columns; give one length per position column.")
        return self.builder.from_distances(pairwise_distances(pos, box))

    def from_distances(self, dist):
        return self.builder.from_distances(dist)

    def periodic_box(self):
        return np.asarray(self.box, dtype=np.float64)
