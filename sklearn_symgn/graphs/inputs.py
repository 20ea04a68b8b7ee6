"""Input adapters: validate what the user passes and turn it into tensors the network reads.

Two kinds of input are accepted:

* arrays ``X`` of shape ``(n_samples, n_nodes, n_features)`` with targets ``(n_samples, n_nodes,
  n_targets)`` or ``(n_samples, n_nodes)``: equally sized graphs, batched by tensor indexing;
  a 2-D ``X`` ``(n_samples, n_features)`` is read as graphs of a single node (no edges: the network
  reduces to its node model) only when the estimator's graph builder says so
  (:class:`~sklearn_symgn.graphs.NoEdges`): tabular data must be asked for, not guessed;
* a list of ``torch_geometric.data.Data`` with ``x`` ``(n_i, n_features)``, targets ``y``
  ``(n_i, n_targets)`` or ``(n_i,)`` and optionally ``edge_index``: graphs of varying size.
  A graph may carry a boolean ``target_mask`` ``(n_i,)``: then only those nodes have targets
  (``y`` has one row per masked node), count in the loss and are predicted. A halo's
  neighbourhood graph, for example, has a target on its centre only, so that each graph is one
  sample and cross-validation splits halos.
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data
from torch_geometric.data import Batch, Data

from .batching import DenseGraphDataset, GraphListDataset

#: Ordered pairs of nodes per chunk where equations are evaluated edge by edge (a table of
#: about 100 MB): memory stays bounded however many graphs are predicted.
CHUNK_PAIRS = 2**20

__all__ = ["CHUNK_PAIRS", "DenseGraphs", "GraphInput", "GraphList", "as_values", "first_graphs", "is_graph_list",
           "to_graph_input"]


class GraphInput:
    """Validated graphs: the interface both input forms share.

    Built by :func:`to_graph_input`; the rest of the package reads graphs only through these
    methods, never by asking which form it holds.

    Attributes
    ----------
    node_target_shape : tuple or None
        One node's targets as the user shaped them: ``(n_targets,)`` or ``()``; ``None``
        without targets.
    n_graphs : int
        Number of graphs.
    tabular : bool
        True for a 2-D ``X`` read as single-node graphs.
    """

    tabular = False

    def n_targets(self):
        """Targets per node."""
        return self.target_table().shape[-1]

    def min_nodes(self):  # pragma: no cover - abstract
        """Nodes in the smallest graph."""
        raise NotImplementedError

    def node_table(self):  # pragma: no cover - abstract
        """Node features of all graphs, ``(N, F)`` tensor."""
        raise NotImplementedError

    def target_table(self):  # pragma: no cover - abstract
        """Targets of all target nodes, ``(N_targets, T)`` tensor."""
        raise NotImplementedError

    def complete_edges(self, graph_builder, position_columns):
        """Build the edges that the input does not carry (graphs without ``edge_index``)."""
        return self

    def dataset(self):  # pragma: no cover - abstract
        """A torch ``Dataset`` for skorch (see :mod:`sklearn_symgn.graphs.batching`)."""
        raise NotImplementedError

    def batches(self, batch_size):  # pragma: no cover - abstract
        """Module inputs of at most ``batch_size`` graphs each, in order, as
        ``(index of the first graph, batch)``."""
        raise NotImplementedError

    def flatten(self, graph_builder, position_columns):  # pragma: no cover - abstract
        """All graphs as one: node table ``(N, F)`` and edge index ``(2, E)``, NumPy arrays.

        Node ``k`` of graph ``s`` is row ``offsets[s] + k`` (offsets: cumulative node counts).
        """
        raise NotImplementedError

    def target_nodes(self):
        """Rows of the flattened node table that carry targets."""
        return slice(None)

    def node_targets(self):
        """Targets per target node ``(N_targets, T)``, float64 NumPy."""
        return self.target_table().double().numpy()

    def shape_output(self, pred, node_target_shape):  # pragma: no cover - abstract
        """Reshape per-node predictions ``(N, T)`` the way the user shaped ``y``."""
        raise NotImplementedError

    def subset(self, indices):  # pragma: no cover - abstract
        """The graphs at ``indices``, in the same form."""
        raise NotImplementedError

    def node_counts(self):  # pragma: no cover - abstract
        """Nodes of each graph, ``(n_graphs,)`` int array."""
        raise NotImplementedError

    def graphs_per_chunk(self, max_pairs):
        """Graphs per chunk so that a chunk holds at most ``max_pairs`` ordered pairs of
        nodes (an upper bound of its edges) in its largest graphs; at least one."""
        largest = int(self.node_counts().max()) if self.n_graphs else 1
        return max(1, max_pairs // max(1, largest * (largest - 1)))

    def chunks(self, max_pairs):
        """The graphs in order, as subsets of :meth:`graphs_per_chunk` graphs each."""
        step = self.graphs_per_chunk(max_pairs)
        for start in range(0, self.n_graphs, step):
            yield self.subset(np.arange(start, min(start + step, self.n_graphs)))


class DenseGraphs(GraphInput):
    """Equally sized graphs: ``X`` a ``(S, n, F)`` tensor, ``y`` ``(S, n, T)`` or ``None``."""

    def __init__(self, X, y, node_target_shape, tabular=False):
        self.X, self.y = X, y
        self.node_target_shape = node_target_shape
        self.n_graphs = X.shape[0]
        self.tabular = tabular

    def min_nodes(self):
        return self.X.shape[1]

    def node_counts(self):
        return np.full(self.n_graphs, self.X.shape[1])

    def node_table(self):
        return self.X.reshape(-1, self.X.shape[-1])

    def target_table(self):
        return self.y.reshape(-1, self.y.shape[-1])

    def dataset(self):
        return DenseGraphDataset(self.X, self.y)

    def batches(self, batch_size):
        for start in range(0, self.n_graphs, batch_size):
            yield start, self.X[start : start + batch_size]

    def flatten(self, graph_builder, position_columns):
        edge_index = graph_builder.build(self.X[..., list(position_columns)])
        return self.node_table().double().numpy(), edge_index.numpy()

    def subset(self, indices):
        index = torch.as_tensor(indices, dtype=torch.long)
        y = None if self.y is None else self.y[index]
        return DenseGraphs(self.X[index], y, self.node_target_shape, self.tabular)

    def shape_output(self, pred, node_target_shape):
        if self.tabular:
            return pred.reshape(-1, *node_target_shape)
        return pred.reshape(self.n_graphs, self.X.shape[1], *node_target_shape)


class GraphList(GraphInput):
    """Graphs of varying size: a list of ``Data`` with ``x``, optional ``y``, ``edge_index`` and
    ``target_mask``."""

    def __init__(self, graphs, node_target_shape):
        self.graphs = graphs
        self.node_target_shape = node_target_shape
        self.n_graphs = len(graphs)

    def min_nodes(self):
        return min(g.num_nodes for g in self.graphs)

    def node_counts(self):
        return np.array([g.num_nodes for g in self.graphs])

    def node_table(self):
        return torch.cat([g.x for g in self.graphs])

    def target_table(self):
        return torch.cat([g.y for g in self.graphs])

    def complete_edges(self, graph_builder, position_columns):
        columns = list(position_columns)
        for g in self.graphs:
            if g.edge_index is None:
                g.edge_index = graph_builder.build(g.x[None, :, columns])
        return self

    def dataset(self):
        return GraphListDataset(self.graphs)

    def batches(self, batch_size):
        for start in range(0, self.n_graphs, batch_size):
            yield start, Batch.from_data_list(self.graphs[start : start + batch_size])

    def flatten(self, graph_builder, position_columns):
        self.complete_edges(graph_builder, position_columns)
        counts = np.array([g.num_nodes for g in self.graphs])
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        edge_index = torch.cat([g.edge_index + int(o) for g, o in zip(self.graphs, offsets)], 1)
        return self.node_table().double().numpy(), edge_index.numpy()

    def target_nodes(self):
        if getattr(self.graphs[0], "target_mask", None) is None:
            return slice(None)
        return torch.cat([g.target_mask for g in self.graphs]).numpy()

    def subset(self, indices):
        return GraphList([self.graphs[k] for k in indices], self.node_target_shape)

    def shape_output(self, pred, node_target_shape):
        return pred.reshape(-1, *node_target_shape)


def _tensor(a):
    """Share memory with ``a`` when possible; copy read-only or non-contiguous arrays."""
    return torch.from_numpy(np.require(a, requirements=["C", "W"]))


def is_graph_list(X):
    """True for a non-empty list/tuple whose first element is a PyG ``Data``."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and isinstance(X[0], Data)


def _as_float_array(value, name, graph_index, dtype=np.float32):
    if value is None:
        raise ValueError(f"X[{graph_index}].{name} is missing; every graph needs `{name}`.")
    return check_array(
        as_values(value), ensure_2d=False, dtype=dtype, input_name=f"X[{graph_index}].{name}"
    )


def _check_edge_index(edge_index, n_nodes, name):
    ei = edge_index.detach().cpu() if isinstance(edge_index, torch.Tensor) else torch.as_tensor(
        np.asarray(edge_index)
    )
    if ei.dim() != 2 or ei.shape[0] != 2 or ei.dtype.is_floating_point or ei.dtype == torch.bool:
        raise ValueError(f"{name} must be an integer array of shape (2, n_edges); got "
                         f"{tuple(ei.shape)} of {ei.dtype}.")
    if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= n_nodes):
        raise ValueError(
            f"{name} refers to nodes outside [0, {n_nodes}): values in [{int(ei.min())}, {int(ei.max())}]."
        )
    if bool((ei[0] == ei[1]).any()):
        raise ValueError(f"{name} contains self loops (sender == receiver); remove them.")
    return ei.long()


def _check_target_mask(mask, n_nodes, graph_index):
    """A boolean tensor ``(n_nodes,)`` with at least one True; ``None`` means every node."""
    if mask is None:
        return torch.ones(n_nodes, dtype=torch.bool)
    mask = torch.as_tensor(np.asarray(mask.detach().cpu() if isinstance(mask, torch.Tensor)
                                      else mask))
    if mask.dtype != torch.bool or mask.shape != (n_nodes,):
        raise ValueError(
            f"X[{graph_index}].target_mask must be a boolean array of shape ({n_nodes},); got "
            f"dtype {mask.dtype} and shape {tuple(mask.shape)}."
        )
    if not bool(mask.any()):
        raise ValueError(f"X[{graph_index}].target_mask selects no node; every graph needs one.")
    return mask


def _graph_list_input(estimator, graphs, *, reset, require_y, dtype):
    if not all(isinstance(g, Data) for g in graphs):
        raise TypeError("X mixes torch_geometric Data objects with other types; pass only Data.")
    xs = [_as_float_array(g.x, "x", k, dtype) for k, g in enumerate(graphs)]
    for k, x in enumerate(xs):
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"X[{k}].x must have shape (n_nodes >= 1, n_features); got {x.shape}.")
    widths = {x.shape[1] for x in xs}
    if len(widths) > 1:
        raise ValueError(f"All graphs must have the same number of node features; found {sorted(widths)}.")
    # validate_data on the stacked node table: dtype, finiteness and n_features_in_
    validate_data(estimator, np.concatenate(xs), reset=reset, ensure_min_samples=1)
    out, target_shape = [], None
    masked = any(getattr(g, "target_mask", None) is not None for g in graphs)
    for k, (g, x) in enumerate(zip(graphs, xs)):
        data = Data(x=_tensor(x))
        n_targeted = x.shape[0]
        if masked:
            data.target_mask = _check_target_mask(getattr(g, "target_mask", None), x.shape[0], k)
            n_targeted = int(data.target_mask.sum())
        if require_y:
            y = _as_float_array(getattr(g, "y", None), "y", k, dtype)
            if y.ndim not in (1, 2) or y.shape[0] != n_targeted:
                rows = "n_nodes" if n_targeted == x.shape[0] and not masked else "n_masked"
                raise ValueError(
                    f"X[{k}].y must have shape ({rows},) or ({rows}, n_targets) with {rows}="
                    f"{n_targeted}; got {y.shape}."
                )
            shape = y.shape[1:]
            if target_shape is not None and shape != target_shape:
                raise ValueError(
                    f"X[{k}].y has per-node shape {shape}, but earlier graphs have {target_shape}."
                )
            target_shape = shape
            data.y = _tensor(y.reshape(n_targeted, -1))
        if getattr(g, "edge_index", None) is not None:
            data.edge_index = _check_edge_index(g.edge_index, x.shape[0], f"X[{k}].edge_index")
        out.append(data)
    return GraphList(out, target_shape)


def first_graphs(X, n):
    """The first ``n`` graphs (or targets) of any accepted input: a list of ``Data``, an array
    or array-like, a tensor (also one that requires grad)."""
    if is_graph_list(X):
        return X[:n]
    return np.asarray(as_values(X))[:n]


def as_values(value):
    """A tensor's values as a NumPy array (also one that requires grad, or is on a GPU); any
    other value as it is."""
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def _graph_builder(estimator, reset):
    """The estimator's graph builder: the fitted one (``graph_``) after fit, else ``graph``."""
    fitted = None if reset else getattr(estimator, "graph_", None)
    return fitted if fitted is not None else getattr(estimator, "graph", None)


def _check_rows_as_nodes(estimator, X, reset):
    if not getattr(_graph_builder(estimator, reset), "edgeless", False):
        raise ValueError(
            f"X is a 2-D array of shape {X.shape}, but graphs need a 3-D array (n_samples, "
            "n_nodes, n_features) or a list of torch_geometric Data: reshape a table of bodies "
            "into one row per node of each sample. To read each row as a graph of one node "
            "(no messages: the network reduces to its node model), pass graph=NoEdges() "
            "(sklearn_symgn.graphs)."
        )


def _array_input(estimator, X, y, *, reset, require_y, dtype):
    if sp.issparse(X):
        raise TypeError("Sparse input is not supported: pass a dense array or a list of Data.")
    X = as_values(X)
    X = np.asarray(X) if not hasattr(X, "iloc") else X
    ndim = getattr(X, "ndim", 0)
    if ndim == 2:
        _check_rows_as_nodes(estimator, X, reset)
        X = validate_data(estimator, X, reset=reset, dtype=dtype)[:, None, :]
    elif ndim == 3:
        n_samples, n_nodes, n_features = X.shape
        if n_nodes == 0:
            raise ValueError(f"X must have at least one node per graph; got shape {X.shape}.")
        flat = validate_data(estimator, X.reshape(-1, n_features), reset=reset, dtype=dtype)
        X = flat.reshape(n_samples, n_nodes, n_features)
    else:
        raise ValueError(
            "X must be a 3-D array (n_samples, n_nodes, n_features), a 2-D array (n_samples, "
            f"n_features) of single-node graphs, or a list of torch_geometric Data; got ndim={ndim}. "
            "Reshape your data accordingly."
        )
    target_shape, y_tensor = None, None
    if require_y:
        if y is None:
            raise ValueError(
                f"{type(estimator).__name__} requires y to be passed, but the target y is None "
                "(with arrays X, the node targets are a separate array y; a list of Data "
                "carries them in .y)."
            )
        y = check_array(as_values(y), ensure_2d=False, allow_nd=True, dtype=dtype,
                        input_name="y")
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape[0]}."
            )
        n_nodes = X.shape[1]
        if ndim == 2 and y.ndim in (1, 2):
            target_shape = y.shape[1:]
        elif ndim == 3 and y.ndim in (2, 3) and y.shape[1] == n_nodes:
            target_shape = y.shape[2:]
        else:
            raise ValueError(
                f"y of shape {y.shape} does not match X of shape {X.shape}: expected "
                + ("(n_samples,) or (n_samples, n_targets)." if ndim == 2 else
                   f"(n_samples, {n_nodes}) or (n_samples, {n_nodes}, n_targets).")
            )
        y_tensor = _tensor(y.reshape(X.shape[0], n_nodes, -1))
    return DenseGraphs(_tensor(X), y_tensor, target_shape, tabular=ndim == 2)


def to_graph_input(estimator, X, y=None, *, reset, require_y, dtype=np.float32):
    """Validate ``X`` (and ``y``) and convert them; see the module docstring for accepted forms.

    ``validate_data`` runs on the node-feature table, so ``n_features_in_`` counts node features.
    ``dtype`` is float32 for the network, float64 for the symbolic model.
    """
    if is_graph_list(X):
        if y is not None:
            raise ValueError("With a list of Data graphs, targets are read from each graph's `.y`; "
                             "pass y=None.")
        return _graph_list_input(estimator, X, reset=reset, require_y=require_y, dtype=dtype)
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError("X is empty: expected at least one graph.")
    return _array_input(estimator, X, y, reset=reset, require_y=require_y, dtype=dtype)
