"""The interaction layer of the paper's graph network, written as a PyG ``MessagePassing``."""

import torch
from torch_geometric.nn import MessagePassing

from ..graphs.builders import minimum_image
from .generated import remove_generated_sources
from .mlp import make_mlp, reset_mlps
from .strategies import Standard

__all__ = ["InteractionLayer"]


class InteractionLayer(MessagePassing):
    r"""Edge model, sum aggregation and node model of Cranmer et al. (2020).

    .. math::
        \mathbf{m}_{ij} = \phi^e(\mathbf{e}_{ij}), \qquad
        \bar{\mathbf{m}}_i = \sum_{j \in \mathcal{N}(i)} \mathbf{m}_{ij}, \qquad
        \hat{\mathbf{y}}_i = \phi^v\left(\mathbf{x}_i, \bar{\mathbf{m}}_i\right)

    with edge inputs, for receiver :math:`i`, sender :math:`j` and position columns :math:`p`,

    * ``"relative"``: :math:`\mathbf{e}_{ij} = [\mathbf{p}_j - \mathbf{p}_i,\;
      \lVert\mathbf{p}_j - \mathbf{p}_i\rVert,\; \mathbf{o}_i,\; \mathbf{o}_j]` where
      :math:`\mathbf{o}` are the non-position features (translation invariance built in), of
      which the receiver contributes only ``receiver_columns``;
    * ``"absolute"``: :math:`\mathbf{e}_{ij} = [\mathbf{x}_i, \mathbf{x}_j]` (the reference code).

    The message ``strategy`` sets the edge model's output width and which messages are summed
    (for :class:`~sklearn_symgn.models.strategies.KL`, a mean and a log-variance per component,
    messages sampled in training and equal to the mean in evaluation).

    Parameters
    ----------
    n_features : int
        Node feature width :math:`F`.
    position_columns : sequence of int
        Columns of the node features that are coordinates.
    message_dim : int
        Message width.
    n_targets : int
        Output width per node.
    hidden_layer_sizes : sequence of int
        Hidden widths of both MLPs.
    activation : str, default="relu"
        Non-linearity of both MLPs.
    edge_features : {"relative", "absolute"}, default="relative"
        What the edge model sees (see above).
    strategy : MessageStrategy, default=None
        The message strategy; ``None`` means
        :class:`~sklearn_symgn.models.strategies.Standard`.
    receiver_columns : sequence of int, default=None
        Non-position receiver columns the edge model sees (``"relative"`` only); ``None``: all.
    node_columns : sequence of int, default=None
        Node-feature columns the node model sees besides the summed messages; ``None``: all.
    box : sequence of float, default=None
        Periodic box lengths in the layer's input units, one per position column: the
        displacements are minimum images. ``None``: no periodicity.

    Shapes
    ------
    - input: node features :math:`(N, F)`, edge indices :math:`(2, E)` (row 0 senders, row 1
      receivers)
    - output: node predictions :math:`(N, T)`, raw edge-model outputs :math:`(E, M)` or
      :math:`(E, 2M)` for KL messages
    """

    def __init__(
        self,
        n_features,
        position_columns,
        message_dim,
        n_targets,
        hidden_layer_sizes,
        activation="relu",
        edge_features="relative",
        strategy=None,
        receiver_columns=None,
        node_columns=None,
        box=None,
    ):
        super().__init__(aggr="add")
        remove_generated_sources(self)
        box = None if box is None else torch.as_tensor(box, dtype=torch.float32)
        self.register_buffer("box", box, persistent=False)
        self.edge_features = edge_features
        self.strategy = Standard() if strategy is None else strategy
        self.message_dim = message_dim
        positions = torch.as_tensor(list(position_columns), dtype=torch.long)
        mask = torch.ones(n_features, dtype=torch.bool)
        mask[positions] = False
        self.register_buffer("positions", positions, persistent=False)
        others = torch.arange(n_features)[mask]
        if receiver_columns is None:
            receiver = others
        else:
            receiver = torch.as_tensor(sorted(set(receiver_columns)), dtype=torch.long)
        self.register_buffer("others", others, persistent=False)
        self.register_buffer("receiver_others", receiver, persistent=False)
        if edge_features == "relative":
            edge_in = len(positions) + 1 + len(receiver) + len(others)
        else:
            edge_in = 2 * n_features
        edge_out = self.strategy.output_width(message_dim)
        self.edge_model = make_mlp(edge_in, hidden_layer_sizes, edge_out, activation)
        node = torch.arange(n_features) if node_columns is None else torch.as_tensor(
            sorted(set(node_columns)), dtype=torch.long)
        self.register_buffer("node_inputs", node, persistent=False)
        self.node_model = make_mlp(len(node) + message_dim, hidden_layer_sizes, n_targets,
                                   activation)
        self.reset_parameters()

    def __setstate__(self, state):
        super().__setstate__(state)  # PyG generates the templates again when unpickling
        remove_generated_sources(self)
        if "box" not in self._buffers:  # pickled before periodic boxes existed
            self.register_buffer("box", None, persistent=False)

    def reset_parameters(self):
        super().reset_parameters()
        reset_mlps(self.edge_model, self.node_model)

    def forward(self, x, edge_index):
        size = (x.shape[0], x.shape[0])
        raw = self.edge_updater(edge_index, x=x, size=size)
        messages = self.strategy.sample(raw, self.training)
        out = self.propagate(edge_index, x=x, msg=messages, size=size)
        return out, raw

    def edge_inputs(self, x_i, x_j):
        """Edge-model inputs :math:`\\mathbf{e}_{ij}` from receiver and sender features."""
        if self.edge_features == "absolute":
            return torch.cat([x_i, x_j], dim=-1)
        delta = minimum_image(x_j[:, self.positions] - x_i[:, self.positions], self.box)
        r = torch.linalg.vector_norm(delta, dim=-1, keepdim=True)
        return torch.cat([delta, r, x_i[:, self.receiver_others], x_j[:, self.others]], dim=-1)

    def edge_update(self, x_i, x_j):
        return self.edge_model(self.edge_inputs(x_i, x_j))

    def message(self, msg):
        return msg

    def update(self, aggr_out, x):
        columns = getattr(self, "node_inputs", None)  # None: a module pickled before it existed
        own = x if columns is None else x[:, columns]
        return self.node_model(torch.cat([own, aggr_out], dim=-1))
