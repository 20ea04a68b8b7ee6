"""The distilled equations as a model that predicts from the graphs alone."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from ..base import GraphScoreMixin
from ..graphs.inputs import to_graph_input
from .variables import edge_variables, node_variables, sum_at_receivers

__all__ = ["SymbolicGraphModel"]


class SymbolicGraphModel(GraphScoreMixin, RegressorMixin, BaseEstimator):
    """The distilled equations as a model: ``y_i = node_eq(sum_j edge_eq(e_ij), x_i)``.

    Built by :meth:`SymbolicGNRegressor.distill <sklearn_symgn.SymbolicGNRegressor.distill>`
    (it is not trained by itself); ``predict`` and ``score`` take the same inputs as the network,
    so network and equations can be scored on the same held-out or out-of-distribution data.

    Parameters
    ----------
    edge_equations : list of Equation
        One per significant message component.
    node_equations : list of Equation
        One per target component.
    feature_names : list of str
        Node feature names (their count is ``n_features_in_``).
    position_columns : list of int
        Coordinate columns.
    graph : graph builder
        Builds the edges of array inputs (and of ``Data`` without ``edge_index``).
    node_target_shape : tuple, default=(1,)
        Shape of one node's targets as the user gave them: ``(n_targets,)`` or ``()``.
    """

    def __init__(self, edge_equations, node_equations, feature_names, position_columns, graph,
                 node_target_shape=(1,)):
        self.edge_equations = edge_equations
        self.node_equations = node_equations
        self.feature_names = feature_names
        self.position_columns = position_columns
        self.graph = graph
        self.node_target_shape = node_target_shape

    @property
    def n_features_in_(self):
        return len(self.feature_names)

    @property
    def n_targets_(self):
        return len(self.node_equations)

    def predict(self, X):
        """Predict node targets from the equations alone (same inputs and shapes as the network)."""
        inputs = to_graph_input(self, X, reset=False, require_y=False, dtype=np.float64)
        x, edge_index = inputs.flatten(self.graph, self.position_columns)
        sender, receiver = edge_index
        table, _ = edge_variables(x[receiver], x[sender], self.position_columns, self.feature_names)
        phi = np.column_stack([eq(table) for eq in self.edge_equations])
        sums = sum_at_receivers(phi, receiver, len(x))
        node_table, _ = node_variables(sums, x, self.feature_names)
        node_table = node_table[inputs.target_nodes()]
        pred = np.column_stack([eq(node_table) for eq in self.node_equations])
        return inputs.shape_output(pred, tuple(self.node_target_shape))

    def equations(self, digits=3):
        """All equations as printable lines (messages first, then node targets)."""
        return [str(eq) if digits == 3 else f"{eq.target} = {eq.simplified(digits)}"
                for eq in [*self.edge_equations, *self.node_equations]]

    def __str__(self):
        return "\n".join(self.equations())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        return tags
