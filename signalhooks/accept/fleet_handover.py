"""Rows this process leaves to the fleet: wake the workers, or enqueue Django tasks.

After a durable row is written in the caller's transaction (``DURABLE_INLINE=False``,
or Django Tasks mode), nothing more happens in this process than one step at commit:

* workers: one ``NOTIFY`` on PostgreSQL carrying the number of rows, on which as many
  ``signalhooks_worker`` processes claim as the rows need (:mod:`signalhooks.outbox.wake`;
  other databases: the workers poll);
* tasks: the committed rows' ids are enqueued as a task (:mod:`signalhooks.outbox.enqueue`).

Inside ``transaction.atomic()`` the rows of one transaction are collected and handed
over together by one ``on_commit`` callback on the rows' database (one NOTIFY, one
task per :data:`~signalhooks.outbox.enqueue.CHUNK` rows); a rolled-back transaction
hands over nothing. In autocommit the rows of one write are committed already and are
handed over at once, together. Handing over never raises into the caller: a failure is
logged, the rows stay pending, and the sweep (``signalhooks_worker --sweep``) or a
worker takes them once they are overdue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from django.db import transaction

from .._internals import commit_callbacks, connection_of
from ..outbox.enqueue import enqueue
from ..outbox.wake import notify

__all__ = ["hand_over"]

logger = logging.getLogger("signalhooks")


class _Pending:
    """The rows of one transaction on one database, handed over at its commit."""

    __slots__ = ("callbacks", "done", "items", "tasks", "using")

    def __init__(self, using: str, tasks: bool, callbacks: object) -> None:
        self.using = using
        self.tasks = tasks
        self.items: list[tuple[int, int]] = []
        #: Django's list of the transaction's commit callbacks when ours joined it: a
        #: commit or a savepoint rollback replaces that list, so a later row whose
        #: transaction no longer holds this list starts a new collection.
        self.callbacks = callbacks
        self.done = False

    def run(self) -> None:
        self.done = True
        _send(self.using, self.tasks, self.items)


_local = threading.local()


def hand_over(rows: Sequence[tuple[str, int]], tasks: bool, in_atomic: bool) -> None:
    """The ``(alias, row id)`` rows are written: hand them over once they are committed."""
    by_alias: dict[str, list[tuple[int, int]]] = {}
    for using, row_id in rows:
        by_alias.setdefault(using, []).append((row_id, 0))
    for using, items in by_alias.items():
        if in_atomic:
            _pending(using, tasks).items.extend(items)
        else:
            _send(using, tasks, items)


def _pending(using: str, tasks: bool) -> _Pending:
    """The collection of the open transaction on ``using``, registered at its first row."""
    connection = connection_of(using)
    pending: dict[str, _Pending] | None = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = {}
    batch = pending.get(using)
    callbacks = commit_callbacks(connection)
    if batch is None or batch.done or batch.callbacks is not callbacks:
        batch = pending[using] = _Pending(using, tasks, callbacks)
        transaction.on_commit(batch.run, using=using)
    return batch


def _send(using: str, tasks: bool, items: list[tuple[int, int]]) -> None:
    if tasks:
        enqueue(using, items)
        return
    try:
        notify(using, len(items))
    except Exception as exc:  # the workers' poll finds the rows anyway
        logger.warning("signalhooks: NOTIFY on %r failed (%s); the workers poll", using, exc)
