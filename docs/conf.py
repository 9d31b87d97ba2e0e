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


def _join_wrapped_terms(app, what, name, obj, options, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Join a definition-list term that wraps onto further lines in a docstring.

    reStructuredText wants a term on one line. A docstring whose term (an option name
    and its default) wraps before its indented definition is otherwise an "Unexpected
    indentation" error, which ``-W`` turns into a failed build. Only such lines are
    joined: a paragraph directly followed by an indented line is always that error.
    """

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip())

    i = 0
    while i < len(lines):
        first = lines[i]
        starts = first.strip() and (
            i == 0 or not lines[i - 1].strip() or indent(lines[i - 1]) > indent(first)
        )
        end = i + 1
        while starts and end < len(lines) and lines[end].strip():
            if indent(lines[end]) != indent(first):
                break
            end += 1
        wraps = end - i > 1 and end < len(lines) and indent(lines[end]) > indent(first)
        if starts and wraps:
            joined = " ".join(line.strip() for line in lines[i:end])
            lines[i:end] = [" " * indent(first) + joined]
        i += 1


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("autodoc-process-docstring", _join_wrapped_terms)
