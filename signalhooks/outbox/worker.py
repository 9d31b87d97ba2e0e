"""The outbox worker: claims due rows, sends them with the engine's own code, records outcomes.

One asyncio loop per worker process. Rows are claimed in short transactions with
``SELECT ... FOR UPDATE SKIP LOCKED`` and a lease (:func:`~signalhooks.outbox.store.claim`),
rebuilt into deliveries and run through the same :class:`~signalhooks.engine.lanes.Lanes`,
:class:`~signalhooks.transports.pool.Clients` and ``Target.send`` as in-process delivery (timeouts,
signing, batching, per-target limits). Every attempt comes back through
``Delivery.take_over``; outcomes are written in batches. Leases of rows still in hand
are renewed every third of the lease, so only a dead (or wedged) worker loses its rows.

All database work runs on one dedicated thread, never on the loop thread (Django
forbids the ORM there), which also keeps one connection per worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connections

from .. import conf
from ..engine.lanes import Lanes
from ..outcome.report import counters, report
from ..outcome.results import Attempt
from ..targets.base import Delivery
from ..transports.pool import Clients
from .attempts import attempt_rows
from .codec import HookRegistry, rebuild_rows
from .limits import admit
from .listen import listen
from .store import claim, mark_dead, outcome, owner_id, record, renew
from .wake import REFRESH, Alarm, WakeGate, listening_workers

__all__ = ["Worker"]

logger = logging.getLogger("signalhooks")
T = TypeVar("T")


class WorkerDelivery(Delivery):
    """A claimed row on its way; the worker takes every attempt back."""

    __slots__ = ("row_id", "worker")

    records_attempts = True
    row_id: int
    worker: Worker

    def take_over(self, attempt: Attempt, done: Callable[[], None]) -> bool:
        self.worker.settled(self, attempt)
        return True


class Worker:
    """Drains the outbox table of database ``using`` until stopped (or empty, with ``once``).

    ``concurrency`` caps concurrent sends (default ``MAX_IN_FLIGHT``; the HTTP pool also
    has ``MAX_IN_FLIGHT`` connections); ``batch`` rows are claimed per query. The next
    batch is claimed while the last one is still being sent (when at most
    ``concurrency`` rows wait or are sending), so claiming overlaps sending; at most
    ``concurrency + 2 * batch`` rows are held at once (the most a killed worker can
    leave to be sent twice).
    """

    def __init__(
        self,
        *,
        using: str = "default",
        concurrency: int | None = None,
        batch: int = 100,
        lease: float | None = None,
        poll: float = 1.0,
        once: bool = False,
    ) -> None:
        self.using = using
        self.concurrency = concurrency or conf.settings().max_in_flight
        self.batch = batch
        self.lease = conf.settings().durable_lease if lease is None else float(lease)
        self.poll = poll
        self.once = once
        self.id = owner_id("worker")
        self.stats = {"claimed": 0, "delivered": 0, "retrying": 0, "dead": 0, "deferred": 0}
        #: Notifications heard, and those this worker claimed for (see .wake).
        self.wakes = {"notified": 0, "woken": 0}
        self._gate = WakeGate(batch)
        self._registry = HookRegistry()
        self._in_hand: dict[int, WorkerDelivery] = {}  # claimed, until its outcome is written
        self._unsettled = 0  # in hand and not yet attempted (queued or sending)
        self.max_in_hand = self.concurrency + 2 * batch
        self._settled: list[tuple[WorkerDelivery, Attempt]] = []
        self._stopping = False
        self._force = False
        self._told = False  # a NOTIFY came since the last claim started
        self._changed = asyncio.Event()
        self._to_record = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------

    async def run(self) -> dict[str, int]:
        """Work until :meth:`stop` (SIGTERM/SIGINT in the main thread); returns counts."""
        self._loop = asyncio.get_running_loop()
        self._alarm = Alarm(self._loop, self._changed.set)
        self._db = ThreadPoolExecutor(1, thread_name_prefix="signalhooks-worker-db")
        self._lanes = Lanes(Clients(), max_in_flight=self.concurrency)
        handled = self._install_signal_handlers()
        helpers = [
            asyncio.create_task(self._record_loop()),
            asyncio.create_task(self._renew_loop()),
            # PostgreSQL: claim as soon as a web process commits rows (NOTIFY).
            asyncio.create_task(listen(self.using, self._notified, self._gate.joined)),
            asyncio.create_task(self._watch_loop()),
        ]
        vendor = await self._call(lambda: connections[self.using].vendor)
        if vendor == "sqlite":
            logger.warning("signalhooks worker: SQLite has no row locks; run only one worker")
        logger.info("signalhooks worker %s started on %r", self.id, self.using)
        try:
            await self._claim_loop()
            while self._in_hand and not self._force:  # graceful: finish what is in hand
                await self._pause(None)
        finally:
            for sig in handled:
                self._loop.remove_signal_handler(sig)
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self._lanes.aclose()
            await self._call(connections.close_all)
            self._db.shutdown()
        logger.info("signalhooks worker %s stopped: %s", self.id, self.stats)
        return self.stats

    def stop(self) -> None:
        """Stop claiming; :meth:`run` returns once the rows in hand are sent and recorded.

        A second call stops at once: rows in hand come back when their lease runs out.
        """
        if self._stopping:
            self._force = True
            logger.warning("signalhooks worker: stopping now, %d rows left", len(self._in_hand))
        else:
            logger.info("signalhooks worker: stopping, %d deliveries in hand", len(self._in_hand))
        self._stopping = True
        self._changed.set()

    def _notified(self, payload: str) -> None:
        """Loop: a web process committed rows (PostgreSQL NOTIFY), or we (re)connected."""
        if payload:
            self.wakes["notified"] += 1
            if not self._gate.claims(payload):
                return  # another worker's to claim
            self.wakes["woken"] += 1
        self._told = True
        self._changed.set()

    def _install_signal_handlers(self) -> list[int]:
        if threading.current_thread() is not threading.main_thread():
            return []
        handled: list[int] = [signal.SIGTERM, signal.SIGINT]
        for sig in handled:
            self._loop.add_signal_handler(sig, self.stop)
        return handled

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._loop.run_in_executor(self._db, fn, *args)

    async def _pause(self, timeout: float | None) -> None:
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    # -- claiming ------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while not self._stopping:
            room = self.max_in_hand - len(self._in_hand)
            if self._unsettled > self.concurrency or room <= 0:
                await self._pause(None)
                continue
            self._told = False
            try:
                claimed, deliveries, deferred = await self._call(self._claim, min(room, self.batch))
            except Exception as exc:  # database down: keep the process, try again later
                logger.error("signalhooks worker: claiming failed: %s", exc)
                await self._call(self._close_connection)
                await self._pause(self.poll)
                continue
            self._alarm.add(deferred)
            self._unsettled += len(deliveries)
            for delivery in deliveries:
                self._in_hand[delivery.row_id] = delivery
                counters.accept()
                self._lanes.enqueue(delivery)
            if claimed or self._told:  # told during the claim: its rows may be newer
                continue
            if self.once and not self._in_hand:
                return
            await self._pause(None if self.once else self.poll)

    def _close_connection(self) -> None:
        """DB thread: drop a connection that failed; the next query reconnects."""
        connections[self.using].close()

    def _claim(self, size: int) -> tuple[int, list[WorkerDelivery], list[float]]:
        """DB thread: claim, decode, bury rows that cannot be sent, defer what a rate limit
        holds back; ``(claimed, sendable, when the deferred rows are due)``."""
        rows = claim(self.using, self.id, size, self.lease)
        self.stats["claimed"] += len(rows)
        rebuilt, bad = rebuild_rows(self._registry, rows, "worker")
        rebuilt, deferred = admit(self.using, self.id, rebuilt)
        self.stats["deferred"] += len(deferred)
        good: list[WorkerDelivery] = []
        for row, (hook, target, event, request) in rebuilt:
            delivery = WorkerDelivery(event, target, hook, request)
            delivery.row_id = row.id
            delivery.worker = self
            delivery.attempts = row.attempts
            good.append(delivery)
        if bad:
            mark_dead(self.using, self.id, bad)
            self.stats["dead"] += len(bad)
        return len(rows), good, [when for _, when in deferred]

    # -- outcomes ------------------------------------------------------------------

    def settled(self, delivery: WorkerDelivery, attempt: Attempt) -> None:
        """Loop: one attempt is over; its outcome is written with the next batch."""
        self._settled.append((delivery, attempt))
        self._unsettled -= 1
        self._to_record.set()
        if self._unsettled == self.concurrency:
            self._changed.set()  # room to claim the next batch

    async def _record_loop(self) -> None:
        while True:
            await self._to_record.wait()
            self._to_record.clear()
            batch, self._settled = self._settled, []
            if not batch:
                continue
            try:
                await self._call(self._record, batch)
            except Exception as exc:
                # The rows keep their lease but leave our hands: another worker (or we)
                # retries them when it runs out. The receiver may see a duplicate.
                logger.error(
                    "signalhooks worker: recording %d outcomes failed: %s", len(batch), exc
                )
                await self._call(self._close_connection)
            for delivery, _ in batch:
                self._in_hand.pop(delivery.row_id, None)
            self._changed.set()

    def _record(self, batch: list[tuple[WorkerDelivery, Attempt]]) -> None:
        """DB thread: write the batch, then report final outcomes (logs, signals)."""
        items = [outcome(d.row_id, d, a) for d, a in batch]
        log = attempt_rows((d, a, d.row_id) for d, a in batch)
        decisions = record(self.using, self.id, items, attempts=log)
        for (delivery, attempt), decision in zip(batch, decisions, strict=True):
            if decision.final:
                self.stats["delivered" if attempt.ok else "dead"] += 1
                report(delivery.result(attempt), delivery.owner)
            else:
                self.stats["retrying"] += 1
                counters.hand_off()

    async def _watch_loop(self) -> None:
        """Keep this worker's view of the listening workers fresh (see :mod:`.wake`)."""
        while True:
            await asyncio.sleep(REFRESH)
            if self._gate.stale():
                try:
                    self._gate.refresh(await self._call(listening_workers, self.using))
                except Exception as exc:  # the last view serves; every worker polls anyway
                    logger.warning("signalhooks worker: listing the workers failed: %s", exc)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            ids = list(self._in_hand)
            if ids:
                try:
                    await self._call(renew, self.using, self.id, ids, self.lease)
                except Exception as exc:
                    logger.error("signalhooks worker: renewing leases failed: %s", exc)
