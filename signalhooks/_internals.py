"""The private parts of Django, asgiref, asyncio and CPython that signalhooks reads.

Each is read here and nowhere else, in one small function (or an alias bound at
import, where a function call per ``save()`` would cost): which receivers
``Signal.send()`` is about to call and the frame that marks a dispatch (one write
per dispatch, :mod:`signalhooks.accept.batch`), a signal's receivers (checks and
commands), the commit callbacks and savepoints of a connection, the calling thread's
connection without asgiref's ``RuntimeError`` round trip, Django's one-statement
delete, and the exit hook that runs before ``concurrent.futures`` shuts down.

None of this is public API of those projects. ``tests/unit/test_internals.py``
checks every function here against the installed versions in every CI leg, so that
a release that changes one fails there, in one place, rather than silently costing
an INSERT per hook or a round trip per save. Each function answers ``None`` (or the
safe answer) when what it reads is not there.
"""

from __future__ import annotations

import sys
import threading
import types
import weakref
from asyncio import _get_running_loop
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.dispatch.dispatcher import NONE_ID

__all__ = [
    "caller_frame",
    "commit_callbacks",
    "connection_of",
    "in_atomic_block",
    "raw_delete",
    "receivers_version",
    "register_exit_hook",
    "savepoint_ids",
    "sending_receivers",
    "signal_receivers",
]

#: ``caller_frame(1)`` in a receiver: the frame that called it (``Signal.send()``'s
#: loop, whose identity marks one dispatch). ``sys._getframe`` itself, bound once: the
#: hooks call it on every ``save()``.
caller_frame: Callable[[int], types.FrameType] = sys._getframe

#: The file of Django's dispatcher: a frame running there is a ``Signal`` method's loop.
_DISPATCHER = Signal.send.__code__.co_filename


def sending_receivers(frame: types.FrameType | None) -> list[Any] | None:
    """The sync receivers a ``Signal.send()``, ``send_robust()`` or ``asend()`` loop calls.

    ``frame`` is the caller of a receiver. Django 5.0 to 6.1 keep that list in the
    local ``sync_receivers`` of ``send()`` and ``send_robust()``, and of the function
    ``asend()`` runs its sync receivers in (a closure over the same name). Any other
    caller (a direct call, a wrapper, a ``Signal`` subclass of your own): ``None``.
    """
    if frame is None or frame.f_code.co_filename != _DISPATCHER:
        return None
    receivers = frame.f_locals.get("sync_receivers")
    return receivers if type(receivers) is list else None


def signal_receivers(signal: Signal) -> list[tuple[Any, Any]]:
    """``(sender id or None for any sender, receiver)`` of every live receiver of ``signal``.

    ``signal.receivers`` holds ``((receiver id, sender id), receiver or weak reference,
    is_async)`` entries in Django 5.0 to 6.1; the items are read by kind, not position.
    """
    found = []
    for entry in list(signal.receivers):
        key = entry[0] if isinstance(entry, tuple) else None
        sender_id = key[1] if isinstance(key, tuple) and len(key) == 2 else NONE_ID
        for item in entry if isinstance(entry, tuple) else (entry,):
            receiver = item() if isinstance(item, weakref.ref) else item
            if receiver is not None and callable(receiver) and not isinstance(receiver, type):
                found.append((None if sender_id == NONE_ID else sender_id, receiver))
    return found


def receivers_version(signal: Signal) -> tuple[int, Any]:
    """Changes when a receiver is connected to or disconnected from ``signal``: their
    number and the key of the last one (a connect appends, a disconnect removes)."""
    receivers = signal.receivers
    last = receivers[-1] if receivers else None
    return len(receivers), last[0] if isinstance(last, tuple) else last


def commit_callbacks(connection: Any) -> list[Any]:
    """``connection.run_on_commit``: the ``(savepoint ids, callback, robust)`` entries of
    its transaction. A commit or a savepoint's rollback replaces the list."""
    callbacks = getattr(connection, "run_on_commit", None)
    return callbacks if isinstance(callbacks, list) else []


def savepoint_ids(connection: Any) -> tuple[str, ...]:
    """``connection.savepoint_ids``: the savepoints open now, outermost first."""
    return tuple(getattr(connection, "savepoint_ids", ()))


def connection_of(using: str) -> Any:
    """``connections[using]`` of the calling thread (the one ``on_commit`` would use).

    Asked once per dispatch: ``transaction.get_connection()`` is the largest single
    step of a ``save()`` with hooks on cold caches, most of it asgiref's ``Local``
    finding out that no event loop runs by raising and catching a ``RuntimeError``.
    Outside an event loop, asgiref's thread-critical ``Local`` keeps connections in a
    plain ``threading.local`` (its private ``_storage``): read there, where that is
    certainly the same object. Anything else asks Django.
    """
    storage = getattr(getattr(connections, "_connections", None), "_storage", None)
    if _get_running_loop() is None and type(storage) is threading.local:
        connection = getattr(storage, using, None)
        if connection is not None:
            return connection
    return transaction.get_connection(using)


def in_atomic_block(using: str) -> bool:
    """``connections[using].in_atomic_block`` for the calling thread."""
    return bool(connection_of(using).in_atomic_block)


def raw_delete(rows: QuerySet[Any]) -> int:
    """Delete ``rows`` in one statement, without signals or cascades: how many.

    ``QuerySet._raw_delete``, the fast path of Django's own deletion collector. Only
    for tables nothing else points to with ``on_delete``.
    """
    return int(rows._raw_delete(rows.db))


def register_exit_hook(hook: Callable[[], None]) -> None:
    """Run ``hook`` at interpreter exit, before ``concurrent.futures`` shuts down.

    ``threading._register_atexit`` hooks run before the executors are shut down,
    which ``atexit`` hooks follow; elsewhere (another Python, or an interpreter
    already shutting down) ``atexit`` is the fallback.
    """
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is None:
            raise RuntimeError("no threading._register_atexit")
        register(hook)
    except RuntimeError:
        import atexit

        atexit.register(hook)
