"""The message-passing estimator: a graph network with sparse messages, distilled into equations."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._validation import check_columns
from .base import BaseGraphRegressor, feature_scales
from .distillation import MessageDistiller, NetworkSpec
from .distillation.variables import inertial_mass_column
from .graphs.inputs import first_graphs, to_graph_input
from .messages import SILENT_MESSAGE_STD, messages_are_silent, record_messages
from .models import GraphNetwork, InteractionLayer
from .models.strategies import STRATEGIES, make_strategy

__all__ = ["SymbolicGNRegressor"]

#: Training graphs on which ``fit`` checks for a degenerate network.
DEGENERACY_GRAPHS = 256
#: Training R² below which ``fit`` warns that the network learned nothing.
DEGENERATE_R2 = 0.05

#: Edges whose messages :meth:`SymbolicGNRegressor.distill` records at most (a uniform sample,
#: the same for every call): about 350 MB of messages at the default width.
DISTILL_EDGES = 400_000


class SymbolicGNRegressor(BaseGraphRegressor):
    """Graph network with an inductive bias for sparse messages (Cranmer et al. 2020).

    Each graph's nodes exchange *messages* ``m_ij = phi_e(e_ij)`` along its edges; messages are
    summed at the receiver and a node model ``phi_v(x_i, sum_j m_ij)`` predicts the node target
    (for particles: the acceleration). The ``regularization`` keeps the messages low-dimensional
    so that they can later be distilled into equations.

    Parameters
    ----------
    regularization : {"l1", "bottleneck", "kl", "standard"}, default="l1"
        Message strategy of the paper: ``"l1"`` adds ``l1_strength * sum |m_ij| / n_nodes`` to the
        loss; ``"bottleneck"`` uses ``message_dim = n_targets``; ``"kl"`` samples messages from a
        learned Gaussian in training and adds its KL divergence to ``N(0, 1)`` (weight
        ``kl_strength``); ``"standard"`` adds nothing.
    message_dim : int, default=None
        Message width; ``None`` means 100, or the number of targets for ``"bottleneck"``.
    l1_strength : float, default=0.3
        Weight of the L1 message penalty (``"l1"`` only). Too weak and the messages stay spread
        over redundant components; too strong and large messages (close encounters of singular
        laws) are compressed non-linearly. The default is the weight that recovered the most
        laws of the benchmark on a CPU budget (the paper's 1e-2 needs ~10⁷ graph visits); see
        the user guide's strategies page for the sweep.
    kl_strength : float, default=0.01
        Weight of the KL penalty (``"kl"`` only). The paper's weight 1 kept the network from
        learning within a CPU budget; the user guide has the measurements.
    hidden_layer_sizes : tuple of int, default=(128, 128, 128)
        Hidden widths of the edge and node MLPs (the paper: ``(300, 300, 300)``).
    activation : {"relu", "silu", "tanh", "softplus"}, default="relu"
        Non-linearity of both MLPs.
    edge_features : {"relative", "absolute"}, default="relative"
        Edge-model inputs. ``"relative"``: position differences ``p_j - p_i``, the distance and the
        other features of both nodes (translation invariance built in). ``"absolute"``: all raw
        features of receiver and sender, as the reference code (combine with ``translation_std``).
    receiver_columns : "auto", list of int or str, or None, default="auto"
        With ``edge_features="relative"``: the non-position columns of the *receiver* that the edge
        model sees (the sender's are always seen); ``None`` means all. Physics suggests leaving
        out the receiver's inertial mass (F = m a belongs to the node model): otherwise the L1
        penalty rewards messages scaled by a function of ``m_i``, which the node model undoes,
        and the messages stop being plain forces. ``"auto"`` does that when the targets are one
        per position column (accelerations) and a feature is named ``m`` or ``mass`` (any case):
        the edge model sees every other receiver column; otherwise all. With ``[]`` messages are
        fields of the sender.
    node_columns : "auto", list of int or str, or None, default="auto"
        Node-feature columns the node model sees besides the summed messages. ``"auto"``: with
        ``edge_features="relative"`` every column but the positions, so the whole network is
        translation invariant and distilled node laws cannot read absolute positions; with
        ``"absolute"`` every column. Give the positions (or ``None``: all columns) for a law
        with a genuine external field (walls, a central potential).
    graph : graph builder, default=None
        Which nodes exchange messages in array inputs (and in ``Data`` without ``edge_index``):
        ``None`` means :class:`~sklearn_symgn.graphs.CompleteGraph`; see also
        :class:`~sklearn_symgn.graphs.RadiusGraph`, :class:`~sklearn_symgn.graphs.KNNGraph`,
        :class:`~sklearn_symgn.graphs.FixedGraph`, and
        :class:`~sklearn_symgn.graphs.NoEdges`, the only one that reads a 2-D ``X`` (rows as
        graphs of one node).
    feature_names : list of str, default=None
        Names of the node features, used by distillation; ``None`` means the column names of
        a DataFrame ``X`` (2-D, with ``graph=NoEdges()``), else ``x0, x1, ...``.
    position_columns : list of int or str, default=None
        Node-feature columns (indices or feature names) that are coordinates; ``None`` means the
        first ``n_targets`` columns.
    translation_std : float, default=0.0
        Scale of the random translation added to each graph's positions in training (the
        paper's augmentation uses 3 with absolute edge features).
    max_epochs : int or "auto", default="auto"
        Training epochs (one-cycle learning-rate schedule over all of them). ``"auto"``: as
        many as give 24,000 optimiser steps (``AUTO_STEPS``), between 20 and 1,000 epochs —
        the budget with which the N-body benchmark recovers its laws from 30,000 graphs
        (about 100 epochs there; about 600 for 5,000 graphs). The number used is
        ``max_epochs_``. Smoke runs need far fewer.
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
        Hold out this fraction of the graphs to report ``valid_loss`` (e.g. for early stopping).
    callbacks : list of skorch callbacks, default=None
        Extra callbacks (``EarlyStopping``, ``Checkpoint``, ...), passed to skorch.
    device : {"cpu", "cuda"} or str, default="cpu"
        Torch device for training and prediction.
    verbose : int, default=0
        ``1`` prints skorch's epoch table, ``2`` adds a progress bar per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and KL sampling (and the default symbolic backend);
        on the CPU a fixed seed gives identical networks.
    distiller : MessageDistiller, default=None
        How :meth:`distill` turns the network into equations (components, sampling, message
        form, target names, the symbolic backend); ``None`` means
        :class:`~sklearn_symgn.distillation.MessageDistiller` with its defaults. Its settings
        are parameters of this estimator too: ``set_params(distiller__message_form="raw")``,
        ``distiller__backend__max_length``, and grid searches over them.
    predict_with : {"network", "equations"}, default="network"
        What :meth:`predict` and :meth:`score` use. With ``"equations"``, :meth:`fit` also distils
        (on its training data) and predictions come from the distilled equations, so
        ``cross_val_score`` and ``GridSearchCV`` score the symbolic model.

    Attributes
    ----------
    net_ : GraphNet
        The fitted skorch net; ``net_.module_`` is the :class:`~sklearn_symgn.models.GraphNetwork`
        and ``net_.history`` the training history.
    n_features_in_ : int
        Number of node features.
    n_targets_ : int
        Number of targets per node.
    max_epochs_ : int
        Epochs trained (``max_epochs`` resolved).
    message_dim_ : int
        Resolved message width.
    message_strategy_ : MessageStrategy
        The message strategy (penalty, sampling, ranking) of ``regularization``.
    receiver_columns_ : list of int or None
        Resolved receiver columns.
    node_columns_ : list of int
        Resolved node-model columns.
    position_columns_ : list of int
        Resolved coordinate columns.
    feature_names_ : list of str
        Resolved feature names.
    graph_ : graph builder
        Resolved graph builder.
    edge_equations_ : list of Equation
        After :meth:`distill`: one equation per significant message component (``phi1``, ...).
    node_equations_ : list of Equation
        After :meth:`distill`: one equation per target component.
    symbolic_model_ : SymbolicGraphModel
        After :meth:`distill`: the equations as a model with ``predict``/``score``.
    message_components_ : ndarray of int
        After :meth:`distill`: indices of the distilled message components.
    message_significance_ : ndarray
        After :meth:`distill`: their significance (standard deviation, or KL).
    message_variance_share_ : ndarray
        After :meth:`distill`: their share of the total message variance.
    message_transform_ : ndarray of shape (n_components, n_components)
        After :meth:`distill`: the linear map applied to those components before symbolic
        regression (``phi = messages @ message_transform_.T``); the identity when not aligned.
    message_alignment_residual_ : float
        After :meth:`distill`: how far the messages are from a central law (0: exactly; NaN:
        alignment not attempted).
    message_form_ : {"central", "aligned", "raw"}
        After :meth:`distill`: how the messages were distilled (see the distiller's
        ``message_form``).
    message_quantile_ : float
        After :meth:`distill`: the quantile of message magnitudes the message equations were
        fitted on (1: every edge; see the distiller's ``message_quantile``).
    radial_equation_ : Equation or None
        After :meth:`distill` with the ``"central"`` form: the radial profile ``g``.
    vector_node_equation_ : Equation or None
        After :meth:`distill`: the node law shared by all axes, when there is one.
    composed_law_ : ComposedLaw
        After :meth:`distill`: the law as one expression per target, e.g.
        ``ax_i = Σ_j(2*dx*(r - 0.99)/(m_i*r))``; it predicts like ``symbolic_model_``.
    pair_force_ : list of sympy.Expr or None
        After :meth:`distill`: the force on ``i`` from ``j`` in physical units, one component
        per target, when the targets are accelerations and the law is a sum of pair terms
        (``composed_law_.pair_force()``: it follows a change of the chosen rows).
    message_form_scores_ : dict
        After :meth:`distill`: where both message forms were fitted, each form's R² on the
        messages of held-out edges.
    added_operators_ : tuple of str
        After :meth:`distill`: unary operators (e.g. ``("exp",)``) a second radial search
        added, and whose law was kept, because the law of the default operators was not exact
        on the targets; empty when none were.

    See Also
    --------
    SymbolicHGNRegressor : its Hamiltonian sibling, which learns a pair potential.
    sklearn_symgn.distillation.MessageDistiller : the settings of :meth:`distill`.
    sklearn_symgn.datasets.make_nbody : simulated particle systems to train on.

    Notes
    -----
    Inputs are standardised and targets scaled inside the network; predictions are in the
    user's units. A 2-D ``X`` is read as single-node graphs (no messages) only with
    ``graph=NoEdges()``, which is what scikit-learn's generic checks exercise; otherwise it is
    refused. :meth:`fit` forgets any earlier distillation.

    Examples
    --------
    >>> from sklearn_symgn import SymbolicGNRegressor
    >>> from sklearn_symgn.datasets import make_nbody
    >>> X, y = make_nbody("spring", n_samples=200, random_state=0)
    >>> model = SymbolicGNRegressor(max_epochs=2, hidden_layer_sizes=(32,), random_state=0)
    >>> model.fit(X, y).predict(X).shape
    (200, 4, 2)
    """

    _parameter_constraints = {
        **BaseGraphRegressor._parameter_constraints,
        "regularization": [StrOptions(set(STRATEGIES))],
        "message_dim": [Interval(Integral, 1, None, closed="left"), None],
        "l1_strength": [Interval(Real, 0, None, closed="left")],
        "kl_strength": [Interval(Real, 0, None, closed="left")],
        "edge_features": [StrOptions({"relative", "absolute"})],
        "receiver_columns": [StrOptions({"auto"}), "array-like", Integral, str, None],
        "node_columns": [StrOptions({"auto"}), "array-like", Integral, str, None],
        "translation_std": [Interval(Real, 0, None, closed="left")],
        "distiller": [MessageDistiller, None],
        "predict_with": [StrOptions({"network", "equations"})],
    }

    _default_distiller = MessageDistiller

    def __init__(
        self,
        *,
        regularization="l1",
        message_dim=None,
        l1_strength=0.3,
        kl_strength=0.01,
        hidden_layer_sizes=(128, 128, 128),
        activation="relu",
        edge_features="relative",
        receiver_columns="auto",
        node_columns="auto",
        graph=None,
        feature_names=None,
        position_columns=None,
        translation_std=0.0,
        max_epochs="auto",
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
        predict_with="network",
    ):
        self.regularization = regularization
        self.message_dim = message_dim
        self.l1_strength = l1_strength
        self.kl_strength = kl_strength
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.edge_features = edge_features
        self.receiver_columns = receiver_columns
        self.node_columns = node_columns
        self.graph = graph
        self.feature_names = feature_names
        self.position_columns = position_columns
        self.translation_std = translation_std
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
        self.predict_with = predict_with

    # ------------------------------------------------------------------------------ fit
    def _resolve_own(self, inputs):
        n_features = self.n_features_in_
        self.message_strategy_ = make_strategy(
            self.regularization, l1_strength=self.l1_strength, kl_strength=self.kl_strength
        )
        self.message_dim_ = self.message_strategy_.message_dim(self.message_dim, self.n_targets_)
        if isinstance(self.receiver_columns, str) and self.receiver_columns == "auto":
            self.receiver_columns_ = self._auto_receivers()
        elif self.receiver_columns is None:
            self.receiver_columns_ = None
        elif self.edge_features == "absolute":
            raise ValueError(
                "receiver_columns chooses among the receiver's features for "
                "edge_features='relative'; with edge_features='absolute' the edge model sees "
                f"every raw feature. Leave it 'auto' or None; got {self.receiver_columns!r}."
            )
        else:
            self.receiver_columns_ = check_columns(
                self.receiver_columns, n_features, "receiver_columns", self.feature_names_
            )
            if set(self.receiver_columns_) & set(self.position_columns_):
                raise ValueError(
                    "receiver_columns must be non-position columns; got "
                    f"{self.receiver_columns!r} with position columns {self.position_columns_}."
                )
        self.node_columns_ = self._resolved_node_columns()

    def _resolved_node_columns(self):
        """The node model's own columns: for ``"auto"`` every non-position column (relative
        edge features) or every column (absolute ones)."""
        if isinstance(self.node_columns, str) and self.node_columns == "auto":
            if self.edge_features == "absolute":
                return list(range(self.n_features_in_))
            return [k for k in range(self.n_features_in_) if k not in self.position_columns_]
        if self.node_columns is None:
            return list(range(self.n_features_in_))
        return check_columns(self.node_columns, self.n_features_in_, "node_columns",
                             self.feature_names_)

    def _message_strategy(self):
        return self.message_strategy_

    def _auto_receivers(self):
        """Every non-position column but the inertial mass, for accelerations; else all."""
        mass = inertial_mass_column(self.feature_names_)
        if self.n_targets_ != len(self.position_columns_) or mass is None:
            return None
        return [k for k in range(self.n_features_in_)
                if k not in self.position_columns_ and k != mass]

    def _build_module(self, inputs):
        shift, scale, y_scale = self._scales(inputs)
        if self.edge_features == "absolute" and self.graph_.periodic_box() is not None:
            raise ValueError("edge_features='absolute' reads wrapped positions, which a periodic "
                             "graph (Periodic) does not allow; use edge_features='relative'.")
        layer = InteractionLayer(
            self.n_features_in_, self.position_columns_, self.message_dim_, self.n_targets_,
            self.hidden_layer_sizes_, self.activation, self.edge_features,
            strategy=self.message_strategy_, receiver_columns=self.receiver_columns_,
            node_columns=self.node_columns_, box=self._layer_box(scale),
        )
        return GraphNetwork(layer, self.graph_, shift, scale, y_scale, self.translation_std)

    def _scales(self, inputs):
        x, y = inputs.node_table().double(), inputs.target_table().double()
        shift, scale = feature_scales(x, self.position_columns_, self.graph_.periodic_box())
        # robust: heavy-tailed targets (1/r^2 forces) would otherwise shrink the typical target
        # and let the message penalty dominate the loss
        y_scale = y.abs().median(0).values
        y_scale = torch.where(y_scale > 1e-12, y_scale, y.abs().mean(0))
        y_scale = torch.where(y_scale > 1e-12, y_scale, torch.ones_like(y_scale))
        return shift, scale, y_scale

    def _after_fit(self, X, y):
        self._warn_if_degenerate(X, y)
        if self.predict_with == "equations":
            self.distill(X, y)

    def _warn_if_degenerate(self, X, y):
        """Warn when training left nothing to learn from: messages without signal (a collapse)
        or a network that does not explain its own training targets (R² ≈ 0). Checked on the
        first ``DEGENERACY_GRAPHS`` training graphs."""
        n = DEGENERACY_GRAPHS
        sample = first_graphs(X, n)
        targets = None if y is None else first_graphs(y, n)
        causes = []
        if messages_are_silent(self.edge_messages(sample).messages):
            causes.append("the messages carry no signal (every component's standard deviation "
                          f"over the edges is below {SILENT_MESSAGE_STD:g})")
        pred = BaseGraphRegressor.predict(self, sample)  # the network's, whatever predict_with
        truth = to_graph_input(self, sample, targets, reset=False, require_y=True,
                               dtype=np.float64).node_targets()
        r2 = r2_score(truth.reshape(-1, self.n_targets_), pred.reshape(-1, self.n_targets_))
        if r2 < DEGENERATE_R2:
            causes.append(f"the network explains its training targets to R² {r2:.3f} only")
        if causes:
            warnings.warn(
                "Training looks degenerate: " + "; ".join(causes) + ". Likely causes: a message "
                "penalty too strong (lower l1_strength/kl_strength), too few epochs (raise "
                "max_epochs), an augmentation that hides the signal (lower translation_std), or "
                "a learning rate too high or low (lr). distill() refuses messages without "
                "signal.", UserWarning, stacklevel=4,
            )

    @property
    def pair_force_(self):
        check_is_fitted(self, "composed_law_")
        return self.composed_law_.pair_force()

    # -------------------------------------------------------------------------- predict
    def torch_module(self):
        """The fitted torch module behind :meth:`predict`, or ``None`` with
        ``predict_with="equations"`` (then the equations predict)."""
        if self.predict_with == "equations":
            check_is_fitted(self, "symbolic_model_")
            return None
        return super().torch_module()

    def predict(self, X):
        """Predict node targets with the network (or, with ``predict_with="equations"``, with
        the distilled equations).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
            As in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray
            Shaped like the ``y`` given to :meth:`fit`: ``(n_samples, n_nodes, n_targets)`` for
            arrays; for a list of graphs, the nodes of all graphs concatenated,
            ``(n_total_nodes, n_targets)``; for a 2-D ``X``, ``(n_samples, n_targets)``. The
            target axis is dropped where ``y`` had none.
        """
        if self.predict_with == "equations":
            check_is_fitted(self, "symbolic_model_")
            return self.symbolic_model_.predict(X)
        return super().predict(X)

    # --------------------------------------------------------------------- distillation
    def edge_messages(self, X, *, max_edges=None, random_state=None):
        """Record the network's messages on the edges of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
            Graphs whose edges are recorded.
        max_edges : int, default=None
            Keep a uniform random subsample of at most this many edges.
        random_state : int, RandomState instance or None, default=None
            Seed of the subsample.

        Returns
        -------
        EdgeMessages
            Messages, their components' significance, and each edge's graph, receiver, sender
            and raw node features.
        """
        if max_edges is not None and (isinstance(max_edges, bool) or not isinstance(
                max_edges, Integral) or max_edges < 1):
            raise ValueError(f"max_edges must be an int >= 1 or None; got {max_edges!r}.")
        inputs = self._network_input(X)
        return record_messages(self.net_.module_, inputs, max_edges=max_edges,
                               random_state=random_state)

    def distill(self, X, y=None):
        """Distil the fitted network into equations, with the estimator's ``distiller``.

        Records the messages on the edges of ``X``, ranks their components (standard deviation;
        KL for KL networks), fits symbolic regression to the most significant ones as functions
        of interpretable edge variables, then to each target as a function of the summed
        distilled messages (``phi1, phi2, ...``) and the node's own features. The settings
        (components, sampling, message form, target names, backend) are the distiller's; see
        :class:`~sklearn_symgn.distillation.MessageDistiller`.

        Edge variables, for receiver ``i`` and sender ``j``: ``d<p> = p_j - p_i`` for each
        position column ``p`` (named from ``feature_names``), the distance ``r``, and ``<c>_i``,
        ``<c>_j`` for every other column ``c``; a spring law reads in ``dx, dy, r``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
            Graphs to distil on (typically the training data).
        y : array-like, default=None
            Their targets (read from ``.y`` for a list of graphs).

        Returns
        -------
        self : SymbolicGNRegressor
            With ``edge_equations_``, ``node_equations_``, ``symbolic_model_`` and the other
            attributes of :class:`~sklearn_symgn.distillation.MessageDistillation` set.
        """
        check_is_fitted(self, "net_")
        graphs = to_graph_input(self, X, y, reset=False, require_y=True, dtype=np.float64)
        distiller = self._resolved_distiller()
        # a fixed uniform sample of the edges bounds memory on large graphs (the benchmark's
        # 30,000 graphs of 4 bodies have 360,000 edges: all recorded)
        edges = self.edge_messages(X, max_edges=DISTILL_EDGES, random_state=0)
        spec = NetworkSpec(list(self.position_columns_), list(self.feature_names_), self.graph_,
                           self.n_targets_, self._node_target_shape,
                           list(getattr(self, "node_columns_", range(self.n_features_in_))))
        self._store_distillation(distiller.distill(graphs, edges, spec, verbose=self.verbose))
        return self
