"""The Examples sections of the public docstrings run and print what they show."""

import doctest
import importlib
import pkgutil

import pytest

import sklearn_symgn

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(sklearn_symgn.__path__, "sklearn_symgn.")
    if m.name != "sklearn_symgn.symbolic.pysr"  # needs Julia
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
