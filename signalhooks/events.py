"""Events: frozen snapshots taken in the caller's thread when a signal fires.

An :class:`Event` holds only strings (and, until first used, the instance's
immutable field values), so it can cross to the delivery thread and be retried
later without touching the model instance again. The seed's message
format (``Event`` / ``InstanceId`` / ``Instance``) is rendered from it here, once,
and shared by every target of the event.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete

from .serialization import InstanceValues, copy_values, dumps_data, encode, serialize_instance

__all__ = ["Event", "build_model_event", "custom_event", "model_action", "new_event_id"]

#: Keyword arguments of model signals that describe the dispatch, not the data.
RESERVED_KWARGS = frozenset(
    {"signal", "sender", "instance", "created", "raw", "using", "update_fields", "origin"}
)


@dataclass(frozen=True)
class Event:
    """What happened, frozen at signal time. Every attempt carries the same ``id``."""

    name: str
    id: str = field(default_factory=lambda: new_event_id())
    timestamp: float = field(default_factory=time.time)
    instance_id: str | None = None
    instance_json: str | None = None  # one object of Django's JSON serializer, no brackets
    data_json: str | None = None  # JSON text of a custom signal's other kwargs
    model: str | None = None  # ``app_label.ModelName``
    using: str | None = None  # database alias of the instance

    @cached_property
    def instance_b64(self) -> str | None:
        if self.instance_json is None:
            return None
        return base64.b64encode(self.instance_json.encode()).decode("ascii")

    @cached_property
    def iso_timestamp(self) -> str:
        stamp = datetime.fromtimestamp(self.timestamp, UTC).isoformat(timespec="microseconds")
        return stamp.replace("+00:00", "Z")

    def seed_fields(self) -> dict[str, str]:
        """The three keys of the 0.1.1 format, present for model events only."""
        if self.instance_json is None:
            return {"Event": self.name}
        return {
            "Event": self.name,
            "InstanceId": self.instance_id or "",
            "Instance": self.instance_b64 or "",
        }

    def fields(self) -> dict[str, str]:
        """Seed keys plus ``EventId``, ``Timestamp`` and (if any) ``Data`` as JSON text."""
        out = self.seed_fields()
        out["EventId"] = self.id
        out["Timestamp"] = self.iso_timestamp
        if self.data_json is not None:
            out["Data"] = self.data_json
        return out

    @cached_property
    def json_body(self) -> bytes:
        """The HTTP body: a JSON object; ``Data`` is embedded as an object, not a string."""
        out: dict[str, Any] = self.seed_fields()
        out["EventId"] = self.id
        out["Timestamp"] = self.iso_timestamp
        if self.data_json is not None:
            out["Data"] = json.loads(self.data_json)
        return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


class _InstanceJSON:
    """``Event.instance_json`` of a snapshot event: encoded on first use, then stored.

    The instance's raw values are copied at signal time (``copy_values``); Django's
    field-by-field dump and the JSON text can wait for the delivery thread, since
    those values are immutable and certain to encode, so the text is the same
    whenever, and on whichever thread, it is made. A non-data descriptor: events
    built by ``Event(...)`` keep their text in the instance ``__dict__``, which
    takes precedence.
    """

    def __get__(self, event: Event | None, owner: type[Event]) -> str | None:
        if event is None:
            return None  # the dataclass default
        state = event.__dict__
        values: InstanceValues | None = state.get("_instance_values")
        if values is None:  # another thread has just encoded it
            text: str | None = state.get("instance_json")
            return text
        text = state["instance_json"] = encode(values.dump())
        state.pop("_instance_values", None)  # two threads may both get here: same text
        return text


class _EventId:
    """``Event.id`` of a snapshot event: drawn on first use, by whichever thread.

    ``dict.setdefault`` is atomic, so threads reading it at once all get one id.
    """

    def __get__(self, event: Event | None, owner: type[Event]) -> Any:
        if event is None:
            return self
        return event.__dict__.setdefault("id", new_event_id())


# Set after @dataclass, which only needs the default of the field at class creation.
Event.instance_json = _InstanceJSON()  # type: ignore[assignment]
Event.id = _EventId()  # type: ignore[assignment]


def _snapshot(
    name: str, instance_id: str, values: InstanceValues, model: str, using: str | None
) -> Event:
    """A model event whose ``instance_json`` is encoded, and ``id`` drawn, on first use.

    Bypasses the frozen dataclass ``__init__`` (an object.__setattr__ per field, a
    microsecond per dispatch); tests/test_payload.py checks it sets every field.
    """
    event = object.__new__(Event)
    event.__dict__.update(
        name=name,
        timestamp=time.time(),
        instance_id=instance_id,
        data_json=None,
        model=model,
        using=using,
        _instance_values=values,
    )
    return event


def new_event_id() -> str:
    """A random (version 4) UUID, from the process PRNG rather than ``os.urandom``.

    Event ids need uniqueness, not secrecy. ``uuid.uuid4()`` reads ``os.urandom``,
    a system call that releases the GIL, and the caller (inside ``save()``) then
    waits for the delivery thread to hand the GIL back: measured ~90 us of a ~130 us
    dispatch with 10 hooks. ``random`` is reseeded from the OS in forked children.
    Formatted by hand: ``str(uuid.UUID(int=..., version=4))`` costs twice as much.
    """
    digits = "%032x" % (random.getrandbits(128) & _UUID_CLEAR | _UUID_V4)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# Version 4 in bits 76-79, RFC 4122 variant (0b10) in bits 62-63: what uuid.UUID sets.
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID_V4 = (4 << 76) | (2 << 62)


def model_action(signal: object, kwargs: Mapping[str, Any]) -> str:
    """``created`` / ``updated`` / ``deleted``, or ``signal`` for custom model signals."""
    if signal is post_delete:
        return "deleted"
    if "created" in kwargs:
        return "created" if kwargs["created"] else "updated"
    return "signal"


def build_model_event(
    action: str,
    instance: Model,
    kwargs: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    serialize: Callable[[Model], str] | None = None,
) -> Event:
    """A new snapshot of ``instance`` (``snapshots.model_event`` shares one per dispatch).

    With default options and no ``extra`` data, the raw values are copied now and the
    JSON text is made on first use (:class:`_InstanceJSON`); otherwise it is made now.
    """
    label, name = _names(type(instance), action)
    instance_id = str(instance.pk)
    using = kwargs.get("using") or instance._state.db
    values = copy_values(instance) if serialize is None and not extra else None
    if values is not None:
        return _snapshot(name, instance_id, values, label, using)
    serialized = serialize(instance) if serialize is not None else serialize_instance(instance)
    return Event(
        name=name,
        instance_id=instance_id,
        instance_json=serialized,
        data_json=dumps_data(extra) if extra else None,
        model=label,
        using=using,
    )


@functools.cache
def _names(model: type[Model], action: str) -> tuple[str, str]:
    # One shared string per model and action: Options.label builds a new one per call,
    # and pending events (up to MAX_QUEUE of them) would each hold two copies.
    label = model._meta.label
    return label, f"{label}:{action}"


def custom_event(name: str, data: Mapping[str, Any]) -> Event:
    """The event for a signal without a model instance: its kwargs become ``Data``."""
    return Event(name=name, data_json=dumps_data(data))
