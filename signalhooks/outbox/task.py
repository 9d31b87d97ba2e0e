"""Django Tasks mode: durable rows delivered by the task workers a project already runs.

With ``SIGNALHOOKS["TASKS_BACKEND"]`` naming an alias of Django's ``TASKS`` setting,
the rows a transaction commits are enqueued (by row id, see
:mod:`signalhooks.accept.fleet_handover` and :mod:`.enqueue`) as one task,
``signalhooks.tasks.deliver`` (or ``adeliver``, the ``async`` twin, where the backend
accepts coroutine tasks), on ``TASKS_QUEUE``.
The task runs in the backend's own worker process (``db_worker``, ``rqworker``,
``celery worker``...):

1. it leases its rows (:func:`~signalhooks.outbox.store.claim_rows`: pending, not
   leased, and with the attempts it was enqueued for; so a task run twice sends once);
2. hands them to this process's delivery engine, the same lanes, targets, signing and
   batching as everywhere else, waits for the attempts, and writes their outcomes in
   one transaction on its own connection (which the worker keeps between tasks);
3. a failed attempt is enqueued again with ``run_after`` at its next scheduled time
   where the backend can defer tasks; elsewhere the row is left to the schedule, which
   ``signalhooks_worker --sweep`` (or a plain ``signalhooks_worker``) keeps.

Rate-limited rows go with a grant of the shared limit (:mod:`.limits`), the others are
enqueued again for when it lets them go. An ordered row is claimed only as the head of
its object's rows (:mod:`.ordering`); the task that finishes a head enqueues the next.

The row, not the task, is the truth: a task that is never enqueued (a process that
died after commit, a broker that is down) or that the broker loses leaves a pending
row that becomes overdue after ``DURABLE_LEASE`` seconds, and the sweep enqueues it
again. Delivery is at-least-once, as for every durable row.

This module is what those tasks run (:func:`deliver_rows`). Its own ``deliver`` and
``adeliver`` are the tasks of the same name that earlier releases enqueued, kept so
that messages queued under ``signalhooks.outbox.task.deliver`` still run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from asgiref.sync import sync_to_async

from .. import conf
from ..engine.bridge import get_engine
from ..outcome.report import counters, report
from ..outcome.results import Attempt
from ..targets.base import Delivery
from .attempts import attempt_rows
from .codec import HookRegistry, rebuild_rows
from .enqueue import can_defer, enqueue, outbox_task
from .inline import inline_owner
from .limits import admit
from .ordering import successors
from .store import claim_rows, mark_dead, outcome, record

__all__ = ["TaskDelivery", "adeliver", "adeliver_rows", "deliver", "deliver_rows"]


# -- what the tasks run ----------------------------------------------------------------


def deliver_rows(using: str, rows: list[list[int]]) -> dict[str, int]:
    """Deliver the outbox rows ``[[row id, attempts], ...]`` of database ``using``."""
    batch = _start(using, rows)
    while waiting := batch.waiting():
        concurrent.futures.wait(waiting, timeout=batch.slice())
        batch.record_finished()
    return batch.finish()


async def adeliver_rows(using: str, rows: list[list[int]]) -> dict[str, int]:
    """:func:`deliver_rows` as a coroutine: the database work in a thread, the sending
    awaited."""
    batch = await sync_to_async(_start)(using, rows)
    while waiting := batch.waiting():
        await asyncio.wait([asyncio.wrap_future(f) for f in waiting], timeout=batch.slice())
        await sync_to_async(batch.record_finished)()
    return await sync_to_async(batch.finish)()


#: Seconds between two recordings of a task's finished attempts: an attempt (and its
#: row in the attempts log) is recorded soon after its end, whatever the others take.
RECORD_EVERY = 1.0


def _limit() -> float:
    # After the lease the row is another's to send; waiting longer helps nobody.
    return conf.settings().durable_lease


class TaskDelivery(Delivery):
    """A row claimed by a task; its attempt goes back to the task, which records it."""

    __slots__ = ("abandoned", "attempt", "done", "row_id")

    records_attempts = True
    row_id: int
    attempt: concurrent.futures.Future[Attempt]
    done: Callable[[], None]
    abandoned: bool  # the task stopped waiting: the row's lease brings it back

    def take_over(self, attempt: Attempt, done: Callable[[], None]) -> bool:
        self.done = done
        if self.abandoned:
            counters.hand_off()
            done()
        else:
            self.attempt.set_result(attempt)
        return True


_registry = HookRegistry()


class _Batch:
    """The rows one task claimed, from the claim to their recorded outcomes."""

    def __init__(self, using: str, deliveries: list[TaskDelivery], dead: int) -> None:
        self.using = using
        self.unrecorded = deliveries
        self.counts = {"delivered": 0, "failed": dead, "unfinished": len(deliveries)}
        self.deadline = time.monotonic() + _limit()
        self.can_defer: bool | None = None

    def waiting(self) -> list[concurrent.futures.Future[Attempt]]:
        """The attempts still running, until the lease ends (then none)."""
        if time.monotonic() >= self.deadline:
            return []
        return [d.attempt for d in self.unrecorded if not d.attempt.done()]

    def slice(self) -> float:
        """Seconds to wait before recording what finished meanwhile."""
        return max(min(RECORD_EVERY, self.deadline - time.monotonic()), 0.0)

    def record_finished(self) -> None:
        """The task's thread: record the attempts made so far, report, enqueue the retries."""
        finished = [d.attempt.done() and not d.attempt.cancelled() for d in self.unrecorded]
        made = [d for d, done in zip(self.unrecorded, finished, strict=True) if done]
        if made:
            self.unrecorded = [
                d for d, done in zip(self.unrecorded, finished, strict=True) if not done
            ]
            self._record([(d, d.attempt.result()) for d in made])

    def finish(self) -> dict[str, int]:
        """The task's thread: record what finished; the counts.

        An attempt still running after the lease is not recorded: its row is
        another's by then, and whoever sends it records it.
        """
        for delivery in self.unrecorded:
            delivery.abandoned = not delivery.attempt.done()
        self.record_finished()
        return self.counts

    def _record(self, made: list[tuple[TaskDelivery, Attempt]]) -> None:
        if self.can_defer is None:
            self.can_defer = can_defer()
        try:
            decisions = record(
                self.using,
                inline_owner(),
                [outcome(d.row_id, d, attempt) for d, attempt in made],
                grace=_limit() if self.can_defer else 0.0,
                attempts=attempt_rows((d, attempt, d.row_id) for d, attempt in made),
            )
        except Exception:  # the task fails; the rows come back when their lease runs out
            for delivery, _ in made:
                counters.hand_off()
                delivery.done()
            raise
        retries: list[tuple[int, int, datetime]] = []
        for (delivery, attempt), decision in zip(made, decisions, strict=True):
            self.counts["unfinished"] -= 1
            self.counts["delivered" if attempt.ok else "failed"] += 1
            if decision.final:
                report(delivery.result(attempt), delivery.owner)
            else:
                counters.hand_off()  # the row's schedule has it now
                if self.can_defer and decision.next_attempt_at is not None:
                    retries.append((delivery.row_id, delivery.attempts, decision.next_attempt_at))
            delivery.done()
        for row_id, attempts, when in retries:
            enqueue(self.using, [(row_id, attempts)], run_after=when)
        finished = [d.row_id for (d, _), x in zip(made, decisions, strict=True) if x.final]
        enqueue(self.using, successors(self.using, finished))  # the next of ordered rows


def _start(using: str, rows: Sequence[Sequence[int]]) -> _Batch:
    """Claim the task's rows and hand them to this process's engine."""
    items = [(int(row_id), int(attempts)) for row_id, attempts in rows]
    claimed = claim_rows(using, inline_owner(), items, _limit())
    rebuilt, bad = rebuild_rows(_registry, claimed, "task")
    deferring = can_defer()
    # A deferred row waits for its task one lease past its time, as a retry does.
    rebuilt, deferred = admit(using, inline_owner(), rebuilt, grace=_limit() if deferring else 0)
    for row, when in deferred if deferring else ():
        enqueue(using, [(row.id, row.attempts)], run_after=datetime.fromtimestamp(when, UTC))
    deliveries: list[TaskDelivery] = []
    for row, (hook, target, event, request) in rebuilt:
        delivery = TaskDelivery(event, target, hook, request)
        delivery.row_id = row.id
        delivery.attempts = row.attempts
        delivery.attempt = concurrent.futures.Future()
        delivery.abandoned = False
        deliveries.append(delivery)
    if bad:
        mark_dead(using, inline_owner(), bad)
        enqueue(using, successors(using, [row_id for row_id, _ in bad]))
    engine = get_engine()
    for delivery in deliveries:
        if not engine.accept(delivery):  # a full queue (counted, logged): the lease brings
            delivery.attempt.cancel()  # the row back
    return _Batch(using, deliveries, len(bad))


# -- the tasks of earlier releases -----------------------------------------------------


def deliver(using: str, rows: list[list[int]]) -> dict[str, int]:
    """Messages queued as ``signalhooks.outbox.task.deliver`` before 1.0 still run;
    new ones name ``signalhooks.tasks.deliver``."""
    return deliver_rows(using, rows)


async def adeliver(using: str, rows: list[list[int]]) -> dict[str, int]:
    """Messages queued as ``signalhooks.outbox.task.adeliver`` before 1.0 still run."""
    return await adeliver_rows(using, rows)


# Tasks of their own (not the objects of signalhooks.tasks): Celery finds a task by the
# import path of its function only, so an old message needs a function at the old path.
deliver = outbox_task(deliver)
adeliver = outbox_task(adeliver)
