"""The Hamiltonian sibling: a graph network that learns a pair potential, as a sklearn regressor."""

from numbers import Integral

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._validation import check_columns, check_distances
from .base import BaseGraphRegressor, feature_scales
from .distillation import PotentialDistiller
from .graphs.builders import minimum_image
from .graphs.inputs import to_graph_input
from .models.hamiltonian import HamiltonianLayer, HamiltonianNetwork

__all__ = ["SymbolicHGNRegressor"]


class SymbolicHGNRegressor(BaseGraphRegressor):
    """Flattened Hamiltonian graph network (FlatHGN of Cranmer et al. 2020) with a distillable
    pair potential.

    A pair-energy MLP ``U(r_ij, o_i, o_j)`` (symmetric in ``i, j``; ``o`` are the node features
    that are neither positions nor velocities, e.g. charge and mass) and a self-energy MLP
    ``T(p_i, o_i)`` are summed into a Hamiltonian ``H``; the predicted accelerations are
    ``-dH/dq_i / m_i``, computed by automatic differentiation with momenta ``p = m v``. The
    targets are accelerations, so ``y`` has one column per position column. :meth:`distill`
    turns the learned pair energy into an equation.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128, 128)
        Hidden widths of the pair- and self-energy MLPs.
    activation : {"softplus", "silu", "tanh", "relu"}, default="softplus"
        Non-linearity of both MLPs; forces are derivatives of the MLPs, so use a smooth one
        (``"relu"`` gives piecewise-constant forces).
    graph : graph builder, default=None
        Which pairs interact; ``None`` means :class:`~sklearn_symgn.graphs.CompleteGraph`.
    feature_names : list of str, default=None
        Names of the node features, used by distillation; ``None`` means the column names of
        a DataFrame ``X`` (2-D, with ``graph=NoEdges()``), else ``x0, x1, ...``.
    position_columns : list of int or str, default=None
        Coordinate columns ``q``; ``None`` means the first ``n_targets`` columns.
    velocity_columns : list of int or str, default=None
        Velocity columns ``v``; ``None`` means the ``len(position_columns)`` columns after the
        last position column.
    mass_column : int or str, default=None
        Column of the (positive) inertial mass; ``None`` means the last column.
    max_epochs : int or "auto", default=30
        Training epochs; ``"auto"``: as many as give 24,000 optimiser steps (between 20 and
        1,000 epochs), see ``max_epochs_``.
    batch_size : int, default=128
        Graphs per training batch.
    predict_batch_size : int or "auto", default="auto"
        Graphs per batch when predicting (and scoring validation graphs). ``"auto"``: as many
        as hold 2^17 ordered pairs of nodes (about 11,000 graphs of 4 bodies, 32 of 64),
        which bounds memory on large graphs and runs small ones in few passes.
    lr : float, default=3e-3
        Peak learning rate of the one-cycle schedule (Adam).
    weight_decay : float, default=1e-8
        Adam weight decay.
    validation_fraction : float, default=None
        Hold out this fraction of the graphs to report ``valid_loss``.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks, passed to skorch.
    device : {"cpu", "cuda"} or str, default="cpu"
        Torch device.
    verbose : int, default=0
        ``1`` prints skorch's epoch table, ``2`` adds a progress bar.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, the sampling of pairs in :meth:`distill` and the
        default symbolic backend.
    distiller : PotentialDistiller, default=None
        How :meth:`distill` turns the pair energy into a potential (pairs sampled, distance
        quantile, the symbolic backend); ``None`` means
        :class:`~sklearn_symgn.distillation.PotentialDistiller` with its defaults.

    Attributes
    ----------
    net_ : GraphNet
        The fitted skorch net; ``net_.module_`` is a
        :class:`~sklearn_symgn.models.HamiltonianNetwork`.
    n_features_in_ : int
        Number of node features.
    n_targets_ : int
        Number of targets per node (the spatial dimension).
    max_epochs_ : int
        Epochs trained (``max_epochs`` resolved).
    position_columns_, velocity_columns_ : list of int
        Resolved coordinate and velocity columns.
    mass_column_ : int
        Resolved mass column.
    feature_names_ : list of str
        Resolved feature names.
    graph_ : graph builder
        Resolved graph builder.
    force_equation_ : Equation
        After :meth:`distill`: the radial derivative ``dU/dr`` of the pair energy, fitted by
        symbolic regression.
    potential_equation_ : Equation
        After :meth:`distill`: the pair potential ``U``, the antiderivative in ``r`` of each
        expression of ``force_equation_``'s front (integration constant zero).

    See Also
    --------
    SymbolicGNRegressor : the message-passing sibling this class shares its training with.
    sklearn_symgn.datasets.pair_potential : the true pair potentials of the simulated systems.

    Notes
    -----
    Accelerations constrain the pair energy only up to a term that does not depend on ``r``,
    and that term may depend on the bodies' features (``c(m_i, m_j)`` for gravity). The network's
    pair energy itself is therefore not identifiable, but its derivative in ``r`` is: that is why
    :meth:`distill` fits ``dU/dr`` and integrates it symbolically. The self-energy ``T`` does not
    depend on positions, so it does not enter the accelerations and is not learned from them;
    it is kept for the structure of the model. Graphs without pairs (a 2-D ``X``,
    ``graph=NoEdges()``) are rejected.

    Examples
    --------
    >>> from sklearn_symgn import PotentialDistiller, SymbolicHGNRegressor
    >>> from sklearn_symgn.datasets import make_nbody
    >>> from sklearn_symgn.symbolic import OperonBackend
    >>> X, y, names = make_nbody("spring", n_samples=100, random_state=0,
    ...                          return_feature_names=True)
    >>> backend = OperonBackend(max_time=None, generations=5, population_size=50, random_state=0)
    >>> model = SymbolicHGNRegressor(hidden_layer_sizes=(16,), max_epochs=2, feature_names=names,
    ...                              distiller=PotentialDistiller(backend=backend),
    ...                              random_state=0)
    >>> model.fit(X, y).predict(X).shape
    (100, 4, 2)
    >>> model.distill(X).potential_equation_.variables
    ['r', 'q_i', 'q_j', 'm_i', 'm_j']
    """

    _parameter_constraints = {
        **BaseGraphRegressor._parameter_constraints,
        "velocity_columns": ["array-like", Integral, str, None],
        "mass_column": [Integral, str, None],
        "distiller": [PotentialDistiller, None],
    }

    _default_distiller = PotentialDistiller

    def __init__(
        self,
        *,
        hidden_layer_sizes=(128, 128),
        activation="softplus",
        graph=None,
        feature_names=None,
        position_columns=None,
        velocity_columns=None,
        mass_column=None,
        max_epochs=30,
        batch_size=128,
        predict_batch_size="auto",
        lr=3e-3,
        weight_decay=1e-8,
        validation_fraction=None,
        callbacks=None,
        device="cpu",
        verbose=0,
        random_state=None,
        distiller=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.graph = graph
        self.feature_names = feature_names
        self.position_columns = position_columns
        self.velocity_columns = velocity_columns
        self.mass_column = mass_column
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.predict_batch_size = predict_batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.device = device
        self.verbose = verbose
        self.random_state = random_state
        self.distiller = distiller

    def _resolve_own(self, inputs):
        if inputs.min_nodes() < 2 or self.graph_.edgeless:
            raise ValueError(
                "SymbolicHGNRegressor needs graphs of interacting bodies (at least 2 nodes "
                "each, with edges between them): X must be 3-D (n_samples, n_nodes >= 2, "
                f"n_features) or a list of Data and graph not NoEdges; got graphs of "
                f"{inputs.min_nodes()} node(s) and graph={self.graph_!r}."
            )
        n_features, positions = self.n_features_in_, self.position_columns_
        dim = len(positions)
        if dim != self.n_targets_:
            raise ValueError(
                f"y must hold one acceleration per position column: {dim} position columns "
                f"but {self.n_targets_} targets per node."
            )
        names = self.feature_names_
        velocities = list(range(max(positions) + 1, max(positions) + 1 + dim)) \
            if self.velocity_columns is None else check_columns(
                self.velocity_columns, n_features, "velocity_columns", names)
        mass = n_features - 1 if self.mass_column is None else check_columns(
            self.mass_column, n_features, "mass_column", names)[0]
        used = positions + velocities + [mass]
        if len(velocities) != dim or len(set(used)) != len(used) or not all(
            0 <= c < n_features for c in used
        ):
            raise ValueError(
                f"position columns {positions}, velocity columns {velocities} and the mass "
                f"column {mass} must be {2 * dim + 1} distinct columns in [0, {n_features}), "
                "with as many velocity as position columns."
            )
        self.velocity_columns_, self.mass_column_ = velocities, mass

    def _build_module(self, inputs):
        x, y = inputs.node_table().double(), inputs.target_table().double()
        mass, velocities = self.mass_column_, self.velocity_columns_
        if not bool((x[:, mass] > 0).all()):
            raise ValueError(f"The mass column ({mass}) must hold positive values.")
        x[:, velocities] = x[:, velocities] * x[:, mass, None]  # momenta
        shift, scale = feature_scales(x, self.position_columns_, self.graph_.periodic_box())
        y_scale = y.abs().median()  # one scale for all components: H has a single unit
        y_scale = y_scale if y_scale > 1e-12 else y.abs().mean().clamp_min(1.0)
        layer = HamiltonianLayer(self.n_features_in_, self.position_columns_, velocities,
                                 self.hidden_layer_sizes_, self.activation,
                                 box=self._layer_box(scale))
        return HamiltonianNetwork(layer, self.graph_, shift, scale,
                                  y_scale.repeat(self.n_targets_), velocities, mass)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # single-node graphs have no pairs
        return tags

    def pair_table(self, x_i, x_j):
        """The potential's variables for pairs: ``r``, then ``<c>_i``, ``<c>_j`` for every
        feature ``c`` other than positions and velocities; with their names."""
        check_is_fitted(self, "net_")
        positions = self.position_columns_
        box = self.graph_.periodic_box()
        r = np.linalg.norm(minimum_image(x_j[:, positions] - x_i[:, positions], box), axis=1)
        skip = set(positions) | set(self.velocity_columns_)
        cols, names = [r], ["r"]
        for c in range(self.n_features_in_):
            if c not in skip:
                cols += [x_i[:, c], x_j[:, c]]
                names += [f"{self.feature_names_[c]}_i", f"{self.feature_names_[c]}_j"]
        return np.column_stack(cols), names

    def pair_energy(self, r, x_i, x_j, *, derivative=False):
        """The network's pair energy ``U(r, o_i, o_j)`` in the user's units.

        Defined up to a term that does not depend on ``r`` (see Notes of the class).

        Parameters
        ----------
        r : array-like of shape (n_pairs,)
            Distances.
        x_i, x_j : array-like of shape (n_pairs, n_features)
            Node features of both bodies (only the columns other than positions and velocities
            are read).
        derivative : bool, default=False
            Return ``dU/dr`` instead of ``U`` (this part is identifiable from accelerations).

        Returns
        -------
        energy : ndarray of shape (n_pairs,)
        """
        check_is_fitted(self, "net_")
        r = np.asarray(r, dtype=np.float64).reshape(-1)
        check_distances(r)
        x_i, x_j = (np.asarray(a, dtype=np.float64) for a in (x_i, x_j))
        shape = (len(r), self.n_features_in_)
        if x_i.shape != shape or x_j.shape != shape:
            raise ValueError(f"x_i and x_j must have shape {shape}; got {x_i.shape}, {x_j.shape}.")
        r, x_i, x_j = (torch.as_tensor(a, dtype=torch.float32, device=self.net_.device)
                       for a in (r, x_i, x_j))
        r_t = r.requires_grad_(derivative)
        with torch.set_grad_enabled(derivative):
            u = self.net_.module_.pair_potential(r_t, x_i, x_j)
            if derivative:
                (u,) = torch.autograd.grad(u.sum(), r_t)
        return u.detach().cpu().double().numpy()

    def distill(self, X, y=None):
        """Distil the learned pair energy into a potential ``U(r, o_i, o_j)``.

        The pairs (edges) of ``X`` and the network's ``dU/dr`` on them go to the estimator's
        ``distiller`` (:class:`~sklearn_symgn.distillation.PotentialDistiller`), which fits
        ``dU/dr`` as a function of the distance ``r`` and ``<c>_i``, ``<c>_j`` for every feature
        ``c`` other than positions and velocities, and integrates each expression of the front
        in ``r``. Fitting the derivative sidesteps the part of the energy that accelerations do
        not determine.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
            Graphs whose pairs are sampled (typically the training data).
        y : None
            Ignored; accepted for API symmetry.

        Returns
        -------
        self : SymbolicHGNRegressor
            With ``force_equation_`` and ``potential_equation_`` set.
        """
        check_is_fitted(self, "net_")
        distiller = self._resolved_distiller()
        inputs = to_graph_input(self, X, reset=False, require_y=False, dtype=np.float64)
        x, (sender, receiver) = inputs.flatten(self.graph_, self.position_columns_)
        positions = self.position_columns_
        distances = np.linalg.norm(minimum_image(x[sender][:, positions] - x[receiver][:, positions],
                                                 self.graph_.periodic_box()), axis=1)

        def derivative(r, x_i, x_j):
            return self.pair_energy(r, x_i, x_j, derivative=True)

        result = distiller.distill((x[receiver], x[sender]), distances, self.pair_table,
                                   derivative, verbose=self.verbose)
        self._store_distillation(result)
        return self
