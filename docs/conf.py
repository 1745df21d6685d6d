"""Sphinx configuration of the skweight documentation.

Build (executes the examples gallery; warnings are errors)::

    tox -e docs
    # or, in an environment with the "docs" and "tensorflow-cpu" extras:
    sphinx-build -W --keep-going -b html docs docs/_build/html

Offline builds pass: intersphinx falls back to local inventories when the
published ones cannot be downloaded (see ``_ext/inventories.py``), and formulas
are rendered to MathML at build time (see ``_ext/mathml.py``), so the pages need
no network to read either. ``SKWEIGHT_DOCS_OFFLINE=1`` skips the inventory
downloads.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))  # document (and run the examples of) this checkout

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from api_listing import write_api_pages  # noqa: E402
from inventories import intersphinx_mapping as _intersphinx_mapping  # noqa: E402

import skweight  # noqa: E402

# -- Project ----------------------------------------------------------------------
project = "skweight"
author = "the skweight developers"
copyright = "the skweight developers"
release = skweight.__version__
version = release

# -- General ----------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "mathml",
]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"
# Dashes and ellipses only: quote conversion turns the ``default="auto"`` of
# numpydoc parameter types into a closing quote on both sides.
smartquotes_action = "De"
add_module_names = False
# "fit()", not "WeightedKerasClassifier.fit()", in the "On this page" sidebar.
toc_object_entries_show_parents = "hide"
html_math_renderer = "mathml"

# API pages are written by api_listing (the names public at build time), so
# autosummary only draws the tables and must not generate pages of its own.
autosummary_generate = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Intersphinx ------------------------------------------------------------------
# Published inventories first, local fallbacks second (Keras: local only).
intersphinx_mapping = _intersphinx_mapping(DOCS / "_build" / "intersphinx")
intersphinx_timeout = 10

# -- Examples gallery -------------------------------------------------------------
# The gallery is built from the scripts of examples/, every one executed
# (quickstart.py and the plot_*.py scripts). sphinx-gallery wants a header file
# next to them; it is kept in docs/gallery_header.txt, and the scripts are copied
# with it into docs/_build/gallery_src, from which the gallery is built.
GALLERY_SRC = DOCS / "_build" / "gallery_src"


def _stage_gallery():
    files = {path.name: path.read_bytes() for path in (ROOT / "examples").glob("*.py")}
    files["GALLERY_HEADER.rst"] = (DOCS / "gallery_header.txt").read_bytes()
    GALLERY_SRC.mkdir(parents=True, exist_ok=True)
    for path in GALLERY_SRC.iterdir():
        if path.is_file() and path.name not in files:
            path.unlink()
    for name, data in files.items():
        path = GALLERY_SRC / name
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)


_stage_gallery()
sphinx_gallery_conf = {
    "examples_dirs": os.path.relpath(GALLERY_SRC, DOCS),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/(plot_\w+|quickstart)\.py$",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "doc_module": ("skweight",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
}

# -- HTML -------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skweight {release}"
html_static_path = ["_static"]
html_css_files = ["skweight.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": {
        "**": ["page-toc"],
        "migration": [],
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# Pages without subpages: no left sidebar, which would only hold an empty
# "Section Navigation", and the article gets its width.
html_sidebars = {
    "index": [],
    "getting_started": [],
    "user_guide": [],
    "own_network": [],
    "probabilities": [],
    "row_costs": [],
    "reliability": [],
    "saving": [],
    "migration": [],
    "changelog": [],
}


def _write_api_pages(app):
    write_api_pages(app.srcdir)


def setup(app):
    app.connect("builder-inited", _write_api_pages)
