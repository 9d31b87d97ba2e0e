"""Cursor pagination: each page continues after the last row of the one before.

A cursor is opaque to clients (URL-safe base64 of the last row's ordering values), so
a page costs one indexed range scan however deep it is, and rows added meanwhile do
not shift the pages. The rows come from an owner's scope; a forged cursor can only
move within it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

__all__ = ["InvalidCursor", "Page", "paginate"]

M = TypeVar("M", bound=Model)


class InvalidCursor(ValueError):
    """A ``cursor`` that no page of this list handed out."""


@dataclass(frozen=True)
class Page(Generic[M]):
    rows: list[M]
    #: The cursor of the next page (``None`` on the last one).
    next_cursor: str | None


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, kinds: Sequence[type]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error):
        raise InvalidCursor(cursor) from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise InvalidCursor(cursor)
    decoded: list[Any] = []
    for value, kind in zip(values, kinds, strict=True):
        if kind is datetime:
            value = parse_datetime(value) if isinstance(value, str) else None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidCursor(cursor)
        decoded.append(value)
    return decoded


def paginate(
    rows: QuerySet[M], ordering: Sequence[tuple[str, type]], cursor: str | None, size: int
) -> Page[M]:
    """One page of ``rows`` ordered by ``ordering`` (``("-started_at", datetime)``...).

    The last field must be unique (the primary key), so that every row has one place.
    """
    names = [name for name, _ in ordering]
    rows = rows.order_by(*names)
    if cursor:
        values = _decode(cursor, [kind for _, kind in ordering])
        rows = rows.filter(_after(names, values))
    found = list(rows[: size + 1])
    more = len(found) > size
    found = found[:size]
    if not more or not found:
        return Page(found, None)
    last = found[-1]
    return Page(found, _encode([getattr(last, name.lstrip("-")) for name in names]))


def _after(names: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows after ``values`` in this ordering: (a > x) or (a = x and b > y) ..."""
    branches = []
    for i, name in enumerate(names):
        field = name.lstrip("-")
        op = "lt" if name.startswith("-") else "gt"
        equal = {names[j].lstrip("-"): values[j] for j in range(i)}
        branches.append(Q(**equal, **{f"{field}__{op}": values[i]}))
    return reduce(or_, branches)
