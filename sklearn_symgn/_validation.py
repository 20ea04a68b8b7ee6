"""The project's one validation idiom: scikit-learn's parameter constraints, plus two additions.

* Estimators and parts declare ``_parameter_constraints`` and inherit :class:`ValidatedMixin`;
  public functions are decorated with :func:`validate_params`. Both run scikit-learn's checks,
  whose errors name the argument, the accepted forms and the value received.
* Before that, a misspelt option string gets a "did you mean" (:func:`check_string_options`),
  and integers are integers: :class:`Int` rejects ``True``/``False`` and floats, which
  scikit-learn's ``Interval(Integral, ...)`` lets through as bools.
"""

import functools
import inspect
import os
import warnings
from difflib import get_close_matches
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils._param_validation import validate_params as _sklearn_validate_params

__all__ = [
    "Int", "N_JOBS", "ValidatedMixin", "available_cores", "check_columns",
    "check_finite_equations", "check_option", "check_string_options", "resolve_n_jobs",
    "validate_params",
]


class Int(Interval):
    """``Interval(Integral, low, high)`` (both ends included) that rejects bools.

    Examples
    --------
    >>> from sklearn_symgn._validation import Int
    >>> Int(1).is_satisfied_by(2), Int(1).is_satisfied_by(True), Int(1).is_satisfied_by(2.0)
    (True, False, False)
    """

    def __init__(self, low, high=None):
        super().__init__(Integral, low, high, closed="both" if high is not None else "left")

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)

    def __str__(self):
        return super().__str__().replace("an int", "an int (not a bool)")


#: Constraint of a thread-count parameter: a positive int, or ``-1``/``None`` for every core.
N_JOBS = [Int(1), Options(Integral, {-1}), None]


def available_cores():
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_n_jobs(n_jobs, owner):
    """Threads for a validated ``n_jobs`` (see :data:`N_JOBS`): ``None``/``-1`` mean every core
    this process may use; more than that is capped there, with a warning (a thousand threads
    on two cores starve the machine and finish no sooner).

    Examples
    --------
    >>> from sklearn_symgn._validation import available_cores, resolve_n_jobs
    >>> resolve_n_jobs(None, "backend") == available_cores() and resolve_n_jobs(1, "backend")
    1
    """
    available = available_cores()
    if n_jobs is None or n_jobs == -1:
        return available
    if n_jobs > available:
        warnings.warn(f"{owner}: n_jobs={n_jobs} is more than the {available} cores this process "
                      f"may use; using {available}.", RuntimeWarning, stacklevel=3)
        return available
    return int(n_jobs)


def check_distances(r, name="r"):
    """Raise ``ValueError`` naming ``name`` unless every distance is finite and >= 0."""
    values = np.asarray(r.detach().cpu() if hasattr(r, "detach") else r, dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        raise ValueError(f"{name} must hold finite distances >= 0; got {int(bad.sum())} other "
                         f"value(s), e.g. {values[bad].flat[0]!r}.")


def total_memory():
    """Physical memory of the machine in bytes, or ``None`` where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(n_bytes, what):
    """Raise ``ValueError`` when an array of ``n_bytes`` would not fit in the machine's memory
    (a clear message before numpy's allocation fails or the machine swaps)."""
    total = total_memory()
    if total is not None and n_bytes > total:
        raise ValueError(f"{what} would take {n_bytes / 2**30:.3g} GiB, more than this "
                         f"machine's {total / 2**30:.3g} GiB of memory; ask for less.")


def check_finite_equations(pred, what="The equations"):
    """Raise ``ValueError`` when distilled equations gave non-finite node predictions.

    A law such as ``1/r**2`` is singular where two nodes coincide (``r = 0``); returning NaN
    there would pass silently into a user's analysis.
    """
    bad = ~np.all(np.isfinite(pred), axis=-1) if pred.ndim > 1 else ~np.isfinite(pred)
    if np.any(bad):
        raise ValueError(
            f"{what} are not finite on {int(bad.sum())} of {len(bad)} nodes of X: the law is "
            "singular there (for example two nodes at the same position, r = 0, in a law with "
            "1/r). Leave such graphs out, or check their positions."
        )


def _suggestion(value, options):
    close = get_close_matches(str(value).lower(), [str(o) for o in options], n=1, cutoff=0.5)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_option(value, options, name):
    """Return ``value`` if it is one of ``options``, else raise naming ``name``.

    Parameters
    ----------
    value : object
        The argument as the user passed it.
    options : iterable of str
        The accepted strings.
    name : str
        The argument's name, used in the message.

    Returns
    -------
    value : str

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` (and ``TypeError``) if ``value`` is not one of ``options``; for a
        string, the message suggests the closest option.

    Examples
    --------
    >>> from sklearn_symgn._validation import check_option
    >>> check_option("l1", ["l1", "kl"], "regularization")
    'l1'
    """
    options = sorted(options)
    if not isinstance(value, str) or value not in options:
        hint = _suggestion(value, options) if isinstance(value, str) else ""
        raise InvalidParameterError(
            f"{name} must be a str among {options}; got {type(value).__name__} {value!r}.{hint}"
        )
    return value


def check_string_options(arguments, constraints, owner):
    """Raise with a "did you mean" for a string that no option set of its constraints accepts.

    Only arguments whose constraints include :class:`StrOptions` and whose value is a string
    are checked here; everything else is left to scikit-learn's validation, which runs next.

    Parameters
    ----------
    arguments : dict
        Argument name to value.
    constraints : dict
        Argument name to a list of scikit-learn constraints.
    owner : str
        The estimator's or function's name, used in the message.
    """
    for name, value in arguments.items():
        options = [c for c in constraints.get(name, ()) if isinstance(c, StrOptions)]
        if not options or not isinstance(value, str):
            continue
        valid = set().union(*(c.options for c in options))
        if value not in valid:
            raise InvalidParameterError(
                f"The {name!r} parameter of {owner} must be one of {sorted(valid)}; got "
                f"{value!r}.{_suggestion(value, valid)}"
            )


class ValidatedMixin:
    """Adds the "did you mean" check to an estimator's ``_validate_params``, and the defaults
    of parameters an old pickle lacks.

    List it before ``BaseEstimator``; ``_fit_context`` and explicit calls of
    ``_validate_params`` both go through it.
    """

    def _validate_params(self):
        check_string_options(
            self.get_params(deep=False), self._parameter_constraints, type(self).__name__
        )
        super()._validate_params()

    def __setstate__(self, state):
        """Unpickle; an object pickled before a parameter existed gets that parameter's
        default (so it works as it did, instead of failing on the missing attribute)."""
        signature = inspect.signature(type(self).__init__).parameters.values()
        defaults = {p.name: p.default for p in signature if p.default is not p.empty}
        super().__setstate__({**defaults, **state})


def validate_params(constraints):
    """scikit-learn's ``validate_params`` for a public function, with the "did you mean".

    Nested calls are validated too (the library's functions call each other with arguments that
    came from the user).

    Parameters
    ----------
    constraints : dict
        Argument name to a list of constraints, for every argument of the function.
    """

    def decorator(func):
        validated = _sklearn_validate_params(constraints, prefer_skip_nested_validation=False)(
            func
        )
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # Python's own message for a wrong call
            check_string_options(bound.arguments, constraints, func.__qualname__)
            return validated(*args, **kwargs)

        return wrapper

    return decorator


def check_columns(columns, n_features, name, feature_names=None):
    """Resolve a column parameter: indices (ints, not floats or bools) or feature names.

    Parameters
    ----------
    columns : int, str or sequence of int or str
        The parameter as the user gave it.
    n_features : int
        Number of columns.
    name : str
        The parameter's name, used in the message.
    feature_names : list of str, default=None
        Names that may stand for columns.

    Returns
    -------
    list of int
        Distinct column indices in ``[0, n_features)``.

    Examples
    --------
    >>> from sklearn_symgn._validation import check_columns
    >>> check_columns(["x", 1], 3, "position_columns", ["x", "y", "m"])
    [0, 1]
    """
    values = [columns] if isinstance(columns, (str, Integral)) else list(columns)
    names = list(feature_names) if feature_names is not None else []
    out = []
    for value in values:
        if isinstance(value, str) and value in names:
            out.append(names.index(value))
        elif isinstance(value, Integral) and not isinstance(value, bool) \
                and 0 <= value < n_features:
            out.append(int(value))
        else:
            known = f" or one of the feature names {names}" if names else ""
            raise InvalidParameterError(
                f"{name} must hold distinct column indices (ints in [0, {n_features})){known}; "
                f"got {value!r} in {columns!r}."
            )
    if len(set(out)) != len(out):
        raise InvalidParameterError(f"{name} must hold distinct columns; got {columns!r}.")
    return out
