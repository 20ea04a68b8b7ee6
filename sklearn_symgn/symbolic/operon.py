"""The default backend: Operon (C++ genetic programming, embedded, offline, multithreaded)."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import check_option
from ._parse import parse_infix
from .base import SymbolicBackend

__all__ = ["OperonBackend"]

BINARY = {"add", "sub", "mul", "div", "pow", "aq", "fmin", "fmax"}
UNARY = {"exp", "log", "sqrt", "square", "abs", "sin", "cos", "tanh", "cbrt", "floor", "ceil"}


class OperonBackend(SymbolicBackend):
    """Symbolic regression with `pyoperon <https://github.com/heal-research/pyoperon>`_.

    Runs a multi-objective search (accuracy and length), with non-linear least-squares tuning of
    the constants, and returns the whole Pareto front.

    Parameters
    ----------
    binary_operators : tuple of str, default=("add", "sub", "mul", "div")
        Binary operators (also ``"pow"``, ``"aq"``, and ``"fmin"``, ``"fmax"``).
    unary_operators : tuple of str, default=()
        Opt-in unary operators: ``"exp"``, ``"log"``, ``"sqrt"``, ``"square"``, ``"cbrt"``,
        ``"abs"``, ``"sin"``, ``"cos"``, ``"tanh"``, and the piecewise ``"floor"``, ``"ceil"``.
        Together with ``"fmin"``/``"fmax"`` these express steps, e.g. a force that switches on
        at ``r = 2`` (the ``discontinuous`` system) as ``fmin(1, floor(r / 2))``; their
        constants are tuned by the search, not by the gradient-based optimiser.
    max_time : float, default=10.0
        Wall-clock budget of one search in seconds (rounded up to whole seconds); ``None`` to
        stop on ``generations`` only
        (repeatable with a fixed ``random_state``).
    generations : int, default=10000
        Maximum number of generations.
    population_size : int, default=1000
        Individuals per generation.
    max_length : int, default=15
        Maximum expression length (tree nodes, scaling constants included). Short budgets keep
        the search on the law instead of on the network's small imperfections: on spring
        messages, 15 gave ``(a*dx + b*dy)*(r - 1)/r``-shaped laws where 30 gave nested rationals
        of the same accuracy. Raise it for laws with more terms.
    optimizer_iterations : int, default=10
        Levenberg-Marquardt iterations that tune constants of each candidate (0: none).
    n_jobs : int, default=1
        Threads.
    n_restarts : int, default=1
        Independent searches (seeds ``random_state + k``) whose Pareto fronts are merged; each
        gets ``max_time``. Genetic programming often stalls in a local optimum (e.g. ``dx/r**2``
        for a ``dx/r**3`` law): restarts buy reliability with time.
    random_state : int or None, default=None
        Seed.
    selection : {"best", "accuracy", "simplest"}, default="best"
        Which expression of the front is chosen (see :class:`~sklearn_symgn.symbolic.Equation`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(1, 2, size=(300, 2))
    >>> backend = OperonBackend(max_time=None, generations=20, population_size=200, random_state=0)
    >>> print(backend.fit(X, X[:, 0] * X[:, 1], ["a", "b"]).equation_)
    y = a*b
    """

    _parameter_constraints = {
        **SymbolicBackend._parameter_constraints,
        "binary_operators": ["array-like"],
        "unary_operators": ["array-like"],
        "max_time": [Interval(Real, 0, None, closed="neither"), None],
        "generations": [Interval(Integral, 1, None, closed="left")],
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "max_length": [Interval(Integral, 3, None, closed="left")],
        "optimizer_iterations": [Interval(Integral, 0, None, closed="left")],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "n_restarts": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
        "selection": [StrOptions({"best", "accuracy", "simplest"})],
    }

    def __init__(self, *, binary_operators=("add", "sub", "mul", "div"), unary_operators=(),
                 max_time=10.0, generations=10_000, population_size=1000, max_length=15,
                 optimizer_iterations=10, n_jobs=1, n_restarts=1, random_state=None,
                 selection="best"):
        self.binary_operators = binary_operators
        self.unary_operators = unary_operators
        self.max_time = max_time
        self.generations = generations
        self.population_size = population_size
        self.max_length = max_length
        self.optimizer_iterations = optimizer_iterations
        self.n_jobs = n_jobs
        self.n_restarts = n_restarts
        self.random_state = random_state
        self.selection = selection

    def _allowed_symbols(self):
        binary, unary = list(self.binary_operators), list(self.unary_operators)
        for op in binary:
            check_option(op, BINARY, "binary_operators")
        for op in unary:
            check_option(op, UNARY, "unary_operators")
        return ",".join([*binary, *unary, "constant", "variable"])

    def _search(self, X, y, feature_names):
        from pyoperon.sklearn import SymbolicRegressor

        # copies: the engine rejects read-only buffers
        X = np.array(X, dtype=np.float64, order="C")
        y = np.array(y, dtype=np.float64)
        rows = []
        for restart in range(self.n_restarts):
            seed = None if self.random_state is None else self.random_state + restart
            engine = SymbolicRegressor(
                allowed_symbols=self._allowed_symbols(),
                objectives=["r2", "length"],
                generations=self.generations,
                population_size=self.population_size,
                max_length=self.max_length,
                optimizer_iterations=self.optimizer_iterations,
                max_evaluations=10**9,
                max_time=None if self.max_time is None else max(1, math.ceil(self.max_time)),
                n_threads=self.n_jobs,
                random_state=seed,
            )
            engine.fit(X, y)
            for entry in engine.pareto_front_:
                expr = parse_infix(entry["model"], feature_names)
                rows.append((int(entry["length"]), float(entry["mean_squared_error"]), expr))
        return rows
