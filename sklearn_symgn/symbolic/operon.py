"""The default backend: Operon (C++ genetic programming, embedded, offline, multithreaded)."""

import math
import time
import warnings
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import N_JOBS, Int, check_option, resolve_n_jobs
from ._parse import parse_infix
from .base import SymbolicBackend
from .equations import select_best

__all__ = ["OperonBackend"]

#: Largest count the engine takes (a C++ int).
MAX_INT = 2**31 - 1

#: Generations between two looks at the front (early stopping).
CHECK_EVERY = 5
#: Looks without a 1 % improvement (of the front's best error, or of the row the "best" rule
#: would choose) after which the search stops.
PLATEAU_ROUNDS = 2
#: Looks over which the chosen row must stay for a search with piecewise operators to stop.
PIECEWISE_PLATEAU_ROUNDS = 10
#: Generations before a plateau may stop the search.
MIN_GENERATIONS = 20

#: Operators whose laws improve in jumps: no plateau stopping with them.
PIECEWISE = {"floor", "ceil", "fmin", "fmax"}

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
    max_time : float or None, default=300.0
        Wall-clock safety cap of one search in seconds (rounded up to whole seconds). The
        search is budgeted by ``generations`` and so repeatable with a fixed ``random_state``;
        a search cut by this cap depends on the machine's load, and says so with a
        ``RuntimeWarning``. ``None``: no cap.
    generations : int, default=100
        Maximum number of generations of one search.
    early_stopping : bool, default=True
        Check the front every 5 generations and stop when its most accurate expression
        explains the searched rows to R² ≥ 1 - 1e-6, or, after at least 20 generations, when
        over the last 10 either its best error has improved by less than 1 % or the row the
        ``"best"`` rule would choose has kept its length and improved by less than 1 % (with
        the piecewise operators ``floor``, ``ceil``, ``fmin``, ``fmax``, whose laws improve
        in jumps, only the latter, over the last 50). Decided on generation counts, so
        repeatable.
    population_size : int, default=1000
        Individuals per generation.
    max_length : int, default=15
        Maximum expression length (tree nodes, scaling constants included). Short budgets keep
        the search on the law instead of on the network's small imperfections; raise it for
        laws with more terms.
    optimizer_iterations : int, default=10
        Levenberg-Marquardt iterations that tune constants of each candidate (0: none).
    n_jobs : int or None, default=None
        Threads of the search; ``None`` or ``-1``: every core this process may use (capped
        there, with a warning, when larger). The result does not depend on it.
    n_restarts : int, default=1
        Independent searches (seeds ``random_state + k``) whose Pareto fronts are merged; each
        gets ``max_time``. Genetic programming often stalls in a local optimum (e.g. ``dx/r**2``
        for a ``dx/r**3`` law): restarts buy reliability with time.
    random_state : int or None, default=None
        Seed.
    selection : {"best", "accuracy", "simplest"}, default="best"
        Which expression of the front is chosen (see :class:`~sklearn_symgn.symbolic.Equation`).
    validation_fraction : float in [0, 1), default=0.25
        Rows held out of the search; the front is scored and the chosen law pruned on them.
    prune_tolerance : float, default=1e-3
        Largest loss of R² on the held-out rows for which an additive term of the chosen
        expression is removed (constants refitted); ``0`` keeps every term.

    Attributes
    ----------
    equation_ : Equation
        The fitted front and the chosen expression.
    feature_names_ : list of str
        Names of the input columns.
    generations_run_ : list of int
        Generations each restart ran (fewer than ``generations`` where early stopping ended
        it).

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
        "generations": [Int(1, MAX_INT)],
        "early_stopping": ["boolean"],
        "population_size": [Int(2, MAX_INT)],
        "max_length": [Int(3, MAX_INT)],
        "optimizer_iterations": [Int(0, MAX_INT)],
        "n_jobs": N_JOBS,
        "n_restarts": [Int(1, MAX_INT)],
        "random_state": [Int(0, 2**32 - 1), None],
        "selection": [StrOptions({"best", "accuracy", "simplest"})],
    }

    def __init__(self, *, binary_operators=("add", "sub", "mul", "div"), unary_operators=(),
                 max_time=300.0, generations=100, early_stopping=True, population_size=1000,
                 max_length=15, optimizer_iterations=10, n_jobs=None, n_restarts=1,
                 random_state=None, selection="best", validation_fraction=0.25,
                 prune_tolerance=1e-3):
        self.binary_operators = binary_operators
        self.unary_operators = unary_operators
        self.max_time = max_time
        self.generations = generations
        self.early_stopping = early_stopping
        self.population_size = population_size
        self.max_length = max_length
        self.optimizer_iterations = optimizer_iterations
        self.n_jobs = n_jobs
        self.n_restarts = n_restarts
        self.random_state = random_state
        self.selection = selection
        self.validation_fraction = validation_fraction
        self.prune_tolerance = prune_tolerance

    def _allowed_symbols(self):
        binary, unary = list(self.binary_operators), list(self.unary_operators)
        if not binary:
            raise ValueError(f"binary_operators must name at least one of {sorted(BINARY)}; "
                             f"got {self.binary_operators!r}.")
        for op in binary:
            check_option(op, BINARY, "binary_operators")
        for op in unary:
            check_option(op, UNARY, "unary_operators")
        return ",".join([*binary, *unary, "constant", "variable"])

    def _engine(self, seed, generations, warm, threads):
        from pyoperon.sklearn import SymbolicRegressor

        return SymbolicRegressor(
            allowed_symbols=self._allowed_symbols(),
            objectives=["r2", "length"],
            generations=generations,
            population_size=self.population_size,
            max_length=self.max_length,
            optimizer_iterations=self.optimizer_iterations,
            max_evaluations=10**12,
            max_time=None if self.max_time is None else max(1, math.ceil(self.max_time)),
            n_threads=threads,
            random_state=seed,
            warm_start=warm,
        )

    def _evolve(self, X, y, seed, threads):
        """One search, in rounds of ``CHECK_EVERY`` generations (warm starts of the same
        population): early stopping looks at the front between rounds, and Ctrl-C, which
        Python only sees once the engine's C++ returns, interrupts within a round."""
        # the first round starts a population; later rounds continue it (a warm start before
        # any population exists would run on an uninitialised one)
        engine = self._engine(seed, min(CHECK_EVERY, self.generations), False, threads)
        history, done, start = [], 0, time.perf_counter()
        while done < self.generations:
            engine.set_params(generations=min(CHECK_EVERY, self.generations - done),
                              warm_start=done > 0)
            engine.fit(X, y)
            done += engine.get_params()["generations"]
            history.append(_front_summary(engine.pareto_front_, float(np.var(y))))
            if self._converged(history, float(np.var(y))):
                break
        if self.max_time is not None and time.perf_counter() - start >= self.max_time:
            warnings.warn(
                f"OperonBackend: the wall-clock cap max_time={self.max_time} s cut the search "
                f"after {done} generations; the result depends on the machine's load. Raise "
                "max_time or lower generations/population_size for repeatable results.",
                RuntimeWarning, stacklevel=4,
            )
        self.generations_run_.append(done)
        return engine.pareto_front_

    def _converged(self, history, variance):
        """Stop when the front explains the rows essentially exactly, or (after
        ``MIN_GENERATIONS``) when neither its best error nor the row the "best" rule would
        choose has improved by 1 % over the last ``PLATEAU_ROUNDS`` looks."""
        if not self.early_stopping:
            return False
        if history[-1][0] <= 1e-6 * variance:
            return True
        # step laws improve in jumps after long flat stretches: with piecewise operators only
        # a chosen row that has stayed over a longer window stops the search
        piecewise = bool(PIECEWISE & {*self.binary_operators, *self.unary_operators})
        plateau = PIECEWISE_PLATEAU_ROUNDS if piecewise else PLATEAU_ROUNDS
        if len(history) * CHECK_EVERY < MIN_GENERATIONS or len(history) <= plateau:
            return False
        (best, chosen), (best_then, chosen_then) = history[-1], history[-1 - plateau]
        stalled = best > 0.99 * best_then and not piecewise
        settled = chosen[0] == chosen_then[0] and chosen[1] > 0.99 * chosen_then[1]
        return stalled or settled

    def _search(self, X, y, feature_names):
        # copies: the engine rejects read-only buffers
        X = np.array(X, dtype=np.float64, order="C")
        y = np.array(y, dtype=np.float64)
        rows, self.generations_run_ = [], []
        threads = resolve_n_jobs(self.n_jobs, "OperonBackend")
        for restart in range(self.n_restarts):
            seed = None if self.random_state is None else (self.random_state + restart) % 2**32
            for entry in self._evolve(X, y, seed, threads):
                expr = parse_infix(entry["model"], feature_names)
                rows.append((int(entry["length"]), float(entry["mean_squared_error"]), expr))
        return rows


def _front_summary(front, variance):
    """The front's best error and the (length, error) of the row the "best" rule chooses
    (the constant model heading the front, as in :meth:`SymbolicBackend.fit`)."""
    rows = sorted((int(e["length"]), float(e["mean_squared_error"])) for e in front)
    complexity, loss, best = [1], [variance], variance
    for length, error in rows:
        if error < best:
            complexity.append(length)
            loss.append(error)
            best = error
    index, _ = select_best(complexity, loss)
    return best, (complexity[index], loss[index])
