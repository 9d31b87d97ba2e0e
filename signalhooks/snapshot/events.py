"""Events: frozen snapshots taken in the caller's thread when a signal fires.

An :class:`Event` holds only strings (and, until first used, the instance's
immutable field values in an :class:`InstanceJSON`; and the immutable trace context
of the request that fired the signal), so it can cross to the delivery thread and be
retried later without touching the model instance again.
The seed's message format (``Event`` / ``InstanceId`` / ``Instance``) is rendered
from it here, once, and shared by every target of the event.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete

from .data import standard_data
from .serialization import Dumpable, dumps_data, encode

__all__ = [
    "Event",
    "InstanceJSON",
    "custom_event",
    "default_event_name",
    "model_action",
    "model_names",
    "new_event_id",
]

#: Keyword arguments of model signals that describe the dispatch, not the data.
RESERVED_KWARGS = frozenset(
    {"signal", "sender", "instance", "created", "raw", "using", "update_fields", "origin"}
)


class InstanceJSON:
    """The instance as Django's JSON serializer writes it: text now, or copied values
    encoded on first use.

    The caller's thread copies the raw values (cheap); Django's field-by-field dump and
    the JSON text wait for whoever reads :attr:`text` first, usually the delivery
    thread. Safe to read from several threads at once: each gets the same text.
    ``custom``: a hook's ``serializer=`` wrote it (not Django's ``{"model", "pk",
    "fields"}``), which the "standard" body sends as it is.
    """

    __slots__ = ("_text", "_values", "custom")

    def __init__(
        self, text: str | None = None, *, values: Dumpable | None = None, custom: bool = False
    ) -> None:
        if (text is None) == (values is None):
            raise ValueError("InstanceJSON needs exactly one of text and values")
        self._text = text
        self._values = values
        self.custom = custom

    @property
    def text(self) -> str:
        text = self._text
        if text is not None:
            return text
        values = self._values
        if values is None:  # another thread has just encoded it (it sets _text first)
            return self._text  # type: ignore[return-value]
        text = self._text = encode(values.dump())
        self._values = None
        return text

    @property
    def is_encoded(self) -> bool:
        return self._values is None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, InstanceJSON)
            and self.text == other.text
            and self.custom == other.custom
        )

    def __hash__(self) -> int:
        return hash(self.text)


@dataclass(frozen=True)
class Event:
    """What happened, frozen at signal time.

    Every hook that one signal dispatch reaches, and every attempt at each of them,
    carries the same ``id``. ``repr()`` and ``dataclasses.replace()`` leave the
    instance's JSON as it is (not yet encoded, if it was not).
    """

    name: str
    id: str = field(default_factory=lambda: new_event_id())
    timestamp: float = field(default_factory=time.time)
    instance_id: str | None = None
    instance: InstanceJSON | None = field(default=None, repr=False)
    data_json: str | None = None  # JSON text of a custom signal's other kwargs
    model: str | None = None  # ``app_label.ModelName``
    using: str | None = None  # database alias of the instance
    #: The OpenTelemetry span context current when the signal fired (an immutable
    #: ``SpanContext``), or ``None``: no trace, or tracing off. See signalhooks.telemetry.
    trace: Any = field(default=None, repr=False, compare=False)
    #: An update's previous values of the sent fields it changed, as Django's
    #: serializer writes values (``previous_attributes=True`` hooks only).
    previous: InstanceJSON | None = field(default=None, repr=False)
    #: The body format a stored delivery was accepted with (events read back from the
    #: outbox): it is sent so even if its endpoint changed format since. ``None``: the
    #: target's format.
    body_format: str | None = None

    @property
    def instance_json(self) -> str | None:
        """One object of Django's JSON serializer, without the list brackets."""
        return None if self.instance is None else self.instance.text

    @property
    def previous_json(self) -> str | None:
        """JSON text of :attr:`previous`: ``{field name: value before the save}``."""
        return None if self.previous is None else self.previous.text

    @cached_property
    def instance_b64(self) -> str | None:
        text = self.instance_json
        return None if text is None else base64.b64encode(text.encode()).decode("ascii")

    @cached_property
    def iso_timestamp(self) -> str:
        stamp = datetime.fromtimestamp(self.timestamp, UTC).isoformat(timespec="microseconds")
        return stamp.replace("+00:00", "Z")

    def seed_fields(self) -> dict[str, str]:
        """The three keys of the 0.1.1 format, present for model events only."""
        if self.instance is None:
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

    @cached_property
    def standard_data_json(self) -> str:
        """The ``data`` of the "standard" body as compact JSON text (see
        :mod:`signalhooks.snapshot.data`): ``{"id", <fields>...}`` for a model event,
        with ``previous_attributes`` if any, merged with a signal's other arguments."""
        data = standard_data(
            model=self.model,
            instance_json=self.instance_json,
            custom=self.instance is not None and self.instance.custom,
            instance_id=self.instance_id,
            previous_json=self.previous_json,
            data_json=self.data_json,
        )
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @cached_property
    def standard_body(self) -> bytes:
        """The body Standard Webhooks recommends: ``{"type", "timestamp", "data"}``."""
        head = json.dumps(
            {"type": self.name, "timestamp": self.iso_timestamp},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return f'{head[:-1]},"data":{self.standard_data_json}}}'.encode()


def new_event_id() -> str:
    """A random (version 4) UUID, from the process PRNG rather than ``os.urandom``.

    Event ids need uniqueness, not secrecy. ``uuid.uuid4()`` reads ``os.urandom``, a
    system call that releases the GIL, and the caller (inside ``save()``) then waits
    for the delivery thread to hand the GIL back. ``random`` is reseeded from the OS
    in forked children. Formatted by hand: ``str(uuid.UUID(int=..., version=4))``
    costs twice as much.
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


@functools.cache
def model_names(model: type[Model], action: str) -> tuple[str, str]:
    """``(app_label.Model, app_label.Model:action)``, one shared string per model and action.

    ``Options.label`` builds a new string per call, and pending events (up to
    ``MAX_QUEUE`` of them) would each hold two copies.
    """
    label = model._meta.label
    return label, f"{label}:{action}"


def default_event_name(signal: object, kwargs: Mapping[str, Any]) -> str:
    """The name of an event no hook names: ``app_label.Model:action``, or ``signal``."""
    instance = kwargs.get("instance")
    if isinstance(instance, Model):
        return model_names(type(instance), model_action(signal, kwargs))[1]
    return "signal"


def custom_event(name: str, data: Mapping[str, Any]) -> Event:
    """A new event without an instance: ``data`` becomes ``Data``."""
    return Event(name=name, data_json=dumps_data(data))
