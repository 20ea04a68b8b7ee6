"""The package's shape: short functions, no reaching into private state, one home per concept."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_symgn"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _trees():
    return [(path, ast.parse(path.read_text())) for path in SOURCES]


def _code_lines(node):
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def test_no_function_longer_than_60_lines():
    long = [
        f"{path.relative_to(PACKAGE)}:{node.name} ({_code_lines(node)} lines)"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node) > 60
    ]
    assert not long, long


def _private_attribute_uses(tree):
    """``<expr>._name`` on anything but ``self``/``cls`` itself (``self.net_._x`` counts; dunders
    allowed; ``Base._parameter_constraints`` is scikit-learn's idiom for siblings)."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and (owner.id in ("self", "cls") or owner.id[0].isupper()):
            continue
        if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super":
            continue
        yield node.lineno, f"{ast.unparse(owner)}.{node.attr}"


def test_no_access_to_another_objects_private_attributes():
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text}"
        for path, tree in _trees()
        for line, text in _private_attribute_uses(tree)
    ]
    assert not found, found
    # the patterns of the issue, as plain text too (e.g. in f-strings or comments of code)
    pattern = re.compile(r"\b(estimator|model|module|net)\._[a-z]")
    assert not [p for p in SOURCES if pattern.search(p.read_text())]


def _subpackage(module_parts):
    """The subpackage a module belongs to: ``('distillation',)`` or ``()`` for the top level."""
    return tuple(module_parts[:-1])


def _imported_private_modules(path, tree):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = list(parts[:len(parts) - node.level])
        target = base + (node.module.split(".") if node.module else [])
        names = [target + [alias.name] for alias in node.names] if not node.module else [target]
        for name in names:
            for depth, part in enumerate(name):
                # a private module of a subpackage, imported from outside that subpackage
                if part.startswith("_") and depth > 0 and \
                        tuple(name[:depth]) != _subpackage(parts)[:depth]:
                    yield node.lineno, ".".join(name)


def test_no_private_module_imported_across_subpackages():
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {name}"
        for path, tree in _trees()
        for line, name in _imported_private_modules(path, tree)
    ]
    assert not found, found


FORM_AND_STRATEGY = re.compile(
    r"\.dense\b|\.tabular\b|isinstance\([^)]*(DenseGraphs|GraphList)\b|regularization ==|"
    r"== \"(l1|kl|bottleneck|standard)\"|\"(l1|kl)\" ==|isinstance\(X, \(list, tuple\)\)"
)


@pytest.mark.parametrize("path", [p for p in SOURCES
                                  if p.parent.name not in ("graphs", "models")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_input_form_and_strategy_are_tested_only_in_graphs_and_models(path):
    hits = [line for line in path.read_text().splitlines() if FORM_AND_STRATEGY.search(line)]
    assert not hits, hits


def test_the_checks_can_fail(tmp_path):
    """Each check finds what it is meant to find in a planted example."""
    code = "def f(estimator):\n    return estimator._state\n"
    assert list(_private_attribute_uses(ast.parse(code)))
    assert list(_private_attribute_uses(ast.parse("self.net_._x")))
    assert not list(_private_attribute_uses(ast.parse("self._x, Base._parameter_constraints")))
    planted = PACKAGE / "metrics.py"
    tree = ast.parse("from .datasets._nbody import make_nbody\n")
    assert list(_imported_private_modules(planted, tree))
    inside = PACKAGE / "datasets" / "__init__.py"
    assert not list(_imported_private_modules(inside, ast.parse("from ._nbody import x\n")))
    assert FORM_AND_STRATEGY.search('if self.regularization == "kl":')
    long = ast.parse("def g():\n" + "    x = 1\n" * 61).body[0]
    assert _code_lines(long) == 61


def test_tests_write_no_files_to_the_system_temp_directory():
    """The conftest moves every temporary file of the tests (and of their subprocesses) into
    the checkout's ``.pytest-scratch``."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    checkout = Path(__file__).resolve().parents[1]
    assert Path(tempfile.gettempdir()).resolve().parent == checkout
    child = subprocess.run([sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
                           capture_output=True, text=True, check=True)
    assert Path(child.stdout.strip()).resolve().parent == checkout


def test_fitting_leaves_no_generated_code_in_the_temporary_directory(tmp_path):
    """PyG writes the code it generates for each layer class to the temporary directory (at
    construction and again when a model is unpickled); the layers remove it once loaded, so a
    user's fit, predict and loading leave nothing there."""
    import os
    import subprocess
    import sys

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code = (
        "import numpy as np\n"
        "from sklearn_symgn import SymbolicGNRegressor, SymbolicHGNRegressor\n"
        "from sklearn_symgn.datasets import make_nbody\n"
        "X, y = make_nbody('spring', n_samples=32, random_state=0)\n"
        "for cls in (SymbolicGNRegressor, SymbolicHGNRegressor):\n"
        "    cls(hidden_layer_sizes=(4,), max_epochs=1, random_state=0).fit(X, y).predict(X)\n"
    )
    fitted = tmp_path / "model.pkl"
    saver = code + f"import pickle; pickle.dump(cls(max_epochs=1).fit(X, y), open({str(fitted)!r}, 'wb'))\n"
    loader = f"import pickle; pickle.load(open({str(fitted)!r}, 'rb'))\n"
    env = {**os.environ, "TMPDIR": str(scratch), "OMP_NUM_THREADS": "1"}
    for script in (saver, loader):  # fitting, and unpickling in a fresh process
        subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True,
                       timeout=300)
    left = [p.name for p in scratch.iterdir() if p.name.startswith("sklearn_symgn")]
    assert not left, left
