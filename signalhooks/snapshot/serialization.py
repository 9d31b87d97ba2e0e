"""Instances and signal arguments to JSON: what Django's serializer would write.

``serializers.serialize("json", [obj])`` builds a serializer, a ``StringIO`` and a
progress bar and walks generic hooks for each object; for the one object of a
signal that set-up was about half of the serialization cost, which is most of
what ``save()`` pays with hooks connected. :func:`dump_instance` does the same
walk with a field plan cached per model and returns exactly
what ``PythonSerializer().serialize([obj])[0]`` returns (the tests compare the JSON
text byte for byte on every supported Django version). Anything unusual — serialized
many-to-many fields (they need queries), a composite primary key, options such as
``fields=`` or natural keys — goes through Django's serializer.

This fast path reads Django internals (field descriptors, ``value_to_string``), which
a Django release could change: ``SIGNALHOOKS["FAST_SERIALIZER"] = False`` sends
everything through Django's own serializer, at signal time.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

from django.core import serializers
from django.core.exceptions import SynchronousOnlyOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer as PythonSerializer
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.utils.encoding import is_protected_type

from .. import conf
from ..exceptions import SerializationError

__all__ = [
    "Dumpable",
    "Dumped",
    "InstanceValues",
    "SerializationError",
    "copy_values",
    "dump_instance",
    "dumps_data",
    "encode",
    "explained",
    "previous_values",
    "serialize_instance",
]


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


class Dumpable(Protocol):
    """Values copied at signal time, dumped (to what Django's serializer gives) later."""

    def dump(self) -> dict[str, Any]: ...


class Dumped:
    """A dict already in Django's serializer form, JSON-encoded on first use."""

    __slots__ = ("_obj",)

    def __init__(self, obj: dict[str, Any]) -> None:
        self._obj = obj

    def dump(self) -> dict[str, Any]:
        return self._obj


class InstanceValues:
    """An instance's field values, copied at signal time and dumped later, elsewhere.

    What a snapshot costs the caller is mostly memory it touches on cold caches:
    copying the raw attribute values (two C-level passes) is a fraction of walking
    every field's ``value_from_object`` / ``value_to_string``. The walk happens on the
    delivery thread, on a bare instance holding the copies, and gives the same dict
    (:func:`copy_values` only lets through values for which that is certain).
    """

    __slots__ = ("_model", "_other", "_plain")

    def __init__(self, model: type[Model], plain: tuple[Any, ...], other: tuple[Any, ...]) -> None:
        self._model = model
        self._plain = plain
        self._other = other

    def dump(self) -> dict[str, Any]:
        """What :func:`dump_instance` returned for the instance when it was copied."""
        plan = _copy_plan(self._model)
        assert plan is not None  # copy_values made these values with it
        plain_names, other_names = plan
        shell = object.__new__(self._model)  # no __init__: no signals, no defaults
        state = shell.__dict__
        state["_state"] = ModelState()
        state.update(zip(plain_names, self._plain, strict=True))
        state.update(zip(other_names, self._other, strict=True))
        return dump_instance(shell)


#: Immutable types that Django's serializer keeps as they are and the encoder always
#: encodes (``datetime.time`` is left out: an aware one cannot be encoded).
_KEPT = frozenset({type(None), bool, int, float, Decimal, datetime.datetime, datetime.date})
#: Also immutable and certain to encode where ``value_to_string`` is ``str(value)``.
_STRINGIFIED = _KEPT | {str, uuid.UUID}
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


@functools.cache
def _copy_plan(model: type[Model]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Attribute names to copy, split by how Django turns them to text, or ``None``.

    ``None`` (dump at signal time) unless every dumped field is one of Django's own
    field classes reading a plain attribute: a custom field's ``value_to_string`` may
    depend on more than the attribute, and a file field's descriptor on the instance.
    """
    plan = _plan(model)
    if plan is None:
        return None
    _, pk, fields = plan
    plain: list[str] = []
    other: list[str] = []
    for field in (pk, *(field for _, field in fields)):
        # Exactly these descriptors, not subclasses: FileDescriptor subclasses
        # DeferredAttribute and wraps the value in a FieldFile bound to the instance.
        plain_descriptor = field.descriptor_class in _PLAIN_DESCRIPTORS
        if not type(field).__module__.startswith("django.") or not plain_descriptor:
            return None
        default_text = type(field).value_to_string is Field.value_to_string
        (plain if default_text else other).append(field.attname)
    return tuple(plain), tuple(other)


def copy_values(instance: Model) -> InstanceValues | None:
    """The values to dump ``instance`` later, or ``None`` if it must be dumped now.

    Now: custom fields, deferred fields (loading one is a query, for the caller's
    thread), and any value that could change or fail to encode (lists, dicts,
    ``time``, subclasses of the basic types...), so that a bad value fails in
    ``save()``'s thread, where the hook reports it.
    """
    plan = _copy_plan(type(instance))
    if plan is None or not conf.settings().fast_serializer:
        return None
    plain_names, other_names = plan
    get = instance.__dict__.__getitem__
    try:
        plain = tuple(map(get, plain_names))
        other = tuple(map(get, other_names))
    except KeyError:  # deferred
        return None
    if _STRINGIFIED.issuperset(map(type, plain)) and _KEPT.issuperset(map(type, other)):
        return InstanceValues(type(instance), plain, other)
    return None


def previous_values(
    instance: Model, old: Mapping[str, Any], fields: Iterable[Field[Any, Any]]
) -> Dumped:
    """What ``fields`` of ``instance`` held before a save, as Django's serializer writes them.

    ``old`` maps attribute names (``category_id``) to the values captured before the
    save (copies that nothing else changes). Dumped now, in the caller's thread, from
    a copy of the instance: a field's ``value_to_string`` may read other attributes.
    """
    shell = object.__new__(type(instance))
    state = shell.__dict__
    state.update(instance.__dict__)
    state.update(old)
    return Dumped({field.name: _value(shell, field) for field in fields})


def dump_instance(instance: Model) -> dict[str, Any]:
    """``{"model": ..., "pk": ..., "fields": {...}}`` for ``instance``, as Django dumps it."""
    plan = _plan(type(instance)) if conf.settings().fast_serializer else None
    if plan is None:
        [obj] = PythonSerializer().serialize([instance])
        return obj  # type: ignore[no-any-return]
    label, pk, fields = plan
    return {
        "model": label,
        "pk": _value(instance, pk),
        "fields": {name: _value(instance, field) for name, field in fields},
    }


def serialize_instance(instance: Model, fields: list[str] | None = None, **options: Any) -> str:
    """Django's JSON for one object without the list brackets (the seed's ``Instance``).

    ``options`` go to Django's serializer (``use_natural_foreign_keys=True``, ...).
    """
    # What serializers.serialize("json", [instance]) writes for the one object is
    # the Python serializer's dict plus json.dump(cls=DjangoJSONEncoder,
    # ensure_ascii=False); tests/unit/test_serialization.py compares the two byte for byte.
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
