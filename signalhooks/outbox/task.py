"""Django Tasks mode: durable rows delivered by the task workers a project already runs.

With ``SIGNALHOOKS["TASKS_BACKEND"]`` naming an alias of Django's ``TASKS`` setting,
the rows a transaction commits are enqueued (by row id, see
:mod:`signalhooks.accept.handover`) as one task, :data:`deliver` (or :data:`adeliver`,
the ``async`` twin, where the backend accepts coroutine tasks), on ``TASKS_QUEUE``.
The task runs in the backend's own worker process (``db_worker``, ``rqworker``,
``celery worker``...):

1. it leases its rows (:func:`~signalhooks.outbox.store.claim_rows`: pending, not
   leased, and with the attempts it was enqueued for; so a task run twice sends once);
2. hands them to this process's delivery engine, the same lanes, targets, signing and
   batching as everywhere else, and waits until every outcome is written;
3. a failed attempt is enqueued again with ``run_after`` at its next scheduled time
   where the backend can defer tasks; elsewhere the row is left to the schedule, which
   ``signalhooks_worker --sweep`` (or a plain ``signalhooks_worker``) keeps.

The row, not the task, is the truth: a task that is never enqueued (a process that
died after commit, a broker that is down) or that the broker loses leaves a pending
row that becomes overdue after ``DURABLE_LEASE`` seconds, and the sweep enqueues it
again. Delivery is at-least-once, as for every durable row.

The task objects are created when this module is imported, with the configured
backend and queue, because every backend's worker finds a task by its import path
(``signalhooks.outbox.task.deliver``). Celery's ``autodiscover_tasks()`` imports it
through ``signalhooks.tasks``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import inspect
import logging
from collections.abc import Sequence
from datetime import datetime
from types import ModuleType
from typing import Any

from asgiref.sync import sync_to_async
from django.core.signals import setting_changed
from django.dispatch import receiver

from .. import conf
from ..engine.bridge import get_engine
from ..exceptions import PayloadError
from ..outcome.results import DeliveryResult
from .codec import HookRegistry, decode
from .inline import DurableDelivery, inline_owner
from .store import claim_rows, mark_dead

__all__ = [
    "CHUNK",
    "TaskDelivery",
    "adeliver",
    "backend",
    "deliver",
    "enqueue",
    "tasks_api",
]

logger = logging.getLogger("signalhooks")

#: Most rows one task carries.
CHUNK = 100

_api: list[ModuleType | None] = []


def tasks_api() -> ModuleType | None:
    """``django.tasks`` (Django 6.0+), the ``django_tasks`` backport, or ``None``."""
    if not _api:
        found = None
        for name in ("django.tasks", "django_tasks"):
            try:
                found = importlib.import_module(name)
                break
            except ImportError:
                continue
        _api.append(found)
    return _api[0]


def backend(alias: str | None = None) -> Any:
    """The task backend of ``alias`` (default ``TASKS_BACKEND``); raises if unusable."""
    api = tasks_api()
    if api is None:
        raise RuntimeError(
            "SIGNALHOOKS['TASKS_BACKEND'] needs Django's tasks framework: Django 6.0+, "
            "or the django-tasks backport on Django 5.2"
        )
    return api.task_backends[alias or conf.get("TASKS_BACKEND")]


# -- the tasks -------------------------------------------------------------------------


def deliver(using: str, rows: list[list[int]]) -> dict[str, int]:
    """Deliver the outbox rows ``[[row id, attempts], ...]`` of database ``using``."""
    return _wait(_start(using, rows))


async def adeliver(using: str, rows: list[list[int]]) -> dict[str, int]:
    """:func:`deliver` as a coroutine: the database work in a thread, the wait awaited."""
    started = await sync_to_async(_start)(using, rows)
    if started.futures:
        await asyncio.wait([asyncio.wrap_future(f) for f in started.futures], timeout=_limit())
    return started.counts()


class _Started:
    def __init__(self, futures: list[concurrent.futures.Future[DeliveryResult]], dead: int):
        self.futures = futures
        self.dead = dead

    def counts(self) -> dict[str, int]:
        done = [f.result() for f in self.futures if f.done()]
        delivered = sum(1 for result in done if result.ok)
        return {
            "delivered": delivered,
            "failed": len(done) - delivered + self.dead,
            "unfinished": len(self.futures) - len(done),
        }


def _limit() -> float:
    # After the lease the row is another's to send; waiting longer helps nobody.
    return float(conf.get("DURABLE_LEASE"))


def _wait(started: _Started) -> dict[str, int]:
    if started.futures:
        concurrent.futures.wait(started.futures, timeout=_limit())
    return started.counts()


_registry = HookRegistry()


def _start(using: str, rows: Sequence[Sequence[int]]) -> _Started:
    """Claim the task's rows and hand them to the engine; futures of their outcomes."""
    items = [(int(row_id), int(attempts)) for row_id, attempts in rows]
    claimed = claim_rows(using, inline_owner(), items, _limit())
    futures: list[concurrent.futures.Future[DeliveryResult]] = []
    bad: list[tuple[int, str]] = []
    engine = get_engine()
    for row in claimed:
        try:
            hook = _registry.find(row.hook_key, row.target)
            event, request = decode(row.payload)
        except PayloadError as exc:
            bad.append((row.id, str(exc)))
            logger.error("signalhooks task: outbox row %d is dead: %s", row.id, exc)
            continue
        future: concurrent.futures.Future[DeliveryResult] = concurrent.futures.Future()
        delivery = TaskDelivery(event, hook.target, hook, request, future)
        delivery.row_id = row.id
        delivery.using = using
        delivery.attempts = row.attempts
        futures.append(future)
        engine.accept(delivery)
    if bad:
        mark_dead(using, inline_owner(), bad)
    return _Started(futures, len(bad))


class TaskDelivery(DurableDelivery):
    """A row claimed by a task; a failed attempt is enqueued again for its next time."""

    __slots__ = ()

    @property
    def grace(self) -> float:  # type: ignore[override]
        # A deferred task will come for the row at its next time: keep workers and the
        # sweep off it until a lease later. Without deferral the schedule is theirs.
        return _limit() if _can_defer() else 0.0

    def rescheduled(self, when: datetime) -> None:
        if _can_defer():
            enqueue(self.using, [(self.row_id, self.attempts)], run_after=when)


def _can_defer() -> bool:
    try:
        return bool(conf.get("TASKS_BACKEND")) and bool(backend().supports_defer)
    except Exception:  # reported by the system checks; the schedule still holds
        return False


# -- enqueueing ------------------------------------------------------------------------


def enqueue(
    using: str, items: Sequence[tuple[int, int]], *, run_after: datetime | None = None
) -> int:
    """Enqueue tasks for ``(row id, attempts)`` pairs, :data:`CHUNK` rows per task.

    Returns how many rows were handed to the backend. A failure is logged, never
    raised: the rows stay pending and the sweep enqueues them once they are overdue.
    """
    handed = 0
    try:
        task = _task_for(run_after)
        for start in range(0, len(items), CHUNK):
            chunk = [[row_id, attempts] for row_id, attempts in items[start : start + CHUNK]]
            task.enqueue(using, chunk)
            handed += len(chunk)
    except Exception as exc:
        logger.error(
            "signalhooks: enqueueing %d outbox rows on tasks backend %r failed (%s: %s); "
            "they are delivered once overdue (signalhooks_worker --sweep)",
            len(items) - handed,
            conf.get("TASKS_BACKEND"),
            type(exc).__name__,
            exc,
        )
    return handed


def _task_for(run_after: datetime | None) -> Any:
    chosen = backend()
    func = _functions["adeliver" if chosen.supports_async_task else "deliver"]
    base = globals()[func.__name__]
    if not hasattr(base, "using"):  # imported before TASKS_BACKEND was set (tests)
        base = _as_task(func, chosen)
    return base.using(
        backend=conf.get("TASKS_BACKEND"), queue_name=conf.get("TASKS_QUEUE"), run_after=run_after
    )


def _as_task(func: Any, chosen: Any = None) -> Any:
    """``func`` as a task of the configured backend, or ``func`` itself without one."""
    try:
        if not conf.get("TASKS_BACKEND"):
            return func
        chosen = chosen or backend()
        if inspect.iscoroutinefunction(func) and not chosen.supports_async_task:
            return func
        api = tasks_api()
        assert api is not None
        made = api.task(backend=conf.get("TASKS_BACKEND"), queue_name=conf.get("TASKS_QUEUE"))(func)
        return made
    except Exception as exc:  # reported by the system checks
        logger.debug("signalhooks: no task for %s: %s", func.__name__, exc)
        return func


#: The plain functions; the module names them as tasks (their import path is the task's).
_functions: dict[str, Any] = {"deliver": deliver, "adeliver": adeliver}
deliver = _as_task(deliver)
adeliver = _as_task(adeliver)


@receiver(setting_changed)
def _rebuild(*, setting: str, **kwargs: Any) -> None:
    """Tests: tasks made for the new backend (a worker in the test process imports them).

    Runs after :mod:`signalhooks.conf` has dropped its cache: receivers run in the order
    they were connected, and that module is imported before this one.
    """
    global deliver, adeliver
    if setting in ("SIGNALHOOKS", "TASKS"):
        deliver = _as_task(_functions["deliver"])
        adeliver = _as_task(_functions["adeliver"])
