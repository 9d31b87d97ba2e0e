"""Instances and signal arguments to JSON: what Django's serializer would write.

``serializers.serialize("json", [obj])`` builds a serializer, a ``StringIO`` and a
progress bar and walks generic hooks for each object; for the one object of a
signal that set-up was about half of the serialization cost, which is most of
what ``save()`` pays with hooks connected. :func:`instance_values` does the same
walk with a field plan cached per model, and :func:`dump_instance` returns exactly
what ``PythonSerializer().serialize([obj])[0]`` returns (tests/test_payload.py
compares the JSON text byte for byte on Django 5.2 and 6.1). Anything unusual —
serialized many-to-many fields (they need queries), a composite primary key,
options such as ``fields=`` or natural keys — goes through Django's serializer.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.core import serializers
from django.core.exceptions import SynchronousOnlyOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer as PythonSerializer
from django.db.models import Field, Model
from django.utils.encoding import is_protected_type

__all__ = [
    "InstanceValues",
    "SerializationError",
    "dump_instance",
    "dumps_data",
    "encode",
    "explained",
    "instance_values",
    "serialize_instance",
]


class SerializationError(ValueError):
    """An instance or signal argument could not be turned into JSON."""


_Plan = tuple[str, "Field[Any, Any]", tuple[tuple[str, "Field[Any, Any]"], ...]]


@functools.cache
def _plan(model: type[Model]) -> _Plan | None:
    """(``model`` label, pk field, (name, field) to dump) or ``None``: use Django's."""
    meta = model._meta
    concrete = (meta.concrete_model or model)._meta  # a proxy dumps its concrete fields
    if any(getattr(field, "serialize", True) for field in concrete.local_many_to_many):
        return None
    pk = meta.pk
    if pk is None or not isinstance(pk, Field) or type(pk).__name__ == "CompositePrimaryKey":
        return None
    # The same selection as Serializer.serialize() without fields= or natural keys.
    fields = tuple(
        (field.name, field) for field in concrete.local_fields if getattr(field, "serialize", True)
    )
    return str(meta), pk, fields


def _value(instance: Model, field: Field[Any, Any]) -> Any:
    # PythonSerializer._value_from_field: primitives as they are, the rest as strings.
    value = field.value_from_object(instance)
    return value if is_protected_type(value) else field.value_to_string(instance)


class InstanceValues:
    """The dumped values of one instance, kept compact until they are encoded.

    A pending event holds these instead of the dict (two dicts cost ~400 bytes more
    per pending event); :meth:`dump` rebuilds exactly the dict Django dumps.
    """

    __slots__ = ("_plan", "_values")

    def __init__(self, plan: _Plan, values: tuple[Any, ...]) -> None:
        self._plan = plan
        self._values = values  # the pk, then each field in plan order

    def dump(self) -> dict[str, Any]:
        label, _, fields = self._plan
        values = iter(self._values)
        pk = next(values)
        return {"model": label, "pk": pk, "fields": {name: next(values) for name, _ in fields}}

    def encodes_later(self) -> bool:
        """Whether the JSON text may be made later, on another thread.

        True when every value is immutable and certain to encode: strings, numbers,
        dates and naive times. Anything else (a field whose ``value_to_string``
        returns an object, an aware time, which JSON cannot represent) is for
        encoding at once, so that an error surfaces in the caller.
        """
        for value in self._values:
            if value is None or isinstance(value, _STABLE):
                continue
            if isinstance(value, datetime.time) and value.tzinfo is None:
                continue
            return False
        return True


#: Immutable values DjangoJSONEncoder always encodes (bool is an int; datetime a date).
_STABLE = (str, int, float, Decimal, datetime.date)


def instance_values(instance: Model) -> InstanceValues | None:
    """The values to dump for ``instance``, or ``None`` if only Django's serializer can."""
    plan = _plan(type(instance))
    if plan is None:
        return None
    _, pk, fields = plan
    return InstanceValues(plan, (_value(instance, pk), *[_value(instance, f) for _, f in fields]))


def dump_instance(instance: Model) -> dict[str, Any]:
    """``{"model": ..., "pk": ..., "fields": {...}}`` for ``instance``, as Django dumps it."""
    values = instance_values(instance)
    if values is None:
        [obj] = PythonSerializer().serialize([instance])
        return obj  # type: ignore[no-any-return]
    return values.dump()


def serialize_instance(instance: Model, fields: list[str] | None = None, **options: Any) -> str:
    """Django's JSON for one object without the list brackets (the seed's ``Instance``).

    ``options`` go to Django's serializer (``use_natural_foreign_keys=True``, ...).
    """
    # What serializers.serialize("json", [instance]) writes for the one object is
    # the Python serializer's dict plus json.dump(cls=DjangoJSONEncoder,
    # ensure_ascii=False); tests/test_payload.py compares the two byte for byte.
    with explained(instance, options):
        if fields is None and not options:
            return encode(dump_instance(instance))
        [obj] = PythonSerializer().serialize([instance], fields=fields, **options)
        return encode(obj)


@contextlib.contextmanager
def explained(instance: Model, options: Mapping[str, Any]) -> Iterator[None]:
    """Turn a failure to serialize ``instance`` into a :class:`SerializationError`."""
    try:
        yield
    except SynchronousOnlyOperation:
        # Not a serialization problem: the caller runs an event loop and the instance
        # needs queries (m2m). async_receiver catches this and retries in a thread.
        raise
    except Exception as exc:
        raise SerializationError(_explain_instance_error(instance, exc, options)) from exc


def encode(obj: dict[str, Any]) -> str:
    """The JSON text of one dumped object, as Django's JSON serializer writes it."""
    return json.dumps(obj, cls=DjangoJSONEncoder, ensure_ascii=False)


def _explain_instance_error(
    instance: Model, exc: Exception, options: Mapping[str, Any] | None = None
) -> str:
    label = instance._meta.label
    for model_field in instance._meta.concrete_fields:
        try:
            serializers.serialize("json", [instance], fields=[model_field.name], **(options or {}))
        except Exception as field_exc:
            return f"cannot serialize field {label}.{model_field.name}: {field_exc}"
    return f"cannot serialize {label} (pk={instance.pk!r}): {exc}"


def dumps_data(data: Mapping[str, Any]) -> str:
    """JSON text of signal kwargs, or a :class:`SerializationError` naming the bad key."""
    try:
        return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        for key, value in data.items():
            try:
                json.dumps(value, cls=DjangoJSONEncoder)
            except (TypeError, ValueError) as value_exc:
                raise SerializationError(f"signal argument {key!r}: {value_exc}") from exc
        raise SerializationError(str(exc)) from exc
