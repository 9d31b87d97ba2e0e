"""Sphinx configuration: Furo theme, MyST Markdown pages, autodoc for the API page.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS)]

# autodoc imports signalhooks, which imports Django models: set Django up first.
os.environ["DJANGO_SETTINGS_MODULE"] = "docs_settings"
import django  # noqa: E402

django.setup()

import signalhooks  # noqa: E402

project = "signalhooks"
author = "signalhooks contributors"
copyright = "signalhooks contributors"
release = signalhooks.__version__
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": False}

html_theme = "furo"
html_title = f"signalhooks {release}"

# The pytest plugin's fixtures are documented without pytest: the docs extra does not
# install it, and the docs build must work from ``pip install ".[docs]"`` alone.
autodoc_mock_imports = ["pytest"]
