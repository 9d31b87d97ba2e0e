"""Event-type patterns: ``shop.Order:*``, ``shop.*``, ``*:deleted``, ``shop.order_paid``.

``*`` matches any run of characters, dots and colons included; every other character
matches itself, ignoring case (Django's model labels are case-insensitive:
``shop.order:*`` is ``shop.Order:*``). A pattern is 1 to 255 letters, digits and
``_ . : - / *``. An endpoint with no patterns receives every event.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

__all__ = ["Matcher", "compile_patterns", "pattern_problem", "pattern_regex"]

#: ``matcher(event_name)`` is true when one of the endpoint's patterns matches.
Matcher = Callable[[str], object]

_PATTERN = re.compile(r"[A-Za-z0-9_.:/*-]{1,255}")


def pattern_problem(pattern: object) -> str | None:
    """Why ``pattern`` is not a valid event-type pattern, or ``None``."""
    if not isinstance(pattern, str):
        return f"{pattern!r} is not a string"
    if not _PATTERN.fullmatch(pattern):
        return (
            f"{pattern!r} is not an event-type pattern: use 1 to 255 letters, digits and "
            '"_ . : - / *", e.g. "shop.Order:*" or "shop.*"'
        )
    return None


def pattern_regex(pattern: str) -> str:
    """The pattern as a regular expression anchored at both ends (for ``__iregex`` too).

    Only ``.`` needs escaping among the allowed characters, which keeps the expression
    valid in Python and in the databases' regex dialects alike.
    """
    return "^" + ".*".join(part.replace(".", r"\.") for part in pattern.split("*")) + "$"


@functools.lru_cache(maxsize=4096)
def _compiled(patterns: tuple[str, ...]) -> Matcher:
    joined = "|".join(f"(?:{pattern_regex(p)})" for p in patterns)
    return re.compile(joined, re.IGNORECASE).match


def compile_patterns(patterns: Sequence[str]) -> Matcher | None:
    """A matcher for ``patterns``; ``None`` when the list is empty (every event matches).

    Endpoints with the same patterns share one compiled expression.
    """
    if not patterns:
        return None
    return _compiled(tuple(sorted(set(patterns))))
