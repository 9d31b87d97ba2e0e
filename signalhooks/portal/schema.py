"""The endpoint and attempt objects of the portal: their fields, JSON Schemas and values.

The fields a customer sets (:data:`EDITABLE`) drive the forms, the API's validation and
the OpenAPI document alike: a field added to :class:`~signalhooks.models.Endpoint` is
one more name in that tuple. Each JSON Schema is derived from the model field (type,
null, choices, length, help text).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models

from .. import conf
from ..endpoints.models import Endpoint
from ..outbox.models import DeliveryAttempt

__all__ = [
    "ATTEMPT_DETAIL",
    "ATTEMPT_SUMMARY",
    "EDITABLE",
    "ENDPOINT_FIELDS",
    "READ_ONLY",
    "attempt_json",
    "ceiling_problems",
    "endpoint_json",
    "model_field",
    "object_schema",
    "type_problem",
]

#: What a customer sets on an endpoint (forms and API).
EDITABLE = (
    "url",
    "description",
    "event_types",
    "headers",
    "rate_limit",
    "payload_format",
    "timeout",
    "max_attempts",
)
#: What the portal shows but only its actions change.
READ_ONLY = ("id", "is_active", "disabled_reason", "failing_since", "created_at", "updated_at")
ENDPOINT_FIELDS = (*EDITABLE, *READ_ONLY)
#: An attempt in a list, and on its own (with the request and the response).
ATTEMPT_SUMMARY = {
    "id": "id",
    "endpoint_id": "endpoint_id",
    "delivery_id": "delivery_id",
    "event_type": "event_name",
    "event_id": "event_id",
    "number": "number",
    "is_test": "is_test",
    "started_at": "started_at",
    "duration": "duration",
    "ok": "ok",
    "status": "status",
    "error_type": "error_type",
    "error": "error",
}
ATTEMPT_DETAIL = {
    **ATTEMPT_SUMMARY,
    "request_headers": "request_headers",
    "request_body": "request_body",
    "response_body": "response_body",
}

#: JSON fields: the shape their validators accept.
_JSON_SHAPES: dict[str, dict[str, Any]] = {
    "event_types": {"type": "array", "items": {"type": "string"}},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
    "request_headers": {"type": "object", "additionalProperties": {"type": "string"}},
}


def field_schema(field: models.Field[Any, Any]) -> dict[str, Any]:
    """The JSON Schema of one model field's value, as the portal reads and writes it."""
    schema: dict[str, Any]
    if isinstance(field, models.JSONField):
        schema = dict(_JSON_SHAPES.get(field.name, {}))
    elif isinstance(field, models.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, models.IntegerField):
        schema = {"type": "integer"}
        minimums = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
        if minimums:
            schema["minimum"] = max(minimums)
    elif isinstance(field, models.FloatField):
        schema = {"type": "number"}
    elif isinstance(field, models.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, models.ForeignKey):
        schema = {"type": "integer"}
    else:
        schema = {"type": "string"}
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
        if field.choices:
            schema["enum"] = [value for value, _ in field.flatchoices]
    if field.null and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    if field.help_text:
        schema["description"] = str(field.help_text)
    return schema


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """``model``'s concrete field ``name`` (or attribute name: ``delivery_id``)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name  # the portal shows no reverse relation
    return field


def object_schema(model: type[models.Model], fields: dict[str, str]) -> dict[str, Any]:
    """The schema of an object whose keys map to ``model``'s fields (``key: field name``)."""
    properties = {key: field_schema(model_field(model, name)) for key, name in fields.items()}
    return {
        "type": "object",
        "properties": properties,
        "required": list(fields),
        "additionalProperties": False,
    }


def endpoint_schema() -> dict[str, Any]:
    return object_schema(Endpoint, {name: name for name in ENDPOINT_FIELDS})


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def type_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not of the JSON type of endpoint field ``name`` (``None``: it is).

    Only the type: the values themselves are the model's to validate (``full_clean()``).
    """
    schema = field_schema(model_field(Endpoint, name))
    wanted = schema.get("type")
    if wanted is None:
        return None
    names = wanted if isinstance(wanted, list) else [wanted]
    for kind in names:
        types = _PYTHON_TYPES[kind]
        if isinstance(value, types) and (kind == "boolean" or not isinstance(value, bool)):
            return None
    shown = " or ".join("null" if kind == "null" else f"a JSON {kind}" for kind in names)
    return f"Must be {shown}."


def ceiling_problems(timeout: Any) -> dict[str, list[str]]:
    """What a customer may not set although the model allows it: a timeout longer than the
    service's ``SIGNALHOOKS["TIMEOUT"]`` (each attempt holds a sending slot that long)."""
    ceiling = conf.settings().timeout
    if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > ceiling:
        return {"timeout": [f"At most {ceiling:g} seconds (the service's limit)."]}
    return {}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint as the API shows it: the URL as its owner gave it, never the secret."""
    return {name: _plain(getattr(endpoint, name)) for name in ENDPOINT_FIELDS}


def attempt_json(attempt: DeliveryAttempt, *, detail: bool) -> dict[str, Any]:
    fields = ATTEMPT_DETAIL if detail else ATTEMPT_SUMMARY
    return {key: _plain(getattr(attempt, name)) for key, name in fields.items()}
