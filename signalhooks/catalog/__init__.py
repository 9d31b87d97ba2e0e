"""The event catalog: every event type the project delivers to endpoints, with schemas.

This is the contract you give your customers. :func:`event_types` lists each type
with a description, the JSON Schema (draft 2020-12) of its body's ``data`` and an
example body, generated from the ``EndpointsHook``\\ s connected to model signals
(:mod:`.generated`) and completed by :func:`declare` for what the models cannot
describe. :func:`openapi` is the same catalog as an OpenAPI 3.1 document, whose
``webhooks`` section (:func:`webhooks`) has one entry per event type; ``manage.py
signalhooks_schema`` prints it. See docs/contract.md.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .declared import clashes, declare, declared_types, produces
from .event_type import EventType
from .generated import generated

__all__ = [
    "EventType",
    "body_schema",
    "declare",
    "event_types",
    "openapi",
    "produces",
    "webhooks",
]

#: The Standard Webhooks headers of every request to an endpoint.
_HEADERS = (
    ("webhook-id", "The event id: the same on every retry. Deduplicate on it."),
    ("webhook-timestamp", "When this attempt was sent, in Unix seconds."),
    (
        "webhook-signature",
        "Space-separated v1,<base64 HMAC-SHA256> signatures of "
        "'{webhook-id}.{webhook-timestamp}.{body}' (Standard Webhooks).",
    ),
)


def event_types() -> list[EventType]:
    """Every event type the project delivers to endpoints, sorted by name.

    ``ImproperlyConfigured`` if a declared type has the name of a generated one (the
    system check ``signalhooks.E013`` reports it at startup).
    """
    made = generated()
    clashing = clashes(made)
    if clashing:
        raise ImproperlyConfigured(
            f"declared event types clash with types generated from the models: "
            f"{', '.join(clashing)} (see signalhooks.E013)"
        )
    return sorted({**made, **declared_types()}.values(), key=lambda event_type: event_type.name)


def body_schema(event_type: EventType) -> dict[str, Any]:
    """The schema of a whole "standard" body of ``event_type``."""
    data = {key: value for key, value in event_type.schema.items() if key != "$schema"}
    return {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "const": event_type.name},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "When the event happened (ISO 8601, UTC).",
            },
            "data": data,
        },
    }


def webhooks() -> dict[str, Any]:
    """The ``webhooks`` section of an OpenAPI 3.1 document: one POST per event type."""
    out: dict[str, Any] = {}
    for event_type in event_types():
        out[event_type.name] = {
            "post": {
                "summary": event_type.name,
                "description": event_type.description,
                "parameters": [
                    {
                        "name": name,
                        "in": "header",
                        "required": True,
                        "description": text,
                        "schema": {"type": "string"},
                    }
                    for name, text in _HEADERS
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": body_schema(event_type),
                            "example": event_type.example,
                        }
                    },
                },
                "responses": {
                    "2XX": {
                        "description": "Received. Any other answer, or none within the "
                        "timeout, is retried."
                    }
                },
            }
        }
    return out


def openapi(info: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI 3.1 document with the catalog as its ``webhooks`` and no ``paths``.

    ``info`` defaults to ``{"title": "Webhooks", "version": "1"}``.
    """
    return {
        "openapi": "3.1.0",
        "info": dict(info) if info is not None else {"title": "Webhooks", "version": "1"},
        "webhooks": webhooks(),
        "paths": {},
    }
