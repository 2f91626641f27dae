"""Sphinx configuration of the ipscsim documentation site.

Build (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The notebooks of ``notebooks/`` are copied into ``docs/notebooks/`` (generated, git-ignored) when the
build starts and executed by myst-nb, so a docs build is also the check that every notebook runs.
Why Sphinx and myst-nb: see ``about-docs.md``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ipscsim

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
NOTEBOOKS_SRC = ROOT / "notebooks"
NOTEBOOKS_DST = DOCS / "notebooks"  # generated at build start; in .gitignore
BENCHMARK_RESULTS = ROOT / "benchmarks" / "RESULTS.md"

# -- project ---------------------------------------------------------------------------------------

project = "ipscsim"
author = "ipscsim developers"
copyright = "2026, ipscsim developers"
release = ipscsim.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_nb",  # Markdown (MyST) pages and executed Jupyter notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",  # Google-style docstrings
    "sphinx.ext.mathjax",
]

exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "notebooks/.ipynb_checkpoints",
    "validation/*",  # the validation report's figures (shown by validation.md), not pages
]
templates_path = ["_templates"]

# -- MyST ------------------------------------------------------------------------------------------

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
# GitHub-style anchors for headings down to ###, so that `page.md#section` links work both on GitHub
# and here.
myst_heading_anchors = 3
myst_dmath_double_inline = True  # model.md writes display maths as $$...$$ inside paragraphs

# -- notebooks (myst-nb) ---------------------------------------------------------------------------

# "force": execute every notebook on every build, so that a build checks the notebooks against the
# current code (myst-nb's "cache" mode keys its cache on the notebook alone and would keep outputs of
# older code). For a quick local build: -D nb_execution_mode=off (no outputs) or =cache.
nb_execution_mode = "force"
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_timeout = 600  # seconds per cell
nb_execution_show_tb = True  # the traceback in the build log
nb_merge_streams = True
# Notebooks may carry any kernel name of their author's machine; run them with this Python's kernel.
nb_kernel_rgx_aliases = {".*": "python3"}

# -- autodoc ---------------------------------------------------------------------------------------

autosummary_generate = True  # a page per api.md entry, into docs/generated/ (git-ignored)
autosummary_imported_members = False
autosummary_ignore_module_all = False  # a module's page lists what its __all__ exports
# Names a module exports that have a page of their own in api.md (not documented twice).
autosummary_context = {"documented_elsewhere": {"ipscsim.protocols": ["Protocol"]}}
autodoc_default_options = {"show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

# No intersphinx: the build must not need the network (CI runs offline).

# -- HTML ------------------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"ipscsim {release}"
html_static_path: list[str] = []
html_show_sourcelink = False

# -- warnings --------------------------------------------------------------------------------------

# The docs build runs with -W (warnings are errors); nothing is suppressed by default. Add a category
# here only with a comment saying why it cannot be fixed at its source.
suppress_warnings: list[str] = []


# -- build-time hooks ------------------------------------------------------------------------------


def _site_notebook(src: Path) -> bytes:
    """A notebook's bytes as the site needs them.

    Links written for GitHub (``../docs/page.md`` from ``notebooks/``) must point to the same page
    from ``docs/notebooks/``; other files are copied unchanged.
    """
    data = src.read_bytes()
    if src.suffix != ".ipynb":
        return data
    nb = json.loads(data)
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        new = text.replace("](../docs/", "](../")
        if new != text:
            cell["source"], changed = new, True
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode() if changed else data


def copy_notebooks() -> list[Path]:
    """Mirror ``notebooks/`` (the notebooks and any data files next to them) into ``docs/notebooks/``.

    Files are written only when they changed (so incremental builds stay incremental) and notebooks
    that no longer exist in ``notebooks/`` are removed.
    """
    NOTEBOOKS_DST.mkdir(exist_ok=True)
    wanted: dict[str, Path] = {}
    if NOTEBOOKS_SRC.is_dir():
        for src in sorted(NOTEBOOKS_SRC.iterdir()):
            if src.is_file() and not src.name.startswith("."):
                wanted[src.name] = src
    for old in NOTEBOOKS_DST.iterdir():
        if old.is_file() and old.name not in wanted:
            old.unlink()
    for name, src in wanted.items():
        dst = NOTEBOOKS_DST / name
        data = _site_notebook(src)
        if not dst.exists() or dst.read_bytes() != data:
            dst.write_bytes(data)
    return [NOTEBOOKS_DST / n for n in wanted if n.endswith(".ipynb")]


def include_benchmarks(app, docname: str, source: list[str]) -> None:
    """Say clearly that benchmarks/RESULTS.md is missing, instead of a bare include error."""
    if docname != "benchmarks" or BENCHMARK_RESULTS.exists():
        return
    from sphinx.util import logging

    logging.getLogger(__name__).warning(
        "benchmarks/RESULTS.md does not exist: run the benchmarks and commit their RESULTS.md "
        "(docs/benchmarks.md includes it)",
        location=docname,
    )
    source[0] = source[0].split("```{include}")[0] + "*benchmarks/RESULTS.md is missing.*\n"


def setup(app):
    """Copy the notebooks before Sphinx reads the sources; include the benchmark results."""
    # autosummary rewrites its pages on every build; clearing them first means an entry removed from
    # api.md leaves no orphan page behind.
    shutil.rmtree(DOCS / "generated", ignore_errors=True)
    copy_notebooks()
    app.connect("source-read", include_benchmarks)
    return {"parallel_read_safe": True}
