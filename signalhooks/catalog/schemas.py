"""JSON Schemas (draft 2020-12) of the "standard" ``data``, and examples that fit them.

Each field's schema follows its *kind* (:func:`signalhooks.snapshot.data.field_kind`),
the same classification that converts the values sent (a test holds the two together
for every kind): numbers as numbers, decimals as strings, dates and times in ISO 8601,
relations typed like the related primary key. Nullable fields allow ``null``; choices
become an ``enum`` (with ``""`` for a string field that may be left blank).

Data schemas do not forbid additional properties: a field added to a model later
must not make the schema a customer saved reject the new bodies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.fields import PositiveIntegerRelDbTypeMixin
from django.utils.text import capfirst

from ..snapshot.data import field_kind, related_pk, standard_value

__all__ = ["EXAMPLE_TIMESTAMP", "data_schema", "example_of", "field_schema"]

#: The ``timestamp`` of example bodies.
EXAMPLE_TIMESTAMP = "2026-01-31T12:00:00.000000Z"
#: A decimal as sent: ``str()`` of the value quantized to the field's decimal places.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
#: A time as sent: ``time.isoformat()``.
TIME_PATTERN = r"^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([+-][0-9]{2}:[0-9]{2})?$"
SLUG_PATTERN = r"^[-a-zA-Z0-9_]*$"

_BASE: dict[str, dict[str, Any]] = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "decimal": {"type": "string", "pattern": DECIMAL_PATTERN},
    "string": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "pattern": TIME_PATTERN},
    "duration": {"type": "string", "format": "duration"},
    "uuid": {"type": "string", "format": "uuid"},
    "json": {},
    "binary": {"type": "string", "contentEncoding": "base64"},
    "other": {},
}


def _value_schema(field: models.Field[Any, Any]) -> dict[str, Any]:
    """The schema of one non-null value of ``field``."""
    kind = field_kind(field)
    if kind == "relation":
        return _value_schema(related_pk(field))
    if kind == "many":
        return {"type": "array", "items": _value_schema(related_pk(field))}
    if kind == "datetime":
        # Without USE_TZ the values are naive: ISO 8601 without an offset, which
        # RFC 3339's date-time (JSON Schema's format) does not allow.
        return {"type": "string", "format": "date-time"} if settings.USE_TZ else {"type": "string"}
    schema = dict(_BASE[kind])
    if kind == "integer" and isinstance(field, PositiveIntegerRelDbTypeMixin):
        schema["minimum"] = 0
    if kind == "string":
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
        fmt = _string_format(field)
        if fmt is not None and not field.blank:
            schema["format"] = fmt
        if isinstance(field, models.SlugField) and not getattr(field, "allow_unicode", False):
            schema["pattern"] = SLUG_PATTERN
    return schema


def _string_format(field: models.Field[Any, Any]) -> str | None:
    if isinstance(field, models.EmailField):
        return "email"
    if isinstance(field, models.URLField):
        return "uri"
    if isinstance(field, models.GenericIPAddressField):
        return {"ipv4": "ipv4", "ipv6": "ipv6"}.get(field.protocol.lower())
    return None


def field_schema(field: models.Field[Any, Any]) -> dict[str, Any]:
    """The schema of ``field``'s value in ``data``: null allowed if nullable, choices as enum."""
    schema = _value_schema(field)
    nullable = field.null and not field.many_to_many
    if field.choices:
        values = [standard_value(field, value) for value, _ in field.flatchoices]
        if field.blank and field_kind(field) == "string" and "" not in values:
            values.append("")
        if nullable and None not in values:
            values.append(None)
        schema["enum"] = values
    if nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    schema = {"title": str(capfirst(field.verbose_name)), **schema}
    if field.help_text:
        schema["description"] = str(field.help_text)
    return schema


def data_schema(
    model: type[models.Model], fields: Sequence[models.Field[Any, Any]], previous: bool
) -> dict[str, Any]:
    """The schema of ``data`` for ``model`` with ``fields`` sent (and, if ``previous``, the
    ``previous_attributes`` of an update: the sent fields that changed, by their old value)."""
    pk = model._meta.pk
    assert pk is not None
    properties: dict[str, Any] = {
        "id": {"title": "Primary key", **_value_schema(pk)},
    }
    for field in fields:
        properties[field.name] = field_schema(field)
    schema: dict[str, Any] = {
        "title": model._meta.label,
        "type": "object",
        "properties": properties,
        "required": list(properties),
    }
    changeable = [f for f in fields if f.concrete and not f.many_to_many]
    if previous and changeable:
        properties["previous_attributes"] = {
            "title": "Previous attributes",
            "description": "The sent fields whose value this save changed, with the value "
            "they had before it. Left out when none changed.",
            "type": "object",
            "properties": {f.name: field_schema(f) for f in changeable},
            "additionalProperties": False,
            "minProperties": 1,
        }
    return schema


# -- examples ---------------------------------------------------------------------

_STRING_EXAMPLES = {
    "date": "2026-01-31",
    "date-time": "2026-01-31T12:00:00.000Z",
    "duration": "P0DT01H30M00S",
    "uuid": "3f2c8a4e-6b1d-4c5e-9f7a-2d8b0c1e4a6f",
    "email": "customer@example.com",
    "uri": "https://example.com/",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}
_PATTERN_EXAMPLES = {DECIMAL_PATTERN: "9.99", TIME_PATTERN: "12:30:00", SLUG_PATTERN: "a-slug"}


def example_of(schema: Any) -> Any:
    """A value for ``schema``: its first ``examples``, ``const`` or ``enum`` value, else one
    made from its type. Best effort for hand-written schemas (``declare(example=...)``
    gives an exact one)."""
    if not isinstance(schema, dict):
        return None
    for key in ("examples", "enum"):
        values = [v for v in schema.get(key) or () if v is not None] or schema.get(key)
        if values:
            return values[0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return example_of(schema[key][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        return {name: example_of(sub) for name, sub in props.items()}
    if kind == "array":
        return [example_of(schema["items"])] if "items" in schema else []
    if kind == "string":
        return _string_example(schema)
    return {"integer": max(1, schema.get("minimum", 1)), "number": 1.5, "boolean": True}.get(
        str(kind), None if kind == "null" else {}
    )


def _string_example(schema: dict[str, Any]) -> str:
    text = _STRING_EXAMPLES.get(schema.get("format", ""))
    text = text or _PATTERN_EXAMPLES.get(schema.get("pattern", ""))
    if text is None:
        text = "aGVsbG8=" if schema.get("contentEncoding") == "base64" else "example"
        text = text.ljust(schema.get("minLength", 0), "x")
    return text[: schema["maxLength"]] if "maxLength" in schema else text
