"""The ``data`` of a "standard" body: an instance as a plain JSON object.

Standard Webhooks recommends a body ``{"type", "timestamp", "data"}`` whose ``data`` is
a plain object. For a model event it is ``{"id": <pk>, <field name>: <value>, ...}``
for the fields the hook sends, each value as its field's *kind* says
(:func:`field_kind`): numbers as numbers, decimals as strings, dates and times in
ISO 8601, foreign keys as the related primary key, JSON fields as JSON.

It is built from what the event already holds (Django's serializer dict, the text the
"signalhooks" body carries, in process or read back from an outbox row), on the
delivery thread, and each value goes through its field's ``to_python()``: an instance
saved with ``price=10`` or ``quantity="5"`` still holds those values in memory, while
the database (and so the contract) has ``"10.00"`` and ``5``. The JSON Schema of each
kind lives in :mod:`signalhooks.catalog`, which a test holds to these conversions.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.utils import format_number
from django.utils.duration import duration_iso_string

__all__ = ["KINDS", "field_kind", "related_pk", "standard_data", "standard_value"]

#: Every kind of field value in ``data``; "relation" (a foreign key or one-to-one: the
#: related pk) and "many" (many-to-many: a list of pks) take their related pk's kind.
KINDS = (
    "boolean",
    "integer",
    "number",
    "decimal",
    "string",
    "date",
    "datetime",
    "time",
    "duration",
    "uuid",
    "json",
    "binary",
    "relation",
    "many",
    "other",
)

# Most specific first: DateTimeField is a DateField, every auto field an IntegerField.
_BY_CLASS: tuple[tuple[type[models.Field[Any, Any]], str], ...] = (
    (models.BooleanField, "boolean"),
    (models.IntegerField, "integer"),
    (models.FloatField, "number"),
    (models.DecimalField, "decimal"),
    (models.DateTimeField, "datetime"),
    (models.DateField, "date"),
    (models.TimeField, "time"),
    (models.DurationField, "duration"),
    (models.UUIDField, "uuid"),
    (models.JSONField, "json"),
    (models.BinaryField, "binary"),
    (models.CharField, "string"),
    (models.TextField, "string"),
    (models.FileField, "string"),
    (models.FilePathField, "string"),
    (models.GenericIPAddressField, "string"),
)


def field_kind(field: models.Field[Any, Any]) -> str:
    """The kind of ``field``'s value in ``data`` (one of :data:`KINDS`)."""
    if field.many_to_many:
        return "many"
    if field.is_relation:
        return "relation"
    for cls, kind in _BY_CLASS:
        if isinstance(field, cls):
            return kind
    return "other"  # a custom field: its value as Django's serializer writes it


def related_pk(field: models.Field[Any, Any]) -> models.Field[Any, Any]:
    """The field a relation's values are: the related primary key (or ``to_field``).

    Django's serializer writes a many-to-many field as the related objects' pks.
    """
    if not field.many_to_many:
        target: models.Field[Any, Any] = getattr(field, "target_field")  # noqa: B009
        return target
    related = field.related_model
    assert related is not None and not isinstance(related, str)
    pk = related._meta.pk
    assert pk is not None
    return pk


def _datetime(value: datetime) -> Any:
    # UTC when the value is aware (USE_TZ): "Z", as Django's JSON encoder writes it.
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return DjangoJSONEncoder().default(value)


def _time(value: time) -> Any:
    # As Django's JSON encoder writes it (milliseconds), which cannot encode an aware time.
    return DjangoJSONEncoder().default(value) if value.tzinfo is None else value.isoformat()


def _decimal(field: models.Field[Any, Any], value: Decimal) -> str:
    # What the database stores: quantized to decimal_places ("10" -> "10.00").
    assert isinstance(field, models.DecimalField)
    try:
        return str(format_number(value, field.max_digits, field.decimal_places))
    except InvalidOperation:  # more digits than max_digits: the value as it is
        return f"{value:f}"


_AS_JSON: dict[str, Callable[[models.Field[Any, Any], Any], Any]] = {
    "boolean": lambda field, value: bool(value),
    "integer": lambda field, value: int(value),
    "number": lambda field, value: float(value),
    "decimal": _decimal,
    "string": lambda field, value: str(value),
    "date": lambda field, value: value.isoformat(),
    "datetime": lambda field, value: _datetime(value),
    "time": lambda field, value: _time(value),
    "duration": lambda field, value: duration_iso_string(value),
    "uuid": lambda field, value: str(value),
}


def standard_value(field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` (as Django's serializer wrote it, or a Python value) in ``data``'s form.

    A value that ``to_python()`` refuses is left as it is: a delivery is never failed
    over the shape of one value.
    """
    if value is None:
        return None
    kind = field_kind(field)
    if kind == "many":
        target = related_pk(field)
        return [standard_value(target, item) for item in value]
    if kind == "relation":
        return standard_value(related_pk(field), value)
    convert = _AS_JSON.get(kind)
    if convert is None:  # json, binary (base64 text already), custom fields
        return value
    try:
        python = field.to_python(value)
        return None if python is None else convert(field, python)
    except Exception:  # ValidationError, or a custom field's own exception
        return value


_Converters = tuple["models.Field[Any, Any] | None", Mapping[str, "models.Field[Any, Any]"]]


@functools.cache
def _fields_of(label: str | None) -> _Converters:
    """(pk field, {field name: field}) of the model labelled ``label``, if it exists here."""
    try:
        model = apps.get_model(label) if label else None
    except (LookupError, ValueError):  # a row of a model this process does not have
        model = None
    if model is None:
        return None, {}
    opts = model._meta.concrete_model._meta if model._meta.concrete_model else model._meta
    fields = {f.name: f for f in (*opts.concrete_fields, *opts.many_to_many)}
    return opts.pk, fields


def _converted(fields: Mapping[str, models.Field[Any, Any]], values: Mapping[str, Any]) -> Any:
    out = {}
    for name, value in values.items():
        field = fields.get(name)
        out[name] = value if field is None else standard_value(field, value)
    return out


def standard_data(
    *,
    model: str | None,
    instance_json: str | None,
    custom: bool,
    instance_id: str | None,
    previous_json: str | None,
    data_json: str | None,
) -> dict[str, Any]:
    """The ``data`` object of an event from its snapshot's parts (see :class:`Event`).

    * a model event: ``{"id", <fields>...}`` (and ``"previous_attributes"`` when the
      hook computed them); ``custom``: the hook's ``serializer=`` made ``instance_json``,
      whose object is sent as it is (another JSON value goes under ``"instance"``);
    * a signal's other keyword arguments (``data_json``) are merged in, last: a signal
      without an instance sends its arguments alone, as the ``Data`` of the
      "signalhooks" body.
    """
    data: dict[str, Any] = {}
    if instance_json is not None:
        obj = json.loads(instance_json)
        if custom:
            data = dict(obj) if isinstance(obj, dict) else {"instance": obj}
        else:
            pk, fields = _fields_of(model)
            key = obj.get("pk", instance_id)
            data["id"] = key if pk is None else standard_value(pk, key)
            data.update(_converted(fields, obj.get("fields", {})))
    if previous_json is not None:
        # Values that differ in memory but not once converted ("9.50" and Decimal("9.50"))
        # are the same in the database: not a change.
        _, fields = _fields_of(model)
        before = _converted(fields, json.loads(previous_json))
        changed = {name: value for name, value in before.items() if data.get(name) != value}
        if changed:
            data["previous_attributes"] = changed
    if data_json is not None:
        data.update(json.loads(data_json))
    return data
