"""One snapshot per dispatch: every hook of one signal dispatch shares one Event.

Serializing the instance once per dispatch instead of once per hook is most of what
a dispatch costs the caller. The hard part is knowing where a dispatch ends, so that
an instance changed and sent again is snapshotted afresh (scopes, below).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from .events import Event, build_model_event, model_action

__all__ = ["async_receiver_scope", "dispatch_event", "model_event"]

# One dispatch calls every connected hook in turn with the same instance. The memo
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


pre_save.connect(_next_generation, weak=False, dispatch_uid="signalhooks.snapshots.generation")
pre_delete.connect(_next_generation, weak=False, dispatch_uid="signalhooks.snapshots.generation")


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
    """The event for a signal that passed a model ``instance``, shared by one dispatch.

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
    event = build_model_event(action, instance, kwargs, extra, serialize)
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
