"""The full graph network: input scaling, graph building, interaction layer, output scaling."""

import torch
from torch import nn
from torch_geometric.data import Batch, Data

__all__ = ["GraphNetwork", "ScaledGraphModule"]


class ScaledGraphModule(nn.Module):
    """Base of the networks in the user's units: graph building and feature standardisation.

    Node features are standardised (one common scale for the position columns, so distances keep
    their geometry) before the layer sees them, and its output is multiplied by the target scale,
    so ``forward`` maps raw features to raw targets. Subclasses implement ``forward``.

    Parameters
    ----------
    layer : MessagePassing
        The layer; it has a ``positions`` buffer (the coordinate columns).
    graph : graph builder
        Builds edges of dense batches (see :mod:`sklearn_symgn.graphs.builders`).
    x_shift, x_scale : Tensor of shape (n_features,)
        Feature standardisation.
    y_scale : Tensor of shape (n_targets,)
        Target scale.
    translation_std : float, default=0.0
        In training, add a Gaussian translation of this scale to every graph's positions
        (the paper's augmentation; only useful with ``edge_features="absolute"``).

    Shapes
    ------
    - input: dense ``(B, n, F)`` tensor, or a PyG ``Batch`` / ``Data`` with ``x`` and ``edge_index``
    - output: ``(pred, raw_messages)`` with ``pred`` of shape ``(B, n, T)`` (dense) or ``(N, T)``
      (``(N_masked, T)`` for graphs with a ``target_mask``)
    """

    def __init__(self, layer, graph, x_shift, x_scale, y_scale, translation_std=0.0):
        super().__init__()
        self.layer = layer
        self.graph = graph
        self.translation_std = translation_std
        self.register_buffer("x_shift", torch.as_tensor(x_shift, dtype=torch.float32))
        self.register_buffer("x_scale", torch.as_tensor(x_scale, dtype=torch.float32))
        self.register_buffer("y_scale", torch.as_tensor(y_scale, dtype=torch.float32))

    def graph_inputs(self, X):
        """Flattened raw node features, edge index, per-node graph id and the dense shape."""
        if isinstance(X, Data):  # a Batch is a Data
            batch = X.batch if isinstance(X, Batch) else X.x.new_zeros(X.num_nodes, dtype=torch.long)
            return X.x, X.edge_index, batch, None
        n_graphs, n_nodes, n_features = X.shape
        edge_index = self.graph.build(X[..., self.layer.positions])
        batch = torch.arange(n_graphs, device=X.device).repeat_interleave(n_nodes)
        return X.reshape(-1, n_features), edge_index, batch, (n_graphs, n_nodes)

    def scale(self, x, batch):
        if self.training and self.translation_std > 0:
            n_graphs = int(batch.max()) + 1 if batch.numel() else 0
            pos = self.layer.positions
            shift = torch.randn(n_graphs, len(pos), device=x.device) * self.translation_std
            x = x.clone()
            x[:, pos] = x[:, pos] + shift[batch]
        return (x - self.x_shift) / self.x_scale



class GraphNetwork(ScaledGraphModule):
    """The message-passing graph network: an :class:`InteractionLayer` in the user's units.

    Parameters and shapes as in :class:`ScaledGraphModule`, with ``layer`` an
    :class:`InteractionLayer`.
    """

    @torch.no_grad()
    def edge_messages(self, X):
        """The messages of a batch's edges, with the edges they belong to.

        Parameters
        ----------
        X : Tensor of shape (B, n, F), or Batch
            A batch as ``forward`` takes it.

        Returns
        -------
        messages : Tensor of shape (E, M)
            Deterministic messages (the means of sampled ones), in internal units.
        raw : Tensor of shape (E, M) or (E, 2M)
            The edge model's output, as the message strategy ranks it.
        edge_index : Tensor of shape (2, E)
            Row 0 senders, row 1 receivers, over the batch's flattened nodes.
        batch : Tensor of shape (N,)
            Graph of each node.
        x : Tensor of shape (N, F)
            Raw node features.
        """
        x, edge_index, batch, _ = self.graph_inputs(X)
        raw = self.layer.edge_updater(edge_index, x=self.scale(x, batch))
        return self.layer.strategy.means(raw), raw, edge_index, batch, x

    def forward(self, X):
        x, edge_index, batch, dense_shape = self.graph_inputs(X)
        out, raw = self.layer(self.scale(x, batch), edge_index)
        out = out * self.y_scale
        mask = getattr(X, "target_mask", None) if isinstance(X, Data) else None
        if mask is not None:  # only these nodes have targets (e.g. a neighbourhood's centre)
            out = out[mask]
        if dense_shape is not None:
            out = out.reshape(*dense_shape, -1)
        return out, raw
