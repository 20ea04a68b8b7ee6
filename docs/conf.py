"""Sphinx configuration of the sklearn-symgn documentation.

Build (from the repository root): ``sphinx-build -W -b html docs docs/_build/html``.

The API page lists every name in the ``__all__`` of the package's public modules, read at build
time (:func:`write_api_listing`), so modules and names added later appear without editing
``api.rst``; a module that cannot be imported is left out with a note in the build log.
The gallery runs every ``examples/*.py`` with ``--quick`` (:mod:`gallery_conf`).
"""

import importlib
import inspect
import os
import pkgutil
import re
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # the examples train small networks on a CPU

import sklearn_symgn  # noqa: E402

PACKAGE_DIR = Path(sklearn_symgn.__file__).resolve().parent
# numpydoc warns about PyG-style "Shapes" sections while scanning; they are rendered as a Notes
# paragraph (``_shapes_into_notes``)
warnings.filterwarnings("ignore", message="Unknown section Shapes", category=UserWarning)

project = "sklearn-symgn"
author = "the sklearn-symgn developers"
copyright = "2026, " + author
release = version = sklearn_symgn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from the site itself: math renders offline
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_api_listing.rst"]
suppress_warnings = ["config.cache"]  # sphinx_gallery_conf holds callables: rebuilt every time

html_theme = "furo"
html_title = f"sklearn-symgn {release}"
html_static_path = []

# ---------------------------------------------------------------------------- API reference
autosummary_generate = ["api.rst", "_api_listing.rst"]
autosummary_imported_members = True
autodoc_default_options = {
    "members": True,
    # document what our classes inherit from each other (GraphScoreMixin.score, the backends'
    # fit), not the members of scikit-learn, torch, PyG and skorch base classes
    "inherited-members": "BaseEstimator, RegressorMixin, Module, MessagePassing, NeuralNet, "
                         "Dataset",
}
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
#: structural checks that must pass (unknown or misplaced sections, documented parameters that do
#: not exist, types written as sentences); the stylistic ones are not enforced
numpydoc_validation_checks = {"GL06", "GL07", "PR02", "PR05"}

#: Public modules in reading order of the pipeline; any other public module (``rollout``,
#: ``hamiltonian``, ...) with an ``__all__`` is appended, each object documented once, under the
#: first module that exports it.
API_MODULES = [
    ("sklearn_symgn", "The estimator"),
    ("sklearn_symgn.hamiltonian", "Hamiltonian graph network"),
    ("sklearn_symgn.datasets", "Simulated data sets"),
    ("sklearn_symgn.graphs", "Graph builders"),
    ("sklearn_symgn.models", "Network modules"),
    ("sklearn_symgn.training", "Training through skorch"),
    ("sklearn_symgn.messages", "Message capture"),
    ("sklearn_symgn.symbolic", "Symbolic regression"),
    ("sklearn_symgn.distillation", "Distillation"),
    ("sklearn_symgn.metrics", "Metrics"),
    ("sklearn_symgn.rollout", "Rollouts"),
    ("sklearn_symgn.plotting", "Plotting"),
    ("sklearn_symgn.base", "Base classes"),
]


def _public_modules():
    """``API_MODULES``, then the package's other public top-level modules that have ``__all__``."""
    known = [name for name, _ in API_MODULES]
    extra = sorted(
        m.name for m in pkgutil.iter_modules(sklearn_symgn.__path__, "sklearn_symgn.")
        if not m.name.rsplit(".", 1)[-1].startswith("_") and m.name not in known
    )
    titles = dict(API_MODULES)
    for name in known + extra:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # absent or optional: documented once it imports
            print(f"[conf.py] API: {name} left out ({exc})")
            continue
        if hasattr(module, "__all__"):
            yield module, titles.get(name, name.rsplit(".", 1)[-1].capitalize())


def _template(obj):
    if inspect.isclass(obj):
        return "class.rst"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "function.rst"
    return None  # data: the default template


def write_api_listing(path=DOCS / "_api_listing.rst"):
    """Write the autosummary tables of every public module into ``path`` (included by api.rst)."""
    seen, lines = set(), []
    for module, title in _public_modules():
        entries = {}
        for name in module.__all__:
            if name.startswith("__"):
                continue
            obj = getattr(module, name, None)
            key = id(obj) if inspect.isclass(obj) or callable(obj) else (module.__name__, name)
            if obj is None or key in seen:
                continue
            seen.add(key)
            entries.setdefault(_template(obj), []).append(name)
        if not entries:
            continue
        heading = f"{title}: ``{module.__name__}``"
        lines += [heading, "-" * len(heading), "", f".. automodule:: {module.__name__}",
                  "   :no-members:", "   :no-index:", "", f".. currentmodule:: {module.__name__}",
                  ""]
        for template in ("class.rst", "function.rst", None):
            names = entries.get(template)
            if not names:
                continue
            lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:"]
            if template:
                lines.append(f"   :template: {template}")
            lines += [""] + [f"   {n}" for n in sorted(names, key=str.lower)] + [""]
    text = "\n".join(lines) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_api_listing()

# ----------------------------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # execute every example
    "ignore_pattern": r"(__init__|^_.*)\.py$",
    "reset_argv": "gallery_conf.reset_argv",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
}

# ------------------------------------------------------------------------ Markdown (MyST)
# ``benchmarks.md`` may show figures or link files under ``benchmarks/results/`` by relative path
# (``![...](../benchmarks/results/x.png)``): Sphinx copies them into ``_images``/``_downloads``.
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3


# ------------------------------------------------------------------------- docstring tweaks
def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document only our own members: not those that scikit-learn (metadata routing), PyG
    (generated ``propagate``) or torch attach to our classes."""
    if what != "class":
        return None
    target = obj.fget if isinstance(obj, property) else obj
    if not callable(target):
        return None
    source = getattr(sys.modules.get(getattr(target, "__module__", None)), "__file__", None)
    if source is None or not Path(source).resolve().is_relative_to(PACKAGE_DIR):
        return True  # PyG writes its generated methods to modules outside the package
    return None


def _shapes_into_notes(app, what, name, obj, options, lines):
    """Keep PyG-style ``Shapes`` sections (unknown to numpydoc) as a paragraph of Notes."""
    for k in range(len(lines) - 1):
        if lines[k].strip() == "Shapes" and set(lines[k + 1].strip()) == {"-"}:
            break
    else:
        return
    end = k + 2
    while end < len(lines) and not (
        end + 1 < len(lines) and lines[end].strip() and set(lines[end + 1].strip()) == {"-"}
    ):
        end += 1
    body = lines[k + 2 : end]
    del lines[k:end]
    block = ["**Shapes**", "", *body, ""]
    for n in range(len(lines) - 1):
        if lines[n].strip() == "Notes" and set(lines[n + 1].strip()) == {"-"}:
            lines[n + 2 : n + 2] = block
            return
    lines += ["", "Notes", "-----", *block]


def _title_untitled_examples(app, docname, source):
    """Give a gallery page a title when its example's docstring has none: the docstring's first
    line becomes the title (sphinx-gallery expects an underlined first line; a plain one-line
    summary is what a script's docstring usually starts with)."""
    if not docname.startswith(sphinx_gallery_conf["gallery_dirs"] + "/"):
        return
    label = re.search(r"^\.\. _sphx_glr_[^\n]+:\n\n", source[0], flags=re.MULTILINE)
    if label is None:
        return
    head, rest = source[0][: label.end()], source[0][label.end() :]
    first, _, after = rest.partition("\n")
    if first.strip() and not re.match(r"([=\-~^\"'`#*+:.])\1{2,}\s*$", after.partition("\n")[0]):
        source[0] = f"{head}{first}\n{'=' * len(first)}\n{after}"


def setup(app):
    app.connect("source-read", _title_untitled_examples)
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("autodoc-process-docstring", _shapes_into_notes, priority=400)  # before numpydoc
