"""What the estimators share: R² scoring on graph data, and the skeleton of fit and predict."""

import re
import threading
from dataclasses import fields
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, LRScheduler, ProgressBar
from skorch.dataset import ValidSplit

from ._validation import Int, ValidatedMixin, check_columns
from .graphs.batching import collate
from .graphs.builders import CompleteGraph, GraphBuilder
from .graphs.inputs import as_values, to_graph_input
from .models.mlp import ACTIVATIONS
from .training import GraphNet, StopOnNonFiniteLoss, TrainingDivergedError

__all__ = ["BaseGraphRegressor", "GraphScoreMixin"]


#: Ordered pairs of nodes per prediction batch of ``predict_batch_size="auto"``: the network's
#: activations of one batch stay near 100 MB however large the graphs.
PREDICT_PAIRS = 2**17

#: Serialises the forks of torch's global RNG in ``predict`` across threads.
_GLOBAL_RNG_LOCK = threading.RLock()

class GraphScoreMixin:
    """``score`` for graph regressors: R² pooled over nodes, averaged over target components.

    Listed before ``RegressorMixin``, whose ``score`` expects 2-D targets.

    Needs ``predict`` and ``n_targets_``; with a list of ``Data``, ``y`` may be omitted (read from
    each graph's ``.y``).
    """

    def score(self, X, y=None, sample_weight=None):
        """R² of the predictions, averaged over target components, pooled over nodes.

        Parameters
        ----------
        X : array-like or list of Data
            As in ``fit``.
        y : array-like, default=None
            True targets; ``None`` for a list of graphs (read from ``.y``).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight per graph (arrays only).

        Returns
        -------
        score : float
        """
        pred = self.predict(X)
        if y is None:
            y = to_graph_input(self, X, reset=False, require_y=True, dtype=np.float64).node_targets()
        y = np.asarray(as_values(y), dtype=np.float64)
        if _squeezed(y.shape) != _squeezed(pred.shape):  # not merely the same size: a
            # transposed or flattened y would give a meaningless R²
            raise ValueError(f"y must have the shape of the predictions, {pred.shape}; got "
                             f"{y.shape}.")
        n_targets = self.n_targets_
        weights = None
        if sample_weight is not None:
            per_sample = y.size // (y.shape[0] * n_targets)
            weights = np.repeat(np.asarray(sample_weight, dtype=np.float64), per_sample)
        return r2_score(
            y.reshape(-1, n_targets), pred.reshape(-1, n_targets), sample_weight=weights
        )


def feature_scales(x, positions, box=None):
    """Standardisation of node features ``x`` ``(N, F)``; the position columns share one scale
    and no shift, so distances and directions keep their geometry. That scale is the spread of
    the positions about each column's mean, so data moved by a constant get the same one; in a
    periodic ``box`` (lengths per position column), of the positions wrapped into it, so
    bodies that crossed the walls many times (unwrapped trajectories) do not inflate it."""
    shift, scale = x.mean(0), x.std(0, correction=0)
    if positions:
        shift[positions] = 0.0
        inside = x[:, positions]
        if box is not None:
            inside = torch.remainder(inside, torch.as_tensor(box, dtype=inside.dtype))
        centred = inside - inside.mean(0)
        scale[positions] = centred.square().mean().sqrt()
    return shift, torch.where(scale > 1e-12, scale, torch.ones_like(scale))


class BaseGraphRegressor(GraphScoreMixin, RegressorMixin, ValidatedMixin, BaseEstimator):
    """Base of the graph-network estimators (not for direct use).

    Holds what the siblings share: the parameters of graphs, columns and training, the fit
    skeleton (validate, resolve columns, build graphs and the module, train through skorch,
    check), network predictions, the skorch net, tags and the bookkeeping of distillation.
    A sibling adds its own parameters and implements ``_resolve_own(inputs)``,
    ``_build_module(inputs)`` and ``distill``.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "graph": [GraphBuilder, None],
        "feature_names": ["array-like", None],
        "position_columns": ["array-like", Integral, str, None],
        "max_epochs": [Int(1), StrOptions({"auto"})],
        "batch_size": [Int(1)],
        "predict_batch_size": [Int(1), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "callbacks": [list, None],
        "device": [str],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    #: The distiller class used when ``distiller=None``; set by each sibling.
    _default_distiller = None

    #: Optimiser steps of ``max_epochs="auto"``: the budget with which the N-body benchmark
    #: recovers its laws (100 epochs of 30,000 graphs in batches of 128: 23,500 steps).
    AUTO_STEPS = 24_000
    #: Bounds of the epochs ``max_epochs="auto"`` chooses.
    AUTO_EPOCHS = (20, 1000)

    def _layer_box(self, scale):
        """The graph's periodic box in the layer's standardised units (``scale``: the feature
        scales; positions share one), or ``None`` without periodicity."""
        box = self.graph_.periodic_box()
        if box is None:
            return None
        return torch.as_tensor(box, dtype=torch.float64) / scale[self.position_columns_[0]]

    # ---------------------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Train the graph network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
            Node features of each graph, or PyG graphs (targets in ``.y``, optional
            ``edge_index``).
        y : array-like of shape (n_samples, n_nodes, n_targets) or (n_samples, n_nodes), \
default=None
            Node targets; must be ``None`` for a list of graphs.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError, TypeError
            For invalid parameters or input, naming the argument.
        sklearn_symgn.training.TrainingDivergedError
            At the first batch whose loss is NaN or infinite: training stops there, since the
            weights are no longer usable, instead of returning a network that predicts NaN.
        """
        self._forget_fit()
        try:
            inputs = to_graph_input(self, X, y, reset=True, require_y=True)
            self._resolve(inputs)
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                module = self._build_module(inputs)
                net = self._build_net(module, inputs.n_graphs)
                net.fit(inputs.dataset(), y=None)
            self._check_training(net)
            self.net_ = net
            self._after_fit(X, y)
        except BaseException:
            self._forget_fit()  # a failed fit leaves an unfitted estimator, not a mixed one
            raise
        return self

    def _forget_fit(self):
        """Drop every fitted attribute (network, resolved parameters, distillation)."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)
        vars(self).pop("_node_target_shape", None)

    def _after_fit(self, X, y):
        """Called after training (a sibling may distil here)."""

    def _resolve(self, inputs):
        """Resolve the shared parameters against the data; then the sibling's own."""
        n_features = self.n_features_in_
        self.n_targets_ = inputs.n_targets()
        self.feature_names_ = self._resolve_names(n_features)
        if self.position_columns is None:
            self.position_columns_ = list(range(min(self.n_targets_, n_features)))
        else:
            self.position_columns_ = check_columns(
                self.position_columns, n_features, "position_columns", self.feature_names_
            )
        self.hidden_layer_sizes_ = self._resolve_hidden()
        _check_device(self.device)
        _check_callbacks(self.callbacks)
        self.graph_ = CompleteGraph() if self.graph is None else self.graph
        self.graph_.check(inputs.min_nodes())
        box = self.graph_.periodic_box()
        if box is not None and len(box) != len(self.position_columns_):
            raise ValueError(f"The periodic graph's box has {len(box)} lengths but there are "
                             f"{len(self.position_columns_)} position columns; give one length "
                             "per position column.")
        inputs.complete_edges(self.graph_, self.position_columns_)
        self._node_target_shape = inputs.node_target_shape
        self._resolve_own(inputs)

    def _resolve_names(self, n_features):
        if self.feature_names is None:  # a DataFrame's column names, else x0, x1, ...
            names_in = getattr(self, "feature_names_in_", None)
            return ([str(n) for n in names_in] if names_in is not None
                    else [f"x{k}" for k in range(n_features)])
        if isinstance(self.feature_names, str):
            raise ValueError(
                f"feature_names must be a list of {n_features} names; got the string "
                f"{self.feature_names!r}."
            )
        names = [str(n) for n in self.feature_names]
        if len(names) != n_features:
            raise ValueError(
                f"feature_names has {len(names)} names but X has {n_features} node features."
            )
        if len(set(names)) != len(names):
            raise ValueError(f"feature_names must be distinct; got {names!r}.")
        reserved = [n for n in names if re.fullmatch(r"phi(\d+|_d)", n)]
        if reserved:
            raise ValueError(
                f"feature_names must not use {reserved}: the distilled equations name the "
                f"summed messages phi1, phi2, ... (and phi_d); got {names!r}."
            )
        return names

    def _resolve_hidden(self):
        hidden = tuple(self.hidden_layer_sizes)
        if not hidden or not all(
            isinstance(h, Integral) and not isinstance(h, bool) and h > 0 for h in hidden
        ):
            raise ValueError(
                f"hidden_layer_sizes must be a non-empty sequence of positive ints; got {hidden!r}."
            )
        return hidden

    def _resolve_own(self, inputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_module(self, inputs):  # pragma: no cover - abstract
        """The torch module to train (seeded by the caller)."""
        raise NotImplementedError

    def _message_strategy(self):
        """The penalty strategy given to the skorch net (``None``: no penalty)."""
        return None

    def _epochs(self, batches):
        """``max_epochs``, or for ``"auto"`` the epochs of ``batches`` batches that give
        ``AUTO_STEPS`` steps."""
        if self.max_epochs != "auto":
            return self.max_epochs
        low, high = self.AUTO_EPOCHS
        return int(min(high, max(low, -(-self.AUTO_STEPS // batches))))

    def _build_net(self, module, n_graphs):
        n_train = n_graphs if self.validation_fraction is None else n_graphs - int(
            np.ceil(self.validation_fraction * n_graphs)
        )
        batches = max(1, -(-n_train // self.batch_size))
        self.max_epochs_ = self._epochs(batches)
        steps = self.max_epochs_ * batches
        scheduler = LRScheduler(
            policy=torch.optim.lr_scheduler.OneCycleLR, max_lr=self.lr, total_steps=steps,
            final_div_factor=1e5, step_every="batch",
        )
        callbacks = [("lr_scheduler", scheduler), ("stop_on_non_finite", StopOnNonFiniteLoss())]
        if self.verbose >= 2:
            # tqdm's notebook bar needs ipywidgets; without it, the text bar works everywhere
            callbacks.append(("progress_bar", ProgressBar(detect_notebook=_has_ipywidgets())))
        callbacks += list(self.callbacks or [])
        return GraphNet(
            module,
            criterion=torch.nn.L1Loss,
            criterion__reduction="sum",
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            optimizer__fused=True,  # one kernel for all parameters: ~1.5 ms less per step on CPU
            lr=self.lr,
            max_epochs=self.max_epochs_,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            iterator_train__collate_fn=collate,
            iterator_valid__collate_fn=collate,
            train_split=None if self.validation_fraction is None
            else ValidSplit(self.validation_fraction),
            callbacks=callbacks,
            message_strategy=self._message_strategy(),
            device=self.device,
            verbose=int(self.verbose > 0),
        )

    @staticmethod
    def _check_training(net):
        losses = net.history[:, "train_loss"]
        if not np.all(np.isfinite(losses)):  # e.g. a user callback that swallowed the error
            raise TrainingDivergedError(
                "Training diverged (non-finite loss). Lower `lr`, check the inputs for extreme "
                "values, or increase `batch_size`."
            )

    # ------------------------------------------------------------------------------ predict
    def _network_input(self, X):
        check_is_fitted(self, "net_")  # a failed fit may have set n_features_in_
        inputs = to_graph_input(self, X, reset=False, require_y=False)
        return inputs.complete_edges(self.graph_, self.position_columns_)

    def torch_module(self):
        """The fitted torch module behind :meth:`predict`, or ``None`` when it uses equations.

        Its ``forward`` maps a float32 ``(B, n, F)`` tensor (or a PyG ``Batch``) to a tuple
        whose first element holds the predictions ``(B, n, T)``.
        """
        check_is_fitted(self, "net_")
        return self.net_.module_

    def predict(self, X):
        """Predict node targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes, n_features) or list of Data
            As in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray
            Shaped like the ``y`` given to :meth:`fit`: ``(n_samples, n_nodes, n_targets)`` for
            arrays; for a list of graphs, the nodes of all graphs concatenated,
            ``(n_total_nodes, n_targets)``. The target axis is dropped where ``y`` had none.
        """
        inputs = self._network_input(X)
        # set_params after fit is not validated by fit: check it with its own constraint
        validate_parameter_constraints(
            {"predict_batch_size": self._parameter_constraints["predict_batch_size"]},
            {"predict_batch_size": self.predict_batch_size}, caller_name=type(self).__name__)
        batch_size = (inputs.graphs_per_chunk(PREDICT_PAIRS)
                      if isinstance(self.predict_batch_size, str) else self.predict_batch_size)
        # DataLoader iteration draws from the global RNG: fork it, one thread at a time (two
        # interleaved forks restore each other's state and leave the user's RNG changed)
        with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
            pred = self.net_.predict_batched(inputs.dataset(), batch_size).astype(np.float64)
        if not np.all(np.isfinite(pred)):
            raise ValueError(
                "The network's predictions for X are not finite: X holds values so far outside "
                "the training data that the network overflows. Check X's units and scale."
            )
        return inputs.shape_output(pred, self._node_target_shape)

    # ----------------------------------------------------------------------- distillation
    def set_params(self, **params):
        """Set parameters; ``distiller__<name>`` also works while ``distiller`` is ``None``
        (the default distiller is created first, then set).

        Parameters
        ----------
        **params : dict
            Estimator parameters, and nested ``<component>__<name>`` ones.

        Returns
        -------
        self : object
        """
        nested = any(key.startswith("distiller__") for key in params)
        if nested and "distiller" not in params and self.distiller is None:
            self.distiller = self._default_distiller()
        return super().set_params(**params)

    def _resolved_distiller(self):
        """A fresh copy of ``distiller`` (or the default), seeded from ``random_state``."""
        distiller = self._default_distiller() if self.distiller is None else clone(self.distiller)
        if distiller.random_state is None:
            distiller.set_params(random_state=self.random_state)
        return distiller

    def _store_distillation(self, result):
        """Copy each field of a distiller's result into the attribute ``<field>_``."""
        for field in fields(result):
            setattr(self, f"{field.name}_", getattr(result, field.name))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        return tags


def _squeezed(shape):
    """``shape`` without a trailing axis of length 1 (one target per node, either way)."""
    return tuple(shape[:-1]) if len(shape) > 1 and shape[-1] == 1 else tuple(shape)


def _check_device(device):
    """``device`` must name a torch device this machine has: the CPU, or a CUDA GPU."""
    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:<index>'; got {device!r}.") \
            from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:<index>'; got {device!r} (a "
                         f"{kind!r} device is not supported).")


def _check_callbacks(callbacks):
    """Each callback is a skorch ``Callback`` (class or instance) or a ``(name, callback)``."""
    for entry in callbacks or []:
        callback = entry[1] if isinstance(entry, tuple) and len(entry) == 2 \
            and isinstance(entry[0], str) else entry
        if not (isinstance(callback, Callback)
                or (isinstance(callback, type) and issubclass(callback, Callback))):
            raise TypeError(
                "callbacks must hold skorch.callbacks.Callback instances or (name, callback) "
                f"pairs; got {entry!r} of type {type(entry).__name__}."
            )


def _has_ipywidgets():
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True
