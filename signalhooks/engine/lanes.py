"""Runs deliveries on the delivery loop: caps, fairness, batching, retries, outcomes.

Each target has a *lane*: a FIFO of deliveries and a count of running sends. A
lane with work and spare capacity waits in ``_ready``; ``_pump`` starts sends
round-robin while the process-wide cap allows. So one slow or failing target
fills its own lane only and never delays the others. A retry is parked with
``call_later`` and holds no slot while it waits.

A target with ``fifo = True`` (SNS FIFO topics) gets a lane that runs one send
at a time; a retry goes back to the *front* of that lane, and the lane pauses for
the retry delay, so no later delivery overtakes it.

A target with a ``rate_limit`` (sends per second) gets a token bucket: an empty
bucket keeps the lane out of ``_ready`` until a ``call_later`` refill, so the lane
waits without holding a concurrency slot. The bucket is per process (each process has
its own lanes); durable rows of such a target also hold a grant of the limit shared
by every process (:mod:`signalhooks.outbox.limits`) before they reach a lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from concurrent.futures import InvalidStateError

from .. import conf
from ..outcome.report import counters, report
from ..outcome.results import Attempt
from ..targets.base import Delivery, Target
from ..transports.pool import Clients
from .bucket import TokenBucket
from .retry import retry_policy

__all__ = ["Lanes"]

logger = logging.getLogger("signalhooks")


class _Lane:
    __slots__ = (
        "active",
        "bucket",
        "fifo",
        "limit",
        "paused",
        "queue",
        "ready",
        "refill",
        "target",
    )

    def __init__(self, target: Target, limit: int) -> None:
        self.target = target
        self.fifo: bool = getattr(target, "fifo", False)
        self.limit = 1 if self.fifo else limit
        self.queue: deque[Delivery] = deque()
        self.active = 0
        self.ready = False
        self.paused = False  # a FIFO lane waiting out a retry delay
        rate = getattr(target, "rate_limit", None)
        self.bucket = TokenBucket(rate) if rate else None
        self.refill: asyncio.TimerHandle | None = None  # an empty bucket's wake-up


class Lanes:
    """Lives on the delivery loop; every method must be called from that loop."""

    def __init__(self, clients: Clients, max_in_flight: int | None = None) -> None:
        self.clients = clients
        self._loop = asyncio.get_running_loop()
        settings = conf.settings()
        self._max_in_flight = max_in_flight or settings.max_in_flight
        self._lane_limit = settings.max_in_flight_per_target
        self._lanes: dict[int, _Lane] = {}
        self._ready: deque[_Lane] = deque()
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        # Every delivery from enqueue() to finish() (queued, sending or parked for a
        # retry), so that aclose() can report the ones it abandons instead of losing them.
        self._owned: set[Delivery] = set()
        self._closed = False

    def enqueue(self, delivery: Delivery) -> None:
        self._owned.add(delivery)
        if self._closed:  # a retry timer that fired during aclose(): swept there
            return
        lane = self._lanes.get(id(delivery.target))
        if lane is None:
            limit = delivery.target.max_in_flight or self._lane_limit
            lane = self._lanes[id(delivery.target)] = _Lane(delivery.target, limit)
        lane.queue.append(delivery)
        self._make_ready(lane)
        self._pump()

    @staticmethod
    def _can_send(lane: _Lane) -> bool:
        if lane.paused or not lane.queue or lane.active >= lane.limit:
            return False
        # A batching target (SNS PublishBatch) with a send running waits for a full
        # batch: that send's end starts the remainder. Idle, it sends at once. Under
        # load this turns ten Publish calls into one PublishBatch.
        return lane.active == 0 or len(lane.queue) >= lane.target.batch_size

    def _make_ready(self, lane: _Lane) -> None:
        if (
            not lane.ready
            and self._can_send(lane)
            and (lane.bucket is None or self._has_token(lane))
        ):
            lane.ready = True
            self._ready.append(lane)

    def _has_token(self, lane: _Lane) -> bool:
        """A rate-limited lane: a token now, or a refill timer armed (and ``False``)."""
        assert lane.bucket is not None
        wait = lane.bucket.wait(self._loop.time())
        if wait <= 0:
            return True
        if lane.refill is None:
            lane.refill = self._loop.call_later(wait, self._refilled, lane)
        return False

    def _refilled(self, lane: _Lane) -> None:
        lane.refill = None
        if not self._closed:
            self._make_ready(lane)
            self._pump()

    def _pump(self) -> None:
        while self._active < self._max_in_flight and self._ready:
            lane = self._ready.popleft()
            lane.ready = False
            if not self._can_send(lane):
                continue
            size = min(lane.target.batch_size, len(lane.queue))
            batch = [lane.queue.popleft() for _ in range(size)]
            if lane.bucket is not None:
                lane.bucket.take(self._loop.time(), size)
            lane.active += 1
            self._active += 1
            task = self._loop.create_task(self._send(lane, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self._make_ready(lane)  # back of the line: round-robin between targets

    async def _send(self, lane: _Lane, batch: list[Delivery]) -> None:
        try:
            attempts = await lane.target.send(batch, self.clients)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a target must not lose the batch silently
            logger.exception("signalhooks: %s raised while sending", lane.target.name)
            attempts = [
                Attempt(ok=False, error=f"internal error: {exc!r}", error_type="internal")
            ] * len(batch)
        finally:
            lane.active -= 1
            self._active -= 1
        if lane.fifo:
            self._settle_fifo(lane, batch, attempts)
        else:
            for delivery, attempt in zip(batch, attempts, strict=True):
                self._settle(delivery, attempt)
        self._make_ready(lane)
        self._pump()

    def _settle_fifo(self, lane: _Lane, batch: list[Delivery], attempts: list[Attempt]) -> None:
        retries: list[Delivery] = []
        wait = 0.0
        for delivery, attempt in zip(batch, attempts, strict=True):
            delay = self._retry_delay(delivery, attempt)
            if delay is not None:
                retries.append(delivery)
                wait = max(wait, delay)
        if retries:
            lane.queue.extendleft(reversed(retries))  # front of the lane, original order
            if wait > 0:
                lane.paused = True
                self._loop.call_later(wait, self._resume, lane)

    def _resume(self, lane: _Lane) -> None:
        lane.paused = False
        if not self._closed:
            self._make_ready(lane)
            self._pump()

    def _settle(self, delivery: Delivery, attempt: Attempt) -> None:
        delay = self._retry_delay(delivery, attempt)
        if delay is None:
            return
        if delay <= 0:
            self.enqueue(delivery)
        else:
            self._loop.call_later(delay, self.enqueue, delivery)

    def _retry_delay(self, delivery: Delivery, attempt: Attempt) -> float | None:
        """Count one attempt: the delay before the next one, or ``None`` once settled.

        Settled means finished (reported) or taken over by the durable outbox.
        """
        delivery.attempts += 1
        if delivery.take_over(attempt, self.finished_elsewhere):  # durable: the outbox
            delivery.end_trace(attempt)
            self._owned.discard(delivery)
            return None
        if not attempt.ok and attempt.retryable:
            policy = retry_policy(delivery.target.max_attempts)
            delay = policy.delay(delivery.attempts, attempt.retry_after)
            if delay is not None:
                counters.retry()
                return delay
        self.finish(delivery, attempt)
        return None

    def finish(self, delivery: Delivery, attempt: Attempt) -> None:
        """Report the final outcome and wake whoever waits for it."""
        self._owned.discard(delivery)
        delivery.end_trace(attempt)
        result = delivery.result(attempt)
        report(result, delivery.owner)
        if delivery.waiter is not None:
            # InvalidStateError: the awaiting caller was cancelled; the delivery went on.
            with contextlib.suppress(InvalidStateError):
                delivery.waiter.set_result(result)
        self._wake_waiters()

    def finished_elsewhere(self) -> None:
        """Any thread: a delivery taken over (``Delivery.take_over``) has been reported."""
        with contextlib.suppress(RuntimeError):  # the loop closed at interpreter exit
            self._loop.call_soon_threadsafe(self._wake_waiters)

    def _wake_waiters(self) -> None:
        if self._waiters:
            finished = counters.finished
            for item in [w for w in self._waiters if w[0] <= finished]:
                self._waiters.remove(item)
                if not item[1].done():
                    item[1].set_result(None)

    async def wait_finished(self, count: int) -> None:
        """Return once ``count`` deliveries (counted since start) have finished."""
        if counters.finished >= count:
            return
        future = self._loop.create_future()
        self._waiters.append((count, future))
        await future

    async def aclose(self) -> None:
        """Cancel what is running, report every unfinished delivery as failed, close clients."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Without this, abandoned deliveries would stay "pending" for ever: flush()
        # and MAX_QUEUE would count them, and async_receiver callers would never wake.
        error = "engine shut down before the delivery finished"
        lost = Attempt(ok=False, error=error, error_type="shutdown")
        for delivery in list(self._owned):
            self.finish(delivery, lost)
        await self.clients.aclose()
