"""The event types the portal offers and shows, read from :mod:`signalhooks.catalog`."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["event_type_json", "event_types", "webhooks"]


def _catalog() -> Any:
    return importlib.import_module("signalhooks.catalog")


def event_types() -> list[Any]:
    """Every event type the project delivers to endpoints (``name``, ``description``,
    ``schema``, ``example``), by name."""
    return sorted(_catalog().event_types(), key=lambda event_type: event_type.name)


def webhooks() -> dict[str, Any]:
    """The OpenAPI ``webhooks`` section: one request body per event type."""
    return dict(_catalog().webhooks())


def event_type_json(event_type: Any) -> dict[str, Any]:
    return {
        "name": event_type.name,
        "description": event_type.description,
        "schema": event_type.schema,
        "example": event_type.example,
    }
