"""The caller's side of durable delivery: write the row, then try at once in process.

:func:`write_row` runs in the caller's thread, inside the caller's transaction:
the row is inserted on the instance's database alias *before* commit, so the commit
makes it visible and a rollback removes it. The row is written with a short lease
held by this process; after commit the in-process engine makes the first attempt.
Its outcome is written by one background thread (Django forbids the ORM on a
thread that runs an event loop), in batches. If the process dies first, the lease
runs out and a worker sends the row: at-least-once, receivers dedupe on the event id.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import InvalidStateError
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.utils import timezone

from .. import conf
from ..engine.bridge import get_engine
from ..engine.retry import Decision, first_delay
from ..outcome.report import counters, report
from ..outcome.results import Attempt
from ..targets.base import Delivery

if TYPE_CHECKING:
    from .attempts import AttemptRow
    from .store import AttemptMade

__all__ = [
    "DurableDelivery",
    "Stored",
    "fleet_only",
    "inline_owner",
    "write_row",
    "write_rows",
]

logger = logging.getLogger("signalhooks")
BATCH_MAX = 1000


class DurableDelivery(Delivery):
    """A delivery backed by an outbox row; the engine's lanes hand every attempt back to us."""

    __slots__ = ("row_id", "using")

    records_attempts = True
    row_id: int
    using: str

    def take_over(self, attempt: Attempt, done: Callable[[], None]) -> bool:
        _writer.put((self, attempt, done))
        return True


class Stored(NamedTuple):
    """What :func:`write_rows` wrote."""

    #: The deliveries this process tries first (each holds its row's short lease).
    first: list[DurableDelivery]
    #: ``(alias, row id)`` of the rows due now that the fleet sends (hand them over).
    handed: list[tuple[str, int]]


def write_row(delivery: Delivery) -> DurableDelivery | None:
    """:func:`write_rows` for one delivery: its in-process attempt, or ``None`` (left to
    the workers)."""
    first = write_rows([delivery]).first
    return first[0] if first else None


def write_rows(
    deliveries: Sequence[Delivery], *, inline: bool = True, after: float = 0.0, wake: bool = False
) -> Stored:
    """Insert the rows of ``deliveries`` in the current transaction: one INSERT per database.

    ``inline``: this process tries each row first, holding a short lease; except rows
    only the fleet may send (:func:`fleet_only`), and every row when the schedule
    delays the first attempt or the engine's queue is full (rows are then left to the
    workers instead of being dropped). The other rows are due now, or after ``after``
    seconds (the time an enqueued task has to claim its row before the sweep takes it).
    ``wake`` (autocommit): the INSERT itself also notifies the workers of the rows left
    to them, where it can (PostgreSQL); those rows are not in ``handed`` then.
    The deliveries of one event (an ``EndpointsHook``'s) share its encoded payload.
    Raises what the database raises: a durable event that cannot be stored must fail
    the transaction rather than commit without it.
    """
    from .rows import insert_rows

    delay = first_delay()
    due = delay == 0
    inline = inline and due and counters.pending + len(deliveries) <= get_engine().max_queue
    lease = conf.settings().durable_lease
    leases = [lease if inline and not fleet_only(d) else None for d in deliveries]
    first: list[DurableDelivery] = []
    handed: list[tuple[str, int]] = []
    left: list[Delivery] = []
    for using, rows in _build(deliveries, leases, delay=after if due else delay).items():
        waiting = sum(1 for _, _, leased in rows if not leased) if due and wake else 0
        ids, woken = insert_rows([fields for _, fields, _ in rows], using, wake=waiting)
        for (delivery, _, leased), row_id in zip(rows, ids, strict=True):
            if not leased:
                left.append(delivery)
                if due and not woken:
                    handed.append((using, row_id))
                continue
            durable = DurableDelivery(
                delivery.event, delivery.target, delivery.owner, delivery.request, delivery.waiter
            )
            durable.row_id = row_id
            durable.using = using
            first.append(durable)
    _note_left_to_workers(left)
    return Stored(first, handed)


def fleet_only(delivery: Delivery) -> bool:
    """Rows that only workers and tasks send, never this process's engine first.

    An ordered row waits for the rows before it of its object, which only a claim
    (of the head row of each key) can see; a rate-limited target's rows need a grant
    of the shared limit, which the fleet asks for when it claims them.
    """
    return delivery.order_key is not None or bool(getattr(delivery.target, "rate_limit", None))


def _build(
    deliveries: Sequence[Delivery], leases: Sequence[float | None], *, delay: float
) -> dict[str, list[tuple[Delivery, dict[str, Any], bool]]]:
    """The fields of the rows of ``deliveries``, grouped by database alias, each with
    whether this process leases it (``leases``: per delivery, the lease, or ``None``)."""
    from .codec import encode
    from .rows import body_format, row_fields

    now = timezone.now()
    owner = inline_owner()
    payloads: dict[tuple[int, str | None], str] = {}
    by_alias: dict[str, list[tuple[Delivery, dict[str, Any], bool]]] = {}
    for delivery, lease in zip(deliveries, leases, strict=True):
        payload = None
        if delivery.request is None:  # rendered from the event alone: encode it once
            fmt = body_format(delivery)  # per format: endpoints of one event may differ
            payload = payloads.get((id(delivery.event), fmt))
            if payload is None:
                payload = payloads[(id(delivery.event), fmt)] = encode(delivery.event, None, fmt)
        fields = row_fields(
            delivery, now, lease=lease, locked_by=owner, delay=delay, payload=payload
        )
        rows = by_alias.setdefault(delivery.event.using or DEFAULT_DB_ALIAS, [])
        rows.append((delivery, fields, lease is not None))
    return by_alias


def _note_left_to_workers(deliveries: Sequence[Delivery]) -> None:
    note = "stored in the outbox; the workers deliver it"
    for delivery in deliveries:
        if delivery.waiter is not None:  # async_receiver: nothing will happen in process
            stored = Attempt(ok=False, error=note, error_type="stored")
            delivery.waiter.set_result(delivery.result(stored))


_owner: tuple[int, str] | None = None


def inline_owner() -> str:
    """The lease holder name of this process (new after fork)."""
    global _owner
    if _owner is None or _owner[0] != os.getpid():
        from .store import owner_id

        _owner = (os.getpid(), owner_id("inline"))
    return _owner[1]


Item = tuple[DurableDelivery, Attempt, Callable[[], None]]


class _Writer:
    """One daemon thread that records in-process outcomes, many rows per transaction."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, item: Item) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    thread = threading.Thread(
                        target=self._run, name="signalhooks-outbox", daemon=True
                    )
                    try:
                        thread.start()
                    except RuntimeError:  # interpreter shutdown (Python 3.12+)
                        self._abandon(item)
                        return
                    self._thread = thread
        self._queue.put(item)

    @staticmethod
    def _abandon(item: Item) -> None:
        """Leave the row to the workers: its lease runs out and it is sent again."""
        delivery, _, done = item
        logger.error(
            "signalhooks outbox: cannot record the outcome of row %d at interpreter "
            "shutdown; a worker sends it again after its lease",
            delivery.row_id,
        )
        counters.hand_off()
        done()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while len(batch) < BATCH_MAX:
                    batch.append(self._queue.get_nowait())
            try:
                self._write(batch)
            except Exception:  # never let the thread die: the next batch may succeed
                logger.exception("signalhooks outbox: recording %d outcomes failed", len(batch))
            # Like the end of a request: honours CONN_MAX_AGE (0 = close now), so an idle
            # process holds no connection (and test databases can be dropped).
            close_old_connections()

    def _write(self, batch: list[Item]) -> None:
        from .store import outcome

        by_alias: dict[str, list[Item]] = {}
        for item in batch:
            by_alias.setdefault(item[0].using, []).append(item)
        from .attempts import attempt_rows

        owner = inline_owner()
        for using, items in by_alias.items():
            rows = [outcome(d.row_id, d, a) for d, a, _ in items]
            log = attempt_rows((d, a, d.row_id) for d, a, _ in items)
            try:
                decisions = _record_with_retry(using, owner, rows, log)
            except Exception as exc:
                # The row keeps its lease; a worker retries it when the lease runs out.
                logger.error(
                    "signalhooks outbox: could not record %d outcomes on %r (%s); the worker "
                    "will retry those rows after their lease",
                    len(items),
                    using,
                    exc,
                )
                decisions = [Decision("pending", None, str(exc)) for _ in items]
            for (delivery, attempt, _), decision in zip(items, decisions, strict=True):
                _settle(delivery, attempt, decision)
        for done in {item[2] for item in batch}:
            done()


def _record_with_retry(
    using: str, owner: str, rows: list[AttemptMade], log: list[AttemptRow]
) -> list[Decision]:
    from .store import record

    try:
        return record(using, owner, rows, attempts=log)
    except Exception:
        # A connection dropped while idle (database restart, CONN_MAX_AGE): reconnect once.
        connections[using].close()
        return record(using, owner, rows, attempts=log)


def _settle(delivery: DurableDelivery, attempt: Attempt, decision: Decision) -> None:
    result = delivery.result(attempt)
    if decision.final:
        report(result, delivery.owner)
    else:
        counters.hand_off()
        when = decision.next_attempt_at
        note = f"; the outbox worker retries it at {when.isoformat()}" if when else ""
        result = replace(result, error=f"{result.error}{note}")
    if delivery.waiter is not None:
        with contextlib.suppress(InvalidStateError):
            delivery.waiter.set_result(result)


_writer = _Writer()


def _after_fork_in_child() -> None:
    global _writer
    _writer = _Writer()


os.register_at_fork(after_in_child=_after_fork_in_child)
