"""Argument checks shared by the public entry points: option strings with a "did you mean".

scikit-learn's parameter validation names the parameter and lists the options; for a misspelt
option string these helpers also suggest the closest valid one.
"""

from difflib import get_close_matches

from sklearn.utils._param_validation import StrOptions

__all__ = ["check_option", "check_string_params"]


def _suggestion(value, options):
    close = get_close_matches(str(value).lower(), [str(o) for o in options], n=1, cutoff=0.5)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_option(value, options, name):
    """Return ``value`` if it is one of ``options``, else raise a ``ValueError`` naming ``name``.

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
    TypeError
        If ``value`` is not a string.
    ValueError
        If it is not one of ``options``; the message suggests the closest option.

    Examples
    --------
    >>> from sklearn_symgn._validation import check_option
    >>> check_option("l1", ["l1", "kl"], "regularization")
    'l1'
    """
    options = sorted(options)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str among {options}; got {type(value).__name__} {value!r}.")
    if value not in options:
        raise ValueError(
            f"{name} must be one of {options}; got {value!r}.{_suggestion(value, options)}"
        )
    return value


def check_string_params(estimator):
    """Check an estimator's option-string parameters with :func:`check_option`.

    Only parameters whose ``_parameter_constraints`` are all option sets (or ``None``) and whose
    value is a string are checked here; everything else is left to ``_validate_params``, which
    the caller runs next. The messages name the estimator and the parameter.
    """
    cls = type(estimator).__name__
    for name, constraints in getattr(estimator, "_parameter_constraints", {}).items():
        options = [c for c in constraints if isinstance(c, StrOptions)]
        value = getattr(estimator, name, None)
        if options and isinstance(value, str):
            valid = set().union(*(c.options for c in options))
            if value not in valid:
                raise ValueError(
                    f"The {name!r} parameter of {cls} must be one of {sorted(valid)}; got "
                    f"{value!r}.{_suggestion(value, valid)}"
                )
