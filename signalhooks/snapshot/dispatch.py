"""One dispatch, one event: every hook that one signal dispatch reaches shares its id.

A :class:`Dispatch` is what the hooks of one ``signal.send()`` (or ``send_robust``,
or the async receivers of one ``asend``) have in common: the event id, the
timestamp, the instance's snapshot (copied once, however many hooks share it), the
custom signal's encoded ``Data``, and where its deliveries go. Hooks with their own
payload options (``fields=``...) serialize for themselves, with the same id.

Django says nothing when a dispatch starts or ends, so a hook call joins the last
dispatch of its thread when it is certainly the same one: called from the same place
(the sending frame; for ``async_receiver``, the same loop iteration, in which
``asend`` starts all of its receivers), with the same signal, sender and keyword
argument objects, and this hook not yet called in it. A hook called twice starts a new
dispatch, so a second ``save()`` of an instance changed in between is snapshotted
afresh even when every argument is the same object. (Not caught: two dispatches from
the same place with the same argument objects, between which every hook of the first
was disconnected and only new ones connected; the second would join the first.)

A dispatch also carries the durable rows its hooks hold until the last of them writes
them all (:mod:`signalhooks.accept.batch`); a new dispatch of the thread tells the last
one's rows that their dispatch has ended.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from operator import is_
from types import FrameType
from typing import Any, Protocol

from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from ..telemetry.tracing import capture
from .events import RESERVED_KWARGS, Event, InstanceJSON, model_action, model_names, new_event_id
from .serialization import copy_values, dumps_data, serialize_instance

__all__ = ["Dispatch", "join_dispatch", "loop_tick"]

_local = threading.local()
_serials = itertools.count(1)
_UNSET: Any = object()


class HeldRows(Protocol):
    """What a dispatch knows of the durable rows its hooks hold (see the accept layer)."""

    def abandoned(self) -> None:
        """A new dispatch started in this thread while rows were still held."""


class Dispatch:
    """The hooks' view of one signal dispatch; see the module docstring."""

    __slots__ = (
        "_data",
        "_extra",
        "_named",
        "default_event",
        "frame",
        "id",
        "kwargs",
        "marker",
        "route",
        "rows",
        "seen",
        "sender",
        "serial",
        "signal",
        "timestamp",
        "trace",
        "values",
    )

    def __init__(
        self,
        signal: object,
        sender: object,
        kwargs: Mapping[str, Any],
        marker: object = None,
        first: int = 0,
    ) -> None:
        self.signal = signal
        self.sender = sender
        self.kwargs = kwargs
        self.values = tuple(kwargs.values())
        self.marker = marker
        self.seen = {first}
        #: Increases with every dispatch: ``when_changed`` computes changes once per save.
        self.serial = next(_serials)
        self.id = new_event_id()
        self.timestamp = time.time()
        #: The trace context of the code that sent the signal (``None`` unless tracing).
        self.trace = capture()
        #: Where this dispatch's deliveries go, decided by its first hook (see hooks).
        self.route: Any = None
        #: The event of hooks with default options, once one of them has asked.
        self.default_event: Event | None = None
        #: The frame that calls the hook being called now (``Signal.send()``'s loop), or
        #: ``None`` between hook calls: never kept longer, frames hold every local.
        self.frame: FrameType | None = None
        #: The durable rows held for this dispatch's last hook to write (accept layer).
        self.rows: HeldRows | None = None
        self._data: Any = _UNSET
        self._extra: Any = _UNSET
        self._named: dict[str, Event] | None = None  # the default event under other names

    def event(self, name: str | None, serialize: Callable[[Model], str] | None = None) -> Event:
        """The event for a hook naming it ``name`` (``None``: the default name).

        ``serialize`` replaces the default serialization of the instance (a hook's
        payload options); the default snapshot is built once and shared.
        """
        if serialize is not None:
            instance = self.kwargs.get("instance")
            assert isinstance(instance, Model)  # hooks pass serialize for model events only
            # A hook's serializer= shapes the instance itself: "custom" for the standard data.
            custom = bool(getattr(serialize, "custom", False))
            event = self._model_event(instance, InstanceJSON(serialize(instance), custom=custom))
        else:
            event = self.default_event or self._default()
            if name is not None and name != event.name:
                # One object per name: the outbox encodes each event object once, and
                # the hooks that name the event alike share it.
                named = self._named
                if named is None:
                    named = self._named = {}
                renamed = named.get(name)
                if renamed is None:
                    renamed = named[name] = replace(event, name=name)
                return renamed
        if name is not None and name != event.name:
            event = replace(event, name=name)  # same id, same snapshot
        return event

    def _default(self) -> Event:
        instance = self.kwargs.get("instance")
        if not isinstance(instance, Model):
            event = Event(
                "signal", self.id, self.timestamp, data_json=self._data_json(), trace=self.trace
            )
        else:
            values = copy_values(instance)
            text = (
                InstanceJSON(values=values)
                if values is not None
                else InstanceJSON(serialize_instance(instance))
            )
            event = self._model_event(instance, text)
        self.default_event = event
        return event

    def _model_event(self, instance: Model, text: InstanceJSON) -> Event:
        label, name = model_names(type(instance), model_action(self.signal, self.kwargs))
        return Event(
            name=name,
            id=self.id,
            timestamp=self.timestamp,
            instance_id=str(instance.pk),
            instance=text,
            data_json=self._extra_json(),
            model=label,
            using=self.kwargs.get("using") or instance._state.db,
            trace=self.trace,
        )

    def _data_json(self) -> str:
        """A signal without an instance: its keyword arguments, encoded once."""
        if self._data is _UNSET:
            self._data = dumps_data(self.kwargs)
        text: str = self._data
        return text

    def _extra_json(self) -> str | None:
        """A custom signal with an instance: its other keyword arguments, encoded once."""
        if self._extra is _UNSET:
            signal = self.signal
            extra = None
            if signal is not post_save and signal is not post_delete:  # their kwargs are fixed
                extra = {k: v for k, v in self.kwargs.items() if k not in RESERVED_KWARGS}
            self._extra = dumps_data(extra) if extra else None
        text: str | None = self._extra
        return text


def join_dispatch(
    hook: object,
    signal: object,
    sender: object,
    kwargs: Mapping[str, Any],
    marker: object,
    frame: FrameType | None = None,
) -> Dispatch:
    """The dispatch ``hook`` is being called in: the thread's last one, or a new one.

    ``frame``: the hook's caller, kept on the dispatch for the duration of the call.
    """
    key = id(hook)
    last: Dispatch | None = getattr(_local, "last", None)
    if (
        last is not None
        and last.marker == marker
        and last.signal is signal
        and last.sender is sender
        and key not in last.seen
        and len(kwargs) == len(last.values)
        and all(map(is_, last.values, kwargs.values()))
    ):
        last.seen.add(key)
        last.frame = frame
        return last
    if last is not None and last.rows is not None:
        rows, last.rows = last.rows, None
        rows.abandoned()
    last = _local.last = Dispatch(signal, sender, kwargs, marker, key)
    last.frame = frame
    return last


def loop_tick() -> object:
    """A marker for the running loop's current iteration (``async_receiver``'s dispatch)."""
    loop = asyncio.get_running_loop()
    tick: tuple[asyncio.AbstractEventLoop, object] | None = getattr(_local, "tick", None)
    if tick is None or tick[0] is not loop:
        tick = _local.tick = (loop, object())
        loop.call_soon(_end_tick, tick)
    return tick[1]


def _end_tick(tick: tuple[asyncio.AbstractEventLoop, object]) -> None:
    if getattr(_local, "tick", None) is tick:
        _local.tick = None
