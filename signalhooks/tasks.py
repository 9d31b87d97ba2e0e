"""The outbox's Django tasks, under the names brokers store: ``signalhooks.tasks.deliver``
and ``signalhooks.tasks.adeliver``.

In Django Tasks mode (``SIGNALHOOKS["TASKS_BACKEND"]``) the rows a transaction commits
are enqueued as one of these tasks, with their row ids; the backend's worker finds the
task by this path. The path is public and stable: messages in a broker outlive a
deploy. Importing this module makes the tasks with the configured backend, which
registers them with it (django-tasks-celery registers them with the Celery app);
the app's ``ready()`` imports it, and so does Celery's ``app.autodiscover_tasks()``.
"""

from __future__ import annotations

from .outbox.enqueue import outbox_task
from .outbox.task import adeliver_rows, deliver_rows

__all__ = ["adeliver", "deliver"]


def deliver(using: str, rows: list[list[int]]) -> dict[str, int]:
    """Deliver the outbox rows ``[[row id, attempts], ...]`` of database ``using``.

    Rows that are not pending, leased by another process, or enqueued for another
    attempt than the one they are at are left alone, so a task run twice sends once.
    Returns the counts of ``delivered``, ``failed`` and ``unfinished`` rows.
    """
    return deliver_rows(using, rows)


async def adeliver(using: str, rows: list[list[int]]) -> dict[str, int]:
    """:func:`deliver` as a coroutine, for backends that run ``async`` tasks."""
    return await adeliver_rows(using, rows)


deliver = outbox_task(deliver, enqueued=True)
adeliver = outbox_task(adeliver, enqueued=True)
