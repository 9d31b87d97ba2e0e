"""Rows this process leaves to the fleet: wake the workers, or enqueue Django tasks.

After a durable row is written in the caller's transaction (``DURABLE_INLINE=False``,
or Django Tasks mode), nothing more happens in this process than one step at commit:

* workers: ``NOTIFY`` on PostgreSQL, which wakes every ``signalhooks_worker`` listening
  on that database (other databases: the workers poll);
* tasks: the committed rows' ids are enqueued as a task (:mod:`signalhooks.outbox.task`).

Inside ``transaction.atomic()`` the rows of one transaction are collected and handed
over together by one ``on_commit`` callback on the rows' database (one NOTIFY, one
task per :data:`~signalhooks.outbox.task.CHUNK` rows); a rolled-back transaction
hands over nothing. In autocommit the row is committed already and is handed over at
once. Handing over never raises into the caller: a failure is logged, the rows stay
pending, and the sweep (``signalhooks_worker --sweep``) or a worker takes them once
they are overdue.
"""

from __future__ import annotations

import logging
import threading

from django.db import transaction

from .atomic import connection_of

__all__ = ["hand_over", "hand_over_now"]

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


def hand_over(using: str, row_id: int, tasks: bool, in_atomic: bool) -> None:
    """The row ``row_id`` on ``using`` is written; hand it over when it is committed."""
    if not in_atomic:
        hand_over_now(using, row_id, tasks)
        return
    connection = connection_of(using)
    pending: dict[str, _Pending] | None = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = {}
    batch = pending.get(using)
    if batch is None or batch.done or batch.callbacks is not connection.run_on_commit:
        batch = pending[using] = _Pending(using, tasks, connection.run_on_commit)
        transaction.on_commit(batch.run, using=using)
    batch.items.append((row_id, 0))


def hand_over_now(using: str, row_id: int, tasks: bool) -> None:
    """Hand over a row that is committed already (autocommit)."""
    _send(using, tasks, [(row_id, 0)])


def _send(using: str, tasks: bool, items: list[tuple[int, int]]) -> None:
    if tasks:
        from ..outbox.task import enqueue

        enqueue(using, items)
        return
    from ..outbox.store import notify  # models: not at import time (hooks import this)

    try:
        notify(using)
    except Exception as exc:  # the workers' poll finds the rows anyway
        logger.warning("signalhooks: NOTIFY on %r failed (%s); the workers poll", using, exc)
