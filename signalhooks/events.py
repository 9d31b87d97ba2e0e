"""Events: frozen snapshots taken in the caller's thread when a signal fires.

An :class:`Event` holds only strings (and, until first used, the instance's
immutable field values), so it can cross to the delivery thread and be retried
later without touching the model instance again. The seed's message
format (``Event`` / ``InstanceId`` / ``Instance``) is rendered from it here, once,
and shared by every target of the event.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from .serialization import InstanceValues, copy_values, dumps_data, encode, serialize_instance

__all__ = ["Event", "async_receiver_scope", "custom_event", "dispatch_event", "model_event"]

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


# One dispatch calls every connected hook in turn with the same instance; serializing
# it once per dispatch instead of once per hook is most of the caller's cost. The memo
# is per thread and lives for one *scope*, which must end before the instance can
# change between two dispatches:
# - post_save / post_delete: until the next pre_save / pre_delete (always sent before
#   their post_ signal in the same thread), so a second save() is serialized afresh;
# - any other signal, for ``async_receiver``: one loop iteration. ``asend`` starts
#   every async receiver's task at once, so their first steps (where the event is
#   built) run in the same iteration, after any change the sending code made; a
#   callback ends the scope after it.
# Other signals sent synchronously are not memoized (nothing marks where they end).
# Within a scope, a hook asking twice means a second dispatch: it gets a new event.
# (Two asend() of one instance in one iteration, whose hooks' conditions differ on
# update_fields/raw/using, may share an event id; their snapshots are the same.)
_memo = threading.local()


def _next_generation(**kwargs: Any) -> None:
    _memo.generation = getattr(_memo, "generation", 0) + 1


pre_save.connect(_next_generation, weak=False, dispatch_uid="signalhooks.events.generation")
pre_delete.connect(_next_generation, weak=False, dispatch_uid="signalhooks.events.generation")


def _loop_tick() -> object | None:
    """The memo scope of a running event loop's current iteration, or ``None``."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    tick: tuple[asyncio.AbstractEventLoop, object] | None = getattr(_memo, "tick", None)
    if tick is None or tick[0] is not loop:
        tick = _memo.tick = (loop, object())
        loop.call_soon(_end_tick, tick)
    return tick[1]


@contextlib.contextmanager
def async_receiver_scope() -> Iterator[None]:
    """Around building the event in ``async_receiver``: lets the memo last one iteration.

    Only there: a *synchronous* send of a custom signal inside a running loop can be
    followed, in the same iteration, by a change to the instance and another send.
    """
    _memo.in_async_receiver = True
    try:
        yield
    finally:
        _memo.in_async_receiver = False


def _end_tick(tick: tuple[asyncio.AbstractEventLoop, object]) -> None:
    if getattr(_memo, "tick", None) is tick:
        _memo.tick = None


@dataclass(slots=True)
class _Memo:
    instance: Model
    signal: object
    action: str
    scope: object
    event: Event
    consumers: set[int]


def model_event(
    signal: object,
    instance: Model,
    kwargs: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
    serialize: Callable[[Model], str] | None = None,
    consumer: object = None,
) -> Event:
    """The event for a signal that passed a model ``instance`` (memoized per dispatch).

    ``serialize`` replaces the default serialization (a hook's payload options); such
    events are not memoized, so hooks with other options never share a snapshot.
    ``consumer`` (the hook asking) tells a second dispatch from the same one.
    """
    action = model_action(signal, kwargs)
    if extra or serialize is not None:
        scope: object = None
    elif signal is post_save or signal is post_delete:
        scope = getattr(_memo, "generation", 0)
    elif getattr(_memo, "in_async_receiver", False):
        scope = _loop_tick()
    else:
        scope = None
    if scope is not None:
        cached: _Memo | None = getattr(_memo, "last", None)
        if (
            cached is not None
            and cached.instance is instance
            and cached.signal is signal
            and cached.action == action
            and cached.scope == scope
        ):
            consumers = cached.consumers
            key = id(consumer)
            if key not in consumers:
                if consumer is not None:
                    consumers.add(key)
                return cached.event
    label, name = _names(type(instance), action)
    instance_id = str(instance.pk)
    using = kwargs.get("using") or instance._state.db
    values = copy_values(instance) if serialize is None and not extra else None
    if values is not None:
        event = _snapshot(name, instance_id, values, label, using)
    else:
        serialized = serialize(instance) if serialize is not None else serialize_instance(instance)
        event = Event(
            name=name,
            instance_id=instance_id,
            instance_json=serialized,
            data_json=dumps_data(extra) if extra else None,
            model=label,
            using=using,
        )
    if scope is not None:
        consumers = set() if consumer is None else {id(consumer)}
        _memo.last = _Memo(instance, signal, action, scope, event, consumers)
    return event


def dispatch_event(signal: object, kwargs: Mapping[str, Any], consumer: object) -> Event | None:
    """:func:`model_event` of a ``post_save``/``post_delete`` dispatch, else ``None``.

    For hooks with default options, which share the dispatch's snapshot: the
    common case in two calls, since on cold caches every call counts in ``save()``.
    """
    instance = kwargs.get("instance")
    if (signal is not post_save and signal is not post_delete) or not isinstance(instance, Model):
        return None
    return model_event(signal, instance, kwargs, consumer=consumer)


@functools.cache
def _names(model: type[Model], action: str) -> tuple[str, str]:
    # One shared string per model and action: Options.label builds a new one per call,
    # and pending events (up to MAX_QUEUE of them) would each hold two copies.
    label = model._meta.label
    return label, f"{label}:{action}"


def custom_event(name: str, data: Mapping[str, Any]) -> Event:
    """The event for a signal without a model instance: its kwargs become ``Data``."""
    return Event(name=name, data_json=dumps_data(data))
