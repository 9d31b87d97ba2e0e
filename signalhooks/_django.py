"""The private parts of Django that signalhooks reads, each in one function here.

Django offers no "dispatch ended" signal and no pre-commit hook, so writing every
durable row of one dispatch in one INSERT (:mod:`signalhooks.accept.batch`) needs to
know which receivers ``Signal.send()`` is about to call, and whether a commit callback
is still pending. None of this is public API: ``tests/unit/test_django_internals.py``
checks each function against the installed Django in every CI leg, so that a release
that changes one fails there rather than silently costing an INSERT per hook. Each
function answers ``None`` (or the safe answer) when what it reads is not there.
"""

from __future__ import annotations

import types
from typing import Any

from django.dispatch import Signal

__all__ = ["commit_callbacks", "savepoint_ids", "sending_receivers"]

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


def commit_callbacks(connection: Any) -> list[Any]:
    """``connection.run_on_commit``: the ``(savepoint ids, callback, robust)`` entries of
    its transaction. A savepoint's rollback removes the entries registered inside it."""
    callbacks = getattr(connection, "run_on_commit", None)
    return callbacks if isinstance(callbacks, list) else []


def savepoint_ids(connection: Any) -> tuple[str, ...]:
    """``connection.savepoint_ids``: the savepoints open now, outermost first."""
    return tuple(getattr(connection, "savepoint_ids", ()))
