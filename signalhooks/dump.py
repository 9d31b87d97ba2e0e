"""One instance as Django's Python serializer would dump it, without its machinery.

``serializers.serialize("json", [obj])`` builds a serializer, a ``StringIO`` and a
progress bar and walks generic hooks for each object; for the one object of a
signal that set-up was about half of the serialization cost, which is most of
what ``save()`` pays with hooks connected. :func:`dump_instance` does the same
walk with a field plan cached per model and returns exactly what
``PythonSerializer().serialize([obj])[0]`` returns (tests/test_payload.py
compares the JSON text byte for byte on Django 5.2 and 6.1). Anything unusual —
serialized many-to-many fields (they need queries), a composite primary key,
options such as ``fields=`` or natural keys — goes through Django's serializer.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal
from typing import Any

from django.core.serializers.python import Serializer as PythonSerializer
from django.db.models import Field, Model
from django.utils.encoding import is_protected_type

__all__ = ["InstanceValues", "dump_instance", "instance_values"]

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
