"""One event type of the catalog, as generated from the models or declared in code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .schemas import EXAMPLE_TIMESTAMP

__all__ = ["EventType", "standard_body"]


@dataclass(frozen=True)
class EventType:
    """One event type of the catalog.

    ``schema`` is the JSON Schema (draft 2020-12) of the body's ``data``; ``example``
    is a whole "standard" body, ``{"type", "timestamp", "data"}``.
    """

    name: str
    description: str
    schema: dict[str, Any]
    example: dict[str, Any]


def standard_body(name: str, data: Any) -> dict[str, Any]:
    """An example body of event type ``name`` carrying ``data``."""
    return {"type": name, "timestamp": EXAMPLE_TIMESTAMP, "data": data}
