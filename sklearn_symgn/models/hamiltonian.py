"""The flattened Hamiltonian graph network (FlatHGN) of Cranmer et al. (2020), written for PyG."""

import torch
from torch_geometric.nn import MessagePassing

from ..graphs.builders import minimum_image
from .generated import remove_generated_sources
from .mlp import make_mlp, reset_mlps
from .network import ScaledGraphModule

__all__ = ["HamiltonianLayer", "HamiltonianNetwork"]


class HamiltonianLayer(MessagePassing):
    r"""Pair energies and self-energies summed into a Hamiltonian; accelerations by autograd.

    .. math::
        U_{ij} = f\left(r_{ij},\; \mathbf{o}_i + \mathbf{o}_j,\;
            \left[o_i^a o_j^b + o_i^b o_j^a\right]_{a \le b}\right), \qquad
        H = \sum_i T(\mathbf{p}_i, \mathbf{o}_i)
          + \tfrac12 \sum_i \sum_{j \in \mathcal{N}(i)} U_{ij}, \qquad
        \hat{\mathbf{a}}_i = -\frac{1}{m_i} \frac{\partial H}{\partial \mathbf{q}_i}

    with :math:`r_{ij} = \lVert \mathbf{q}_j - \mathbf{q}_i \rVert`, momenta :math:`\mathbf{p}`,
    the other node features :math:`\mathbf{o}` (e.g. charge and mass) and MLPs :math:`f` (pair
    energy) and :math:`T` (self-energy). The pair-energy inputs are symmetric in :math:`i, j`
    and generate every symmetric polynomial of :math:`(\mathbf{o}_i, \mathbf{o}_j)`, so
    :math:`U_{ij} = U_{ji}` holds exactly at the cost of one MLP call per edge. Every unordered
    pair of a symmetric graph counts once in :math:`H`. The gradient is taken with
    ``torch.autograd.grad`` (with ``create_graph`` whenever gradients are enabled, so the loss
    can be back-propagated through it); it is computed under :func:`torch.no_grad` too.

    Parameters
    ----------
    n_features : int
        Node feature width :math:`F` (columns ``q``, ``p`` and the others).
    position_columns, momentum_columns : sequence of int
        Columns holding :math:`\mathbf{q}` and :math:`\mathbf{p}`.
    hidden_layer_sizes : sequence of int
        Hidden widths of both MLPs.
    activation : str, default="softplus"
        Non-linearity; a smooth one, since forces are derivatives of the MLPs.
    box : sequence of float, default=None
        Periodic box lengths in the layer's input units, one per position column: pair
        distances are between minimum images. ``None``: no periodicity.

    Shapes
    ------
    - input: node features :math:`(N, F)`, edge indices :math:`(2, E)` (row 0 senders, row 1
      receivers), inertial masses :math:`(N,)`
    - output: accelerations :math:`(N, D)`, pair energies :math:`(E, 1)`
    """

    def __init__(self, n_features, position_columns, momentum_columns, hidden_layer_sizes,
                 activation="softplus", box=None):
        super().__init__(aggr="add")
        remove_generated_sources(self)
        box = None if box is None else torch.as_tensor(box, dtype=torch.float32)
        self.register_buffer("box", box, persistent=False)
        positions = torch.as_tensor(list(position_columns), dtype=torch.long)
        momenta = torch.as_tensor(list(momentum_columns), dtype=torch.long)
        mask = torch.ones(n_features, dtype=torch.bool)
        mask[positions] = False
        mask[momenta] = False
        self.register_buffer("positions", positions, persistent=False)
        self.register_buffer("momenta", momenta, persistent=False)
        self.register_buffer("others", torch.arange(n_features)[mask], persistent=False)
        n_others = int(mask.sum())
        rows, cols = torch.triu_indices(n_others, n_others)
        self.register_buffer("cross", torch.stack([rows, cols]), persistent=False)
        self.pair_model = make_mlp(1 + n_others + len(rows), hidden_layer_sizes, 1, activation)
        self.self_model = make_mlp(len(momenta) + n_others, hidden_layer_sizes, 1, activation)
        self.reset_parameters()

    def __setstate__(self, state):
        super().__setstate__(state)  # PyG generates the templates again when unpickling
        remove_generated_sources(self)
        if "box" not in self._buffers:  # pickled before periodic boxes existed
            self.register_buffer("box", None, persistent=False)

    def reset_parameters(self):
        super().reset_parameters()
        reset_mlps(self.pair_model, self.self_model)

    def pair_energy(self, r, o_i, o_j):
        """Symmetric pair energy :math:`U_{ij}` of shape ``(E, 1)`` from ``r`` ``(E, 1)``."""
        a, b = self.cross
        cross = o_i[:, a] * o_j[:, b] + o_i[:, b] * o_j[:, a]
        return self.pair_model(torch.cat([r, o_i + o_j, cross], dim=-1))

    def forward(self, x, edge_index, mass):
        create_graph = torch.is_grad_enabled()  # in training: back-propagate through the force
        size = (x.shape[0], x.shape[0])
        with torch.enable_grad():
            q = x[:, self.positions].detach().requires_grad_(True)
            o = x[:, self.others]
            energies = self.edge_updater(edge_index, q=q, o=o, size=size)
            node_energy = self.propagate(edge_index, x=x, energy=energies, size=size)
            (grad,) = torch.autograd.grad(node_energy.sum(), q, create_graph=create_graph)
        return -grad / mass[:, None], energies

    def edge_update(self, q_i, q_j, o_i, o_j):
        r = torch.linalg.vector_norm(minimum_image(q_j - q_i, self.box), dim=-1, keepdim=True)
        return self.pair_energy(r, o_i, o_j)

    def message(self, energy):
        return 0.5 * energy

    def update(self, aggr_out, x):
        return aggr_out + self.self_model(torch.cat([x[:, self.momenta], x[:, self.others]], -1))


class HamiltonianNetwork(ScaledGraphModule):
    """A :class:`HamiltonianLayer` in the user's units.

    Velocities are turned into momenta ``p = m v`` (``m`` from ``mass_column``), features are
    standardised (positions by one common scale ``s``, no shift) and the layer's accelerations,
    computed on the standardised coordinates, are multiplied by the scalar target scale ``a0``:
    the Hamiltonian in the user's units is ``energy_scale * H`` with ``energy_scale = s * a0``.

    Parameters
    ----------
    layer : HamiltonianLayer
    graph : graph builder
        Builds edges of dense batches.
    x_shift, x_scale : Tensor of shape (n_features,)
        Standardisation of the canonical features (velocity columns holding momenta).
    y_scale : Tensor of shape (n_targets,)
        Target scale, one value repeated (accelerations share their units).
    velocity_columns : sequence of int
        Input columns of the velocities, replaced by momenta (the layer's ``momenta``).
    mass_column : int
        Input column of the inertial mass.

    Shapes
    ------
    - input: dense ``(B, n, F)`` tensor, or a PyG ``Batch`` / ``Data`` with ``x`` and ``edge_index``
    - output: ``(accelerations, pair_energies)``, accelerations ``(B, n, D)`` (dense) or ``(N, D)``
    """

    def __init__(self, layer, graph, x_shift, x_scale, y_scale, velocity_columns, mass_column):
        super().__init__(layer, graph, x_shift, x_scale, y_scale)
        self.register_buffer("velocities", torch.as_tensor(list(velocity_columns)),
                             persistent=False)
        self.mass_column = int(mass_column)
        position_scale = self.x_scale[layer.positions[0]] if len(layer.positions) else 1.0
        self.register_buffer("energy_scale", position_scale * self.y_scale[0])

    def canonical(self, x):
        """Raw features with velocities replaced by momenta ``m v``."""
        x = x.clone()
        x[:, self.velocities] = x[:, self.velocities] * x[:, self.mass_column, None]
        return x

    def forward(self, X):
        x, edge_index, batch, dense_shape = self.graph_inputs(X)
        mass = x[:, self.mass_column]
        out, energies = self.layer(self.scale(self.canonical(x), batch), edge_index, mass)
        out = out * self.y_scale
        if dense_shape is not None:
            out = out.reshape(*dense_shape, -1)
        return out, energies

    def pair_potential(self, r, x_i, x_j):
        """Learned pair energy in the user's units for distances ``r`` ``(E,)`` and raw node
        features ``x_i``, ``x_j`` ``(E, F)``; shape ``(E,)``."""
        layer = self.layer
        o_i = (x_i - self.x_shift) / self.x_scale
        o_j = (x_j - self.x_shift) / self.x_scale
        r = r[:, None] / self.x_scale[layer.positions[0]]
        u = layer.pair_energy(r, o_i[:, layer.others], o_j[:, layer.others])
        return u[:, 0] * self.energy_scale
