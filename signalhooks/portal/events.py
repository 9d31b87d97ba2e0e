"""The event types the portal offers and shows, read from :mod:`signalhooks.catalog`."""

from __future__ import annotations

from typing import Any

from .. import catalog
from ..catalog import EventType

__all__ = ["event_type_json", "event_types", "webhooks"]


def event_types() -> list[EventType]:
    """Every event type the project delivers to endpoints, by name."""
    return catalog.event_types()


def webhooks() -> dict[str, Any]:
    """The OpenAPI ``webhooks`` section: one request body per event type."""
    return catalog.webhooks()


def event_type_json(event_type: EventType) -> dict[str, Any]:
    return {
        "name": event_type.name,
        "description": event_type.description,
        "schema": event_type.schema,
        "example": event_type.example,
    }
