"""Interpretable variables of distillation: what the equations are written in."""

import numpy as np
import sympy

from ..graphs.builders import minimum_image

__all__ = ["edge_variables", "node_variables", "sum_at_receivers"]


def edge_variables(x_receiver, x_sender, position_columns, feature_names, box=None):
    """Interpretable edge variables and their names.

    Parameters
    ----------
    x_receiver, x_sender : ndarray of shape (n_edges, n_features)
        Raw node features of receiver ``i`` and sender ``j``.
    position_columns : list of int
    feature_names : list of str
    box : ndarray of shape (n_position_columns,), default=None
        Periodic box lengths: the displacements are minimum images. ``None``: no periodicity.

    Returns
    -------
    table : ndarray of shape (n_edges, n_variables)
    names : list of str
        ``d<p>`` for each position column ``p`` (sender minus receiver), ``r``, then ``<c>_i``,
        ``<c>_j`` for every other column ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.distillation.variables import edge_variables
    >>> table, names = edge_variables(np.array([[0.0, 0, 2]]), np.array([[3.0, 4, 1]]), [0, 1],
    ...                               ["x", "y", "m"])
    >>> names, table.tolist()
    (['dx', 'dy', 'r', 'm_i', 'm_j'], [[3.0, 4.0, 5.0, 2.0, 1.0]])
    """
    x_i = np.asarray(x_receiver, dtype=np.float64)
    x_j = np.asarray(x_sender, dtype=np.float64)
    cols, names = [], []
    delta = minimum_image(x_j[:, list(position_columns)] - x_i[:, list(position_columns)], box)
    for k, p in enumerate(position_columns):
        cols.append(delta[:, k])
        names.append(f"d{feature_names[p]}")
    if position_columns:
        cols.append(np.sqrt(np.sum(np.square(cols), axis=0)))
        names.append("r")
    for c in range(x_i.shape[1]):
        if c not in position_columns:
            cols += [x_i[:, c], x_j[:, c]]
            names += [f"{feature_names[c]}_i", f"{feature_names[c]}_j"]
    return np.column_stack(cols), names


def graph_edge_table(graphs, graph, position_columns, feature_names):
    """Flattened node table ``x``, receivers and edge-variable table (with its names) of
    validated ``graphs``, edges from ``graph`` (and its periodic box, if any)."""
    x, (sender, receiver) = graphs.flatten(graph, position_columns)
    table, names = edge_variables(x[receiver], x[sender], position_columns, feature_names,
                                  graph.periodic_box())
    return x, receiver, table, names


def lambdified(expr, names):
    """``expr`` as a callable of a table whose columns are ``names``, one value per row."""
    function = sympy.lambdify([sympy.Symbol(n) for n in names], expr, modules="numpy")

    def call(table):
        out = function(*table.T)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (table.shape[0],))

    return call


def node_variables(message_sums, x, feature_names):
    """Node-model variables: summed messages ``phi1, phi2, ...`` and the node's own features."""
    names = [f"phi{k + 1}" for k in range(message_sums.shape[1])] + list(feature_names)
    return np.column_stack([message_sums, x]), names


def sum_at_receivers(values, receivers, n_nodes):
    """Sum per-edge ``values`` ``(E, k)`` at their receivers: ``(n_nodes, k)``."""
    values = np.asarray(values, dtype=np.float64)
    return np.column_stack([np.bincount(receivers, weights=values[:, k], minlength=n_nodes)
                            for k in range(values.shape[1])]).reshape(n_nodes, values.shape[1])


def inertial_mass_column(feature_names):
    """Index of the one feature named ``m`` or ``mass`` (any case), else ``None``."""
    masses = [k for k, n in enumerate(feature_names) if str(n).lower() in ("m", "mass")]
    return masses[0] if len(masses) == 1 else None
