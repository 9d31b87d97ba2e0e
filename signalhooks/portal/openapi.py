"""The OpenAPI 3.1 document of the portal's API (``api/openapi.json``).

Its ``paths`` are the API's routes, relative to the server URL (where the project
includes the portal); its schemas come from the models through :mod:`.schema`; its
``webhooks`` section is the event catalog's: the requests the project sends.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from ..endpoints.models import Endpoint
from ..outbox.models import DeliveryAttempt
from . import events
from .schema import ATTEMPT_DETAIL, ATTEMPT_SUMMARY, EDITABLE, ENDPOINT_FIELDS, object_schema

__all__ = ["PATHS", "document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "The next page: taken from the `next` URL of the page before.",
    "schema": {"type": "string"},
}


def _operation(
    op_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "responses": {**responses, **_ERRORS},
    }
    if parameters:
        operation["parameters"] = parameters
    if body:
        content = {"application/json": {"schema": _ref(body)}}
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def _action(op_id: str, summary: str, answer: str, described: str) -> dict[str, Any]:
    return {
        "parameters": [_ID],
        "post": _operation(op_id, summary, {"200": _json(answer, described)}),
    }


_ATTEMPT_FILTERS = [
    {
        "name": "status",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["succeeded", "failed"]},
    },
    {
        "name": "since",
        "in": "query",
        "required": False,
        "description": "ISO 8601; without a time zone, UTC.",
        "schema": {"type": "string"},
    },
    _CURSOR,
]

#: The API's routes (relative to the portal's include) and their operations.
PATHS: dict[str, dict[str, Any]] = {
    "/api/endpoints/": {
        "get": _operation(
            "listEndpoints",
            "The owner's endpoints, by id",
            {"200": _json("EndpointList", "A page of endpoints")},
            parameters=[_CURSOR],
        ),
        "post": _operation(
            "createEndpoint",
            "Create an endpoint; the answer carries its secret, the only one that does",
            {"201": _json("EndpointWithSecret", "The new endpoint and its signing secret")},
            body="EndpointInput",
        ),
    },
    "/api/endpoints/{id}/": {
        "parameters": [_ID],
        "get": _operation("getEndpoint", "One endpoint", {"200": _json("Endpoint", "It")}),
        "patch": _operation(
            "updateEndpoint",
            "Change some of an endpoint's settings",
            {"200": _json("Endpoint", "The endpoint as saved")},
            body="EndpointInput",
        ),
        "delete": _operation(
            "deleteEndpoint", "Delete an endpoint", {"204": {"description": "Deleted"}}
        ),
    },
    "/api/endpoints/{id}/rotate-secret/": _action(
        "rotateSecret",
        "A new secret; the previous one signs alongside it for 24 hours",
        "Secret",
        "The new secret, shown this once",
    ),
    "/api/endpoints/{id}/enable/": _action(
        "enableEndpoint", "Deliver again; failure history cleared", "Endpoint", "The endpoint"
    ),
    "/api/endpoints/{id}/disable/": _action(
        "disableEndpoint", "Stop delivering to the endpoint", "Endpoint", "The endpoint"
    ),
    "/api/endpoints/{id}/test/": _action(
        "testEndpoint", "Send a test event now and wait for it", "TestOutcome", "Its outcome"
    ),
    "/api/endpoints/{id}/replay/": {
        "parameters": [_ID],
        "post": _operation(
            "replayDeliveries",
            "Send again the deliveries created since a time (only failed ones by default)",
            {
                "200": _json("Replayed", "How many deliveries are queued again"),
                "409": {"$ref": "#/components/responses/Conflict"},
            },
            body="ReplayRequest",
        ),
    },
    "/api/endpoints/{id}/attempts/": {
        "parameters": [_ID],
        "get": _operation(
            "listAttempts",
            "The endpoint's delivery attempts, newest first",
            {"200": _json("AttemptList", "A page of attempts")},
            parameters=_ATTEMPT_FILTERS,
        ),
    },
    "/api/attempts/{id}/": {
        "parameters": [_ID],
        "get": _operation(
            "getAttempt",
            "One attempt with its request and response",
            {"200": _json("AttemptDetail", "It")},
        ),
    },
    "/api/event-types/": {
        "get": _operation(
            "listEventTypes",
            "The event types the project delivers",
            {"200": _json("EventTypeList", "Every event type")},
        ),
    },
    "/api/openapi.json": {
        "get": _operation(
            "getOpenAPI",
            "This document",
            {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
        ),
    },
}


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "results": {"type": "array", "items": _ref(item)},
            "next": {"type": ["string", "null"], "format": "uri"},
        },
        "required": ["results", "next"],
    }


def _error_response(description: str) -> dict[str, Any]:
    return _json("Error", description)


def schemas() -> dict[str, Any]:
    endpoint = object_schema(Endpoint, {name: name for name in ENDPOINT_FIELDS})
    editable = object_schema(Endpoint, {name: name for name in EDITABLE})
    editable.pop("required")
    with_secret = {
        **endpoint,
        "properties": {**endpoint["properties"], "secret": {"type": "string"}},
        "required": [*endpoint["required"], "secret"],
    }
    nullable_number = {"type": ["number", "null"]}
    return {
        "Endpoint": endpoint,
        "EndpointInput": editable,
        "EndpointWithSecret": with_secret,
        "EndpointList": _page_of("Endpoint"),
        "Attempt": object_schema(DeliveryAttempt, ATTEMPT_SUMMARY),
        "AttemptDetail": object_schema(DeliveryAttempt, ATTEMPT_DETAIL),
        "AttemptList": _page_of("Attempt"),
        "Secret": {
            "type": "object",
            "properties": {"secret": {"type": "string"}},
            "required": ["secret"],
        },
        "TestOutcome": {
            "type": "object",
            "properties": {
                "ok": {"type": "boolean"},
                "status": {"type": ["integer", "null"]},
                "duration": {**nullable_number, "description": "Seconds"},
                "error": {"type": ["string", "null"]},
            },
            "required": ["ok", "status", "duration", "error"],
        },
        "ReplayRequest": {
            "type": "object",
            "properties": {
                "since": {"type": "string", "description": "ISO 8601; no time zone: UTC"},
                "failed_only": {"type": "boolean", "default": True},
            },
            "required": ["since"],
            "additionalProperties": False,
        },
        "Replayed": {
            "type": "object",
            "properties": {"replayed": {"type": "integer", "minimum": 0}},
            "required": ["replayed"],
        },
        "EventType": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "schema": {"type": "object", "description": "JSON Schema of the body's data"},
                "example": {"type": "object", "description": "A whole body"},
            },
            "required": ["name", "description", "schema", "example"],
        },
        "EventTypeList": _page_of("EventType"),
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "required": ["code", "message", "fields"],
                }
            },
            "required": ["error"],
        },
    }


def document(request: HttpRequest) -> dict[str, Any]:
    """The document, with the server URL of this request's host and the portal's path."""
    root = request.build_absolute_uri(reverse("signalhooks_portal:endpoint_list"))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Webhook endpoints",
            "version": "1",
            "description": "Manage the endpoints that receive this service's webhooks, "
            "see every delivery attempt, and replay what failed. Errors are "
            '{"error": {"code", "message", "fields"}}.',
        },
        "servers": [{"url": root.rstrip("/")}],
        "paths": PATHS,
        "webhooks": events.webhooks(),
        "components": {
            "schemas": schemas(),
            "responses": {
                "BadRequest": _error_response("Invalid input; nothing was changed"),
                "Unauthorized": _error_response("Nobody is signed in"),
                "Forbidden": _error_response("No owner for this account, or no CSRF token"),
                "NotFound": _error_response("No such object among the owner's"),
                "MethodNotAllowed": _error_response("Not a method of this route"),
                "Conflict": _error_response("The endpoint is disabled: enable it first"),
            },
        },
    }
