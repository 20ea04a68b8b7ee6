"""Callables of the sphinx-gallery configuration, named by string in ``conf.py``."""

import ast
from pathlib import Path


def reset_argv(gallery_conf, script_vars):
    """Run every example in its quick mode (tiny sizes, seconds), as the script it is.

    sphinx-gallery blanks ``__doc__`` and leaves ``__file__`` unset in the example's namespace;
    the examples are scripts that may read both (e.g. ``argparse`` descriptions), so both are
    restored before the example runs.
    """
    example_globals = script_vars.get("example_globals")
    source = script_vars.get("src_file")
    if example_globals is not None and source:
        text = Path(source).read_text(encoding="utf-8")
        example_globals["__doc__"] = ast.get_docstring(ast.parse(text), clean=False)
        example_globals["__file__"] = str(source)
    return ["--quick"]
