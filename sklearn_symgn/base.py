"""What the network and its distilled symbolic model share: R² scoring on graph data."""

import numpy as np
from sklearn.metrics import r2_score

from .graphs.inputs import node_targets, to_graph_input

__all__ = ["GraphScoreMixin"]


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
            inputs = to_graph_input(self, X, reset=False, require_y=True, dtype=np.float64)
            if inputs.dense:
                raise ValueError("y is required when X is an array.")
            y = node_targets(inputs)
        y = np.asarray(y, dtype=np.float64)
        if y.shape[0] != pred.shape[0] or y.size != pred.size:
            raise ValueError(f"y has shape {y.shape}, but predictions have shape {pred.shape}.")
        n_targets = self.n_targets_
        weights = None
        if sample_weight is not None:
            per_sample = y.size // (y.shape[0] * n_targets)
            weights = np.repeat(np.asarray(sample_weight, dtype=np.float64), per_sample)
        return r2_score(
            y.reshape(-1, n_targets), pred.reshape(-1, n_targets), sample_weight=weights
        )
