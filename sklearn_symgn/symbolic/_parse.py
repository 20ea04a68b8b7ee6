"""Turn engines' infix strings into SymPy expressions."""

import re

import sympy
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

__all__ = ["parse_infix"]

_FUNCTIONS = {
    "abs": sympy.Abs, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
    "square": lambda a: a**2, "cube": lambda a: a**3, "cbrt": sympy.cbrt, "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh, "pow": sympy.Pow, "aq": lambda a, b: a / sympy.sqrt(1 + b**2),
    "floor": sympy.floor, "ceil": sympy.ceiling, "max": sympy.Max, "min": sympy.Min,
    "fmax": sympy.Max, "fmin": sympy.Min,
}


def parse_infix(text, feature_names, variable_pattern=r"X(\d+)", one_based=True):
    """Parse ``text`` whose variables look like ``X1, X2, ...`` into SymPy with real names.

    Variables are first renamed to safe placeholders (so feature names may be any string), then
    replaced by ``Symbol(feature_name)``.
    """
    offset = 1 if one_based else 0
    placeholders = {}

    def rename(match):
        k = int(match.group(1)) - offset
        key = f"_v{k}_"
        placeholders[key] = sympy.Symbol(feature_names[k])
        return key

    safe = re.sub(variable_pattern, rename, text)
    local = dict(_FUNCTIONS)
    local.update({k: sympy.Symbol(k) for k in placeholders})
    expr = parse_expr(safe, local_dict=local,
                      transformations=standard_transformations + (convert_xor,))
    return expr.xreplace({sympy.Symbol(k): v for k, v in placeholders.items()})
