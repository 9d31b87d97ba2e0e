"""Every query the outbox makes. Synchronous: call from a thread, never from a loop.

Writes that settle a claimed row are conditional on ``locked_by`` still naming the
writer and the row still pending: a worker whose lease ran out (and whose rows were
claimed again) cannot overwrite the newer owner's outcome.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ..engine.retry import Decision, decide, durable_max_attempts
from ..outcome.results import Attempt
from ..targets.base import Delivery
from .attempts import (
    ERROR_MAX,
    AttemptRow,
    AttemptsNotWritten,
    delete_deliveries,
    write_attempts,
)
from .models import OutboxDelivery
from .ordering import heads_only
from .rows import build_row

__all__ = [
    "SWEEP_DOUBLINGS",
    "AttemptMade",
    "ClaimedRow",
    "build_row",
    "claim",
    "claim_rows",
    "hand_out_overdue",
    "mark_dead",
    "outcome",
    "owner_id",
    "prune",
    "record",
    "release",
    "renew",
    "requeue",
]

logger = logging.getLogger("signalhooks")
PENDING, DELIVERED, DEAD = OutboxDelivery.PENDING, OutboxDelivery.DELIVERED, OutboxDelivery.DEAD


def owner_id(kind: str) -> str:
    """``kind:host:pid:random`` — who holds a lease, shown in the admin."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:100]


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    id: int
    hook_key: str
    target: str
    payload: str
    attempts: int
    endpoint_id: int | None = None


def claim(using: str, worker: str, batch: int, lease: float) -> list[ClaimedRow]:
    """Lease up to ``batch`` due rows to ``worker`` in one short transaction.

    ``FOR UPDATE SKIP LOCKED`` lets any number of workers run this at once without
    waiting on, or taking, each other's rows (PostgreSQL, MySQL 8, MariaDB 10.6+;
    SQLite has no row locks, hence one worker there). The lease is also the row's
    next due time, so an abandoned row comes back by itself.
    """
    now = timezone.now()
    until = now + timedelta(seconds=lease)
    rows = OutboxDelivery.objects.using(using)
    fields = ("id", "hook_key", "target", "payload", "attempts", "endpoint_id")
    with transaction.atomic(using=using):
        found = _lock_due(rows, now, batch, fields)
        if found:
            rows.filter(pk__in=[r[0] for r in found]).update(
                locked_by=worker, lease_until=until, next_attempt_at=until
            )
    return [ClaimedRow(*r) for r in found]


def _lock_due(
    rows: QuerySet[OutboxDelivery], now: datetime, batch: int, fields: tuple[str, ...]
) -> list[Any]:
    """``fields`` of up to ``batch`` due pending rows, oldest first, locked (``FOR UPDATE
    SKIP LOCKED``) until the caller's transaction ends; of ordered rows, heads only."""
    return list(
        heads_only(rows.select_for_update(skip_locked=True))
        .filter(status=PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list(*fields)[:batch]
    )


def claim_rows(
    using: str, worker: str, items: Sequence[tuple[int, int]], lease: float
) -> list[ClaimedRow]:
    """Lease the rows a task names, each as ``(row id, attempts made)``, to ``worker``.

    A row is taken only while it is pending, not leased by anyone, and has exactly the
    attempts the task was enqueued for: a task that runs twice, or late after a retry
    was scheduled, finds nothing to do (``SKIP LOCKED`` also skips a row another
    process is claiming at this very moment). An ordered row is taken only as the head
    of its key; the task that finishes the head enqueues the next.
    """
    expected = dict(items)
    if not expected:
        return []
    now = timezone.now()
    until = now + timedelta(seconds=lease)
    rows = OutboxDelivery.objects.using(using)
    with transaction.atomic(using=using):
        found = [
            row
            for row in heads_only(rows.select_for_update(skip_locked=True))
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .filter(pk__in=list(expected), status=PENDING)
            .values_list("id", "hook_key", "target", "payload", "attempts", "endpoint_id")
            if expected[row[0]] == row[4]
        ]
        if found:
            rows.filter(pk__in=[r[0] for r in found]).update(
                locked_by=worker, lease_until=until, next_attempt_at=until
            )
    return [ClaimedRow(*r) for r in found]


def hand_out_overdue(using: str, batch: int, hold: float) -> list[tuple[int, int]]:
    """Up to ``batch`` overdue rows as ``(row id, attempts)``, each due again later.

    The sweep of Django Tasks mode: the caller enqueues a task for each; should that
    task be lost too, the row is overdue again after ``hold`` seconds, doubled with
    every sweep of the same row up to eight times (``locked_by`` counts them,
    ``sweep:N``), so that a queue that is merely slow is not flooded with copies of
    tasks it still holds. Leased rows are not overdue (a lease moves
    ``next_attempt_at`` to its end).
    """
    now = timezone.now()
    rows = OutboxDelivery.objects.using(using)
    with transaction.atomic(using=using):
        found = _lock_due(rows, now, batch, ("id", "attempts", "locked_by"))
        swept = []
        for row_id, _, holder in found:
            count = int(holder[6:]) if holder.startswith("sweep:") and holder[6:].isdigit() else 0
            delay = hold * 2 ** min(count, SWEEP_DOUBLINGS)
            due = now + timedelta(seconds=delay)
            swept.append(
                OutboxDelivery(id=row_id, next_attempt_at=due, locked_by=f"sweep:{count + 1}")
            )
        if swept:
            rows.bulk_update(swept, ["next_attempt_at", "locked_by"], batch_size=500)
    return [(row_id, attempts) for row_id, attempts, _ in found]


#: A swept row waits for its task at most 2**SWEEP_DOUBLINGS leases before the next sweep.
SWEEP_DOUBLINGS = 3


def renew(using: str, worker: str, ids: Sequence[int], lease: float) -> int:
    """Extend the lease of rows still being worked on (``lease_until`` unset = settled)."""
    if not ids:
        return 0
    until = timezone.now() + timedelta(seconds=lease)
    return (
        OutboxDelivery.objects.using(using)
        .filter(pk__in=ids, locked_by=worker, status=PENDING, lease_until__isnull=False)
        .update(lease_until=until, next_attempt_at=until)
    )


#: What :func:`record` writes for one row: (row id, attempts made, the last attempt, the
#: most attempts allowed or ``None``).
AttemptMade = tuple[int, int, Attempt, int | None]


def outcome(row_id: int, delivery: Delivery, attempt: Attempt) -> AttemptMade:
    """One item of :func:`record`: ``delivery`` (of row ``row_id``) made ``attempt``."""
    return (row_id, delivery.attempts, attempt, durable_max_attempts(delivery.target))


def record(
    using: str,
    locked_by: str,
    items: Sequence[AttemptMade],
    *,
    grace: float = 0.0,
    attempts: Sequence[AttemptRow] = (),
) -> list[Decision]:
    """Write the outcome of one attempt per item (:func:`outcome` makes them).

    Delivered rows are grouped into one ``UPDATE`` per status code; the rest go in
    one ``bulk_update``; ``attempts`` (the attempts log's rows, see
    :mod:`.attempts`) in one statement; all in one transaction (a failure to insert
    the attempts is logged, and the outcomes are written without them). ``grace``:
    seconds after its next attempt time before a row that stays pending counts as
    overdue (a task deferred to that time is on its way; workers and the sweep leave
    the row to it until then).
    """
    now = timezone.now()
    decisions = [decide(made, attempt, now, most) for _, made, attempt, most in items]
    mine = OutboxDelivery.objects.using(using).filter(locked_by=locked_by, status=PENDING)
    delivered: dict[int | None, list[int]] = {}
    failed: list[OutboxDelivery] = []
    for (row_id, made, attempt, _), decision in zip(items, decisions, strict=True):
        if decision.status == DELIVERED:
            delivered.setdefault(attempt.status, []).append(row_id)
            continue
        failed.append(
            OutboxDelivery(
                id=row_id,
                status=decision.status,
                attempts=made,
                next_attempt_at=(decision.next_attempt_at or now) + timedelta(seconds=grace),
                lease_until=None,
                last_error=decision.error[:ERROR_MAX],
                last_status=attempt.status,
            )
        )
    if attempts:
        try:
            with transaction.atomic(using=using):
                write_attempts(attempts, using)  # first: its failure leaves nothing to undo
                _settle(mine, delivered, failed, now)
            return decisions
        except AttemptsNotWritten as exc:
            logger.error("signalhooks: %s; the outcomes are recorded without them", exc)
    with transaction.atomic(using=using):
        _settle(mine, delivered, failed, now)
    return decisions


def _settle(
    mine: QuerySet[OutboxDelivery],
    delivered: dict[int | None, list[int]],
    failed: list[OutboxDelivery],
    now: datetime,
) -> None:
    for status, ids in delivered.items():
        mine.filter(pk__in=ids).update(
            status=DELIVERED,
            attempts=F("attempts") + 1,
            delivered_at=now,
            last_status=status,
            last_error="",
            lease_until=None,
        )
    if failed:
        fields = ["status", "attempts", "next_attempt_at", "lease_until"]
        mine.bulk_update(failed, [*fields, "last_error", "last_status"], batch_size=500)


def release(using: str, locked_by: str, items: Iterable[tuple[int, datetime]]) -> None:
    """Give claimed rows back, each due again at its time; no attempt is counted.

    For rows a rate limit does not let go now (:mod:`.limits`): they leave the claimer's
    hands instead of keeping other rows waiting.
    """
    rows = [
        OutboxDelivery(id=row_id, next_attempt_at=when, lease_until=None, locked_by="")
        for row_id, when in items
    ]
    if rows:
        OutboxDelivery.objects.using(using).filter(locked_by=locked_by, status=PENDING).bulk_update(
            rows, ["next_attempt_at", "lease_until", "locked_by"], batch_size=500
        )


def mark_dead(using: str, locked_by: str, items: Iterable[tuple[int, str]]) -> None:
    """Rows that cannot be sent at all (bad payload, unknown hook): dead, with the reason."""
    rows = [
        OutboxDelivery(id=row_id, status=DEAD, last_error=error[:ERROR_MAX], lease_until=None)
        for row_id, error in items
    ]
    if rows:
        OutboxDelivery.objects.using(using).filter(locked_by=locked_by).bulk_update(
            rows, ["status", "last_error", "lease_until"], batch_size=500
        )


def requeue(rows: QuerySet[OutboxDelivery]) -> int:
    """Make ``rows`` due now with a fresh schedule (attempts reset; last error kept)."""
    return rows.update(
        status=PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        lease_until=None,
        locked_by="",
        delivered_at=None,
    )


def prune(using: str, days: float, *, dead: bool = False, chunk: int = 5000) -> tuple[int, int]:
    """Delete delivered rows (and dead ones, if asked) older than ``days``, with their
    attempts (:func:`~signalhooks.outbox.attempts.delete_deliveries`), in chunks; how
    many rows, and how many attempts."""
    cutoff = timezone.now() - timedelta(days=days)
    rows = OutboxDelivery.objects.using(using)
    old = rows.filter(status=DELIVERED, delivered_at__lt=cutoff)
    if dead:
        old = old | rows.filter(status=DEAD, created_at__lt=cutoff)
    rows_deleted = attempts_deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:chunk]):
        deleted = delete_deliveries(ids, using)
        rows_deleted, attempts_deleted = rows_deleted + deleted[0], attempts_deleted + deleted[1]
    return rows_deleted, attempts_deleted
