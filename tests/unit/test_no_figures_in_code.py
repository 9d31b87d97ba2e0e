"""Measured figures live in one place (docs/performance.md, benchmarks/results/, the run
notes in benchmarks/NOTES.md), not in signalhooks' comments and docstrings, where they go
stale unseen. Comments keep the *why*; this test finds a number with a unit of timing
(us, ms, s), a rate (req/s, deliveries/s, /s), a ratio (1.5x), a percentage or an
approximation (~40) in any comment or docstring of the package."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import signalhooks

PACKAGE = Path(signalhooks.__file__).resolve().parent

#: A number starts after no digit, letter or separator (so "17 us" is not also "7 us").
_N = r"(?<![\w.,])\d(?:[\d,.]*\d)?"
FIGURE = re.compile(
    rf"""
    {_N}\s*(?:us|µs|ms|s|sec|seconds?)\b          # a time: 45 ms, 0.1 s, 17 us
    | {_N}\s*(?:-\s*\d(?:[\d,.]*\d)?\s*)?x\b       # a ratio: 1.5x, 15-20x
    | {_N}\s*%                                  # a percentage: 40 %, 10%
    | ~\s*\d                                    # an approximation: ~100
    | {_N}\s*(?:\w+\s*)?/\s*s\b                  # a rate: 1,700/s, 400 deliveries/s
    | {_N}\s+\w+\s+per\s+second                  # 300 requests per second
    """,
    re.X | re.I,
)


def texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment and docstring of one module."""
    source = path.read_text()
    found = [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        documented = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        if isinstance(node, documented) and node.body and isinstance(node.body[0], ast.Expr):
            value = node.body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.append((node.body[0].lineno, value.value))
    return found


def test_the_pattern_finds_figures_and_leaves_other_numbers_alone():
    figures = ["~45 % of the time", "took 17 us", "0.1 s", "1.06-1.16x", "325-400 deliveries/s"]
    figures += ["~1,700/s", "went from 65.8 to 65.3 ms", "15-20x the throughput", "+-10%"]
    assert all(FIGURE.search(text) for text in figures)
    others = ["RFC 7230", "HTTP 503", "256 KiB", "Python 3.11", "a 410 Gone", "E001-E004"]
    others += ["Django 5.x", "sha256", "v1,", "0xFF", "x1 x2"]
    others += ["10 entries per batch", "encode/httpcore#1035", "max(rate, 1)", "2 cores"]
    assert not any(FIGURE.search(text) for text in others)


def test_no_measured_figure_in_comments_or_docstrings():
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line + text[: match.start()].count(chr(10))}: "
        f"{match[0]!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        for line, text in texts(path)
        for match in FIGURE.finditer(text)
    ]
    assert not found, "measured figures belong in docs/performance.md:\n" + "\n".join(found)
