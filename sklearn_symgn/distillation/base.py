"""What every distiller shares: the backend, the seed, the timed search, the network's spec."""

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from .._validation import ValidatedMixin
from ..symbolic import OperonBackend, SymbolicBackend

__all__ = ["BaseDistiller", "NetworkSpec"]


@dataclass(frozen=True)
class NetworkSpec:
    """What a distiller needs to know about the fitted network's inputs and outputs.

    Attributes
    ----------
    position_columns : list of int
        Coordinate columns.
    feature_names : list of str
        Node feature names.
    graph : graph builder
        Builds the edges of array inputs.
    n_targets : int
        Targets per node.
    node_target_shape : tuple
        One node's targets as the user shaped them: ``(n_targets,)`` or ``()``.
    node_columns : list of int or None
        Node-feature columns the node model sees; ``None``: all.
    """

    position_columns: list
    feature_names: list
    graph: object
    n_targets: int
    node_target_shape: tuple
    node_columns: list | None = None


class BaseDistiller(ValidatedMixin, BaseEstimator):
    """Base of the distillers: settings of one distillation, and the symbolic backend.

    A distiller never sees the estimator: it receives validated graphs, what the network
    computed on them, and a :class:`NetworkSpec`, and returns a result dataclass.

    Parameters
    ----------
    backend : SymbolicBackend, default=None
        Symbolic-regression engine; ``None`` means
        :class:`~sklearn_symgn.symbolic.OperonBackend` with its defaults, seeded from
        ``random_state``.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of rows (and the default backend). The estimator passes its own
        ``random_state`` when this is ``None``.
    """

    _parameter_constraints: dict = {
        "backend": [SymbolicBackend, None],
        "random_state": ["random_state"],
    }

    def __init__(self, *, backend=None, random_state=None):
        self.backend = backend
        self.random_state = random_state

    def _resolved_backend(self, rng):
        """The backend to clone for each search; the default draws its seed from ``rng``."""
        if self.backend is not None:
            return self.backend
        return OperonBackend(random_state=int(rng.randint(np.iinfo(np.int32).max)))

    def _fresh_rng(self):
        return check_random_state(self.random_state)


def timed_search(backend, X, y, names, target, verbose, what):
    """Fit a clone of ``backend`` and return its equation; print it with the time if verbose."""
    start = time.perf_counter()
    fitted = clone(backend).fit(X, y, names, target_name=target)
    if verbose:
        generations = getattr(fitted, "generations_run_", None)  # Operon's budget spent
        spent = f", {sum(generations)} generations" if generations else ""
        print(f"[distill] {what} in {time.perf_counter() - start:.1f} s ({len(y)} rows{spent}): "
              f"{fitted.equation_}", flush=True)
    return fitted.equation_
