"""The documentation site builds with warnings as errors and has its API, guide and gallery pages.

Runs the README's command (``sphinx-build -W -b html docs ...``) into a temporary folder; about
35 s on 2 cores, most of it the gallery running every example with ``--quick``. Skipped where the
``docs`` extra is not installed.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS_EXTRA = ("sphinx", "numpydoc", "sphinx_gallery", "myst_parser", "furo", "matplotlib",
              "sphinx-mathjax-offline")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in DOCS_EXTRA:
        pytest.importorskip(module, reason='the docs extra is not installed: pip install -e ".[docs]"')
    tmp = tmp_path_factory.mktemp("docs")
    out = tmp / "html"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         "-d", str(tmp / "doctrees"), str(ROOT / "docs"), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return out


def test_api_reference_lists_every_public_name(site):
    import sklearn_symgn.datasets
    import sklearn_symgn.metrics

    api = (site / "api.html").read_text(encoding="utf-8")
    for module in (sklearn_symgn, sklearn_symgn.datasets, sklearn_symgn.metrics):
        for name in module.__all__:
            if not name.startswith("__"):
                assert name in api, f"{module.__name__}.{name} missing from the API page"
    page = site / "generated" / "sklearn_symgn.SymbolicGNRegressor.html"
    text = page.read_text(encoding="utf-8")
    assert "regularization" in text and "distill" in text


def test_math_renders_without_network(site):
    """MathJax is part of the site: pages load it from ``_static``, never from a CDN."""
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    page = (site / "user_guide" / "concepts.html").read_text(encoding="utf-8")  # has math
    assert "_static/mathjax/tex-chtml.js" in page
    for html in site.rglob("*.html"):
        assert "cdn.jsdelivr.net/npm/mathjax" not in html.read_text(encoding="utf-8"), html


def test_user_guide_pages(site):
    for page in ("index", "concepts", "strategies", "equations", "ood", "own_data", "scaling"):
        assert (site / "user_guide" / f"{page}.html").is_file(), page
    assert (site / "benchmarks.html").is_file()


def test_gallery_has_every_example_with_figures(site):
    gallery = site / "auto_examples"
    assert (gallery / "index.html").is_file()
    for example in sorted((ROOT / "examples").glob("*.py")):
        assert (gallery / f"{example.stem}.html").is_file(), example.name
    quickstart = (gallery / "quickstart.html").read_text(encoding="utf-8")
    figures = re.findall(r'<img[^>]+src="([^"]+\.png)"', quickstart)
    assert figures, "the quickstart page shows no figure"
    assert all((gallery / src).resolve().is_file() for src in figures)
    assert "R²" in quickstart  # its printed output is on the page
