"""Whether the thread that fired a signal is inside ``transaction.atomic()``.

Asked once per dispatch (by its first hook). Django's ``transaction.get_connection()``
is the largest single step of a ``save()`` with hooks on cold caches, most of it
asgiref's ``Local`` finding out that no event loop runs by raising and catching a
``RuntimeError``; this module avoids that round trip (see docs/performance.md).
"""

from __future__ import annotations

import threading
from asyncio import _get_running_loop
from typing import Any

from django.db import connections, transaction

__all__ = ["connection_of", "in_atomic_block"]


def in_atomic_block(using: str) -> bool:
    """``connections[using].in_atomic_block`` for the calling thread."""
    return bool(connection_of(using).in_atomic_block)


def connection_of(using: str) -> Any:
    """``connections[using]`` of the calling thread (the one ``on_commit`` would use)."""
    # What connections[using] returns, read directly where that is certainly the same
    # object: outside an event loop, asgiref's thread-critical Local keeps connections
    # in a plain threading.local (its private _storage). Anything else asks Django.
    storage = getattr(getattr(connections, "_connections", None), "_storage", None)
    if _get_running_loop() is None and type(storage) is threading.local:
        connection = getattr(storage, using, None)
        if connection is not None:
            return connection
    return transaction.get_connection(using)
