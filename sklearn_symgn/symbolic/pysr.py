"""Optional backend: PySR (Julia). Imported lazily; ``import sklearn_symgn`` never imports pysr."""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import check_option
from .base import SymbolicBackend

__all__ = ["PySRBackend", "import_pysr"]

INSTALL_HINT = (
    "The PySR backend needs the `pysr` package and a working Julia. Install it with "
    "`pip install 'sklearn-symgn[pysr]'`, then run `python -c 'import pysr'` once on a machine "
    "with internet access so that PySR can install Julia and its packages (or point it to an "
    "existing Julia, see PySR's docs). The default OperonBackend needs none of this."
)


#: Operators passed on to PySR. PySR evaluates operator strings as Julia code, so a string such
#: as ``"f(x) = run(`...`)"`` would run a program: only these built-in names are accepted.
BINARY = {"+", "-", "*", "/", "^", "max", "min", "mod", "greater", "cond", "logical_or",
          "logical_and", "atan2"}
UNARY = {"exp", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "square", "cube", "abs", "neg",
         "inv", "sign", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan",
         "asinh", "acosh", "atanh", "floor", "ceil", "round", "relu", "erf", "erfc", "gamma"}


def import_pysr():
    """Import pysr, turning any failure (missing package, no Julia, no network) into ImportError."""
    try:
        import pysr
    except Exception as exc:  # pysr raises URLError, JuliaError, ... when Julia is unavailable
        raise ImportError(f"{INSTALL_HINT} (import failed with {type(exc).__name__}: {exc})") from exc
    return pysr


class PySRBackend(SymbolicBackend):
    """Symbolic regression with `PySR <https://github.com/MilesCranmer/PySR>`_, as in the paper.

    Parameters
    ----------
    binary_operators : tuple of str, default=("+", "-", "*", "/")
        PySR's built-in binary operators (:data:`BINARY`).
    unary_operators : tuple of str, default=()
        PySR's built-in unary operators (:data:`UNARY`), for example ``("exp", "log",
        "sqrt")``. Custom Julia definitions are refused: PySR would run them as code.
    niterations : int, default=40
        Search iterations.
    populations : int, default=15
        Number of populations.
    maxsize : int, default=30
        Maximum expression complexity.
    timeout_in_seconds : float, default=None
        Wall-clock budget.
    n_jobs : int, default=1
        Julia threads; ``1`` runs serially (required for ``deterministic``).
    deterministic : bool, default=False
        Repeatable search (forces serial execution; needs ``random_state``).
    random_state : int or None, default=None
        Seed.
    selection : {"best", "accuracy", "simplest"}, default="best"
        Which expression of the front is chosen.
    validation_fraction : float in [0, 1), default=0.25
        Rows held out of the search; the front is scored and the chosen law pruned on them.
    prune_tolerance : float, default=1e-3
        Largest loss of R² on the held-out rows for which an additive term of the chosen
        expression is removed (constants refitted); ``0`` keeps every term.
    """

    _parameter_constraints = {
        **SymbolicBackend._parameter_constraints,
        "binary_operators": ["array-like"],
        "unary_operators": ["array-like"],
        "niterations": [Interval(Integral, 1, None, closed="left")],
        "populations": [Interval(Integral, 1, None, closed="left")],
        "maxsize": [Interval(Integral, 3, None, closed="left")],
        "timeout_in_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "deterministic": ["boolean"],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
        "selection": [StrOptions({"best", "accuracy", "simplest"})],
    }

    def __init__(self, *, binary_operators=("+", "-", "*", "/"), unary_operators=(),
                 niterations=40, populations=15, maxsize=30, timeout_in_seconds=None, n_jobs=1,
                 deterministic=False, random_state=None, selection="best",
                 validation_fraction=0.25, prune_tolerance=1e-3):
        self.binary_operators = binary_operators
        self.unary_operators = unary_operators
        self.niterations = niterations
        self.populations = populations
        self.maxsize = maxsize
        self.timeout_in_seconds = timeout_in_seconds
        self.n_jobs = n_jobs
        self.deterministic = deterministic
        self.random_state = random_state
        self.selection = selection
        self.validation_fraction = validation_fraction
        self.prune_tolerance = prune_tolerance

    def _pysr_params(self):
        """Keyword arguments of ``pysr.PySRRegressor`` for these settings."""
        if self.deterministic and self.random_state is None:
            raise ValueError("deterministic=True needs an integer random_state.")
        for option, allowed, name in ((self.binary_operators, BINARY, "binary_operators"),
                                      (self.unary_operators, UNARY, "unary_operators")):
            if isinstance(option, str):
                raise ValueError(f"{name} must be a list of operator names; got the string "
                                 f"{option!r}.")
            for op in option:
                check_option(op, sorted(allowed), name)
        serial = self.deterministic or self.n_jobs == 1
        params = {
            "binary_operators": list(self.binary_operators),
            "unary_operators": list(self.unary_operators),
            "niterations": self.niterations,
            "populations": self.populations,
            "maxsize": self.maxsize,
            "model_selection": "accuracy" if self.selection == "accuracy" else "best",
            "parallelism": "serial" if serial else "multithreading",
            "deterministic": self.deterministic,
            "random_state": self.random_state,
            "progress": False,
            "verbosity": 0,
        }
        if self.timeout_in_seconds is not None:
            params["timeout_in_seconds"] = self.timeout_in_seconds
        return params

    @staticmethod
    def _front_rows(equations, feature_names):
        """Rows ``(complexity, loss, sympy)`` from PySR's ``equations_`` table."""
        import sympy

        symbols = {sympy.Symbol(n) for n in feature_names}
        rows = []
        for _, row in equations.iterrows():
            expr = sympy.sympify(row["sympy_format"])
            names = {s.name: s for s in symbols}
            expr = expr.xreplace({s: names.get(s.name, s) for s in expr.free_symbols})
            rows.append((int(row["complexity"]), float(row["loss"]), expr))
        return rows

    def _search(self, X, y, feature_names):
        pysr = import_pysr()
        model = pysr.PySRRegressor(**self._pysr_params())
        safe = [f"v{k}" for k in range(len(feature_names))]  # PySR restricts variable names
        model.fit(X, y, variable_names=safe)
        import sympy

        rename = {sympy.Symbol(s): sympy.Symbol(n) for s, n in zip(safe, feature_names)}
        return [(c, loss, e.xreplace(rename))
                for c, loss, e in self._front_rows(model.equations_, safe)]
