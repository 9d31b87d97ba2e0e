"""The engine's lanes, driven directly: caps, fairness, batching, retries, FIFO lanes.

The targets here are real implementations of the ``Target`` contract whose ``send``
waits until the test releases it, so the tests see exactly what runs at once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from typing import Any

from signalhooks.engine.lanes import Lanes
from signalhooks.outcome.report import counters
from signalhooks.outcome.results import Attempt, DeliveryResult
from signalhooks.snapshot.events import Event
from signalhooks.targets.base import Delivery


class GatedTarget:
    """Records each ``send`` and waits until the test opens its gate."""

    def __init__(
        self,
        name: str,
        *,
        batch_size: int = 1,
        max_in_flight: int | None = None,
        max_attempts: int | None = None,
        fifo: bool = False,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.fifo = fifo
        self.rate_limit: int | None = None
        self.gate = asyncio.Event()
        self.running = 0
        self.peak = 0
        self.batches: list[list[str]] = []
        self.outcomes: list[Attempt] = []  # consumed one per delivery; then ok

    async def send(self, batch: Sequence[Delivery], clients: Any) -> list[Attempt]:
        self.batches.append([d.event.name for d in batch])
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await self.gate.wait()
        finally:
            self.running -= 1
        return [self.outcomes.pop(0) if self.outcomes else Attempt(ok=True) for _ in batch]


class Results:
    def __init__(self) -> None:
        self.items: list[DeliveryResult] = []

    def set_result(self, result: DeliveryResult) -> None:
        self.items.append(result)


class _Closable:
    """The clients lanes close at the end (these targets use none)."""

    async def aclose(self) -> None:
        pass


def in_loop(test: Any) -> Any:
    """Run an async test function in a fresh event loop (the lanes live on one)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def deliver(lanes: Lanes, target: GatedTarget, count: int, results: Results) -> None:
    for n in range(count):
        counters.accept()  # as the engine does: the process counters stay balanced
        lanes.enqueue(Delivery(Event(name=f"{target.name}-{n}"), target, None, waiter=results))


async def settle() -> None:
    for _ in range(20):  # let every ready task run its next step
        await asyncio.sleep(0)


@in_loop
async def test_a_lane_runs_at_most_its_limit_and_the_process_at_most_its_cap():
    lanes = Lanes(clients=_Closable(), max_in_flight=5)
    slow, other = GatedTarget("slow", max_in_flight=3), GatedTarget("other", max_in_flight=3)
    results = Results()
    deliver(lanes, slow, 10, results)
    deliver(lanes, other, 10, results)
    await settle()
    assert slow.running == 3  # its own limit
    assert slow.running + other.running == 5  # the process-wide cap
    slow.gate.set()
    other.gate.set()
    await lanes.wait_finished(0)
    while len(results.items) < 20:
        await settle()
    assert slow.peak == 3 and all(r.ok for r in results.items)
    await lanes.aclose()


@in_loop
async def test_a_slow_lane_never_delays_another():
    lanes = Lanes(clients=_Closable(), max_in_flight=10)
    stuck, fast = GatedTarget("stuck", max_in_flight=2), GatedTarget("fast", max_in_flight=2)
    fast.gate.set()
    results = Results()
    deliver(lanes, stuck, 50, results)
    deliver(lanes, fast, 20, results)
    while len(results.items) < 20:
        await settle()
    assert {r.event.split("-")[0] for r in results.items} == {"fast"}
    assert stuck.running == 2
    stuck.gate.set()
    while len(results.items) < 70:
        await settle()
    await lanes.aclose()


@in_loop
async def test_lanes_take_turns():
    lanes = Lanes(clients=_Closable(), max_in_flight=1)
    a, b = GatedTarget("a"), GatedTarget("b")
    a.gate.set()
    b.gate.set()
    results = Results()
    deliver(lanes, a, 10, results)
    deliver(lanes, b, 10, results)
    while len(results.items) < 20:
        await settle()
    order = "".join(r.event[0] for r in results.items)
    # Round-robin: neither lane gets a run of sends while the other waits.
    assert "aaa" not in order and "bbb" not in order, order
    await lanes.aclose()


@in_loop
async def test_a_batching_lane_waits_for_a_full_batch_while_one_send_runs():
    lanes = Lanes(clients=_Closable(), max_in_flight=10)
    topic = GatedTarget("topic", batch_size=10, max_in_flight=4)
    results = Results()
    deliver(lanes, topic, 1, results)  # idle: sent alone, at once
    await settle()
    deliver(lanes, topic, 25, results)
    await settle()
    # Two full batches start beside the running one; the last 5 wait for a full batch
    # or for a send to end.
    assert [len(b) for b in topic.batches] == [1, 10, 10]
    topic.gate.set()
    while len(results.items) < 26:
        await settle()
    assert [len(b) for b in topic.batches] == [1, 10, 10, 5]
    await lanes.aclose()


@in_loop
async def test_a_waiting_retry_holds_no_slot(settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "RETRY_BACKOFF": 0.2, "RETRY_BACKOFF_MAX": 0.2}
    lanes = Lanes(clients=_Closable(), max_in_flight=1)
    flaky, fine = GatedTarget("flaky", max_attempts=3), GatedTarget("fine")
    flaky.outcomes = [Attempt(ok=False, retryable=True, error="HTTP 503")]
    flaky.gate.set()
    fine.gate.set()
    results = Results()
    deliver(lanes, flaky, 1, results)
    await settle()  # first attempt failed: parked for up to 0.2 s
    deliver(lanes, fine, 5, results)
    while len(results.items) < 5:
        await settle()
    assert all(r.event.startswith("fine") for r in results.items)  # the slot was free
    while len(results.items) < 6:
        await asyncio.sleep(0.01)
    assert results.items[-1].ok and results.items[-1].attempts == 2
    await lanes.aclose()


@in_loop
async def test_attempts_stop_at_max_attempts_with_the_last_error():
    lanes = Lanes(clients=_Closable(), max_in_flight=1)
    failing = GatedTarget("failing", max_attempts=2)
    failing.outcomes = [Attempt(ok=False, retryable=True, error="HTTP 502")] * 5
    failing.gate.set()
    results = Results()
    deliver(lanes, failing, 1, results)
    while not results.items:
        await asyncio.sleep(0.005)
    [result] = results.items
    assert (result.ok, result.attempts, result.error) == (False, 2, "HTTP 502")
    await lanes.aclose()


@in_loop
async def test_a_fifo_lane_retries_at_the_front_and_nothing_overtakes():
    lanes = Lanes(clients=_Closable(), max_in_flight=10)
    fifo = GatedTarget("fifo", batch_size=2, max_in_flight=5, fifo=True, max_attempts=3)
    fifo.outcomes = [Attempt(ok=False, retryable=True, error="throttled"), Attempt(ok=True)]
    fifo.gate.set()
    results = Results()
    deliver(lanes, fifo, 5, results)
    while len(results.items) < 5:
        await asyncio.sleep(0.005)
    assert fifo.peak == 1  # one send at a time, whatever max_in_flight says
    assert fifo.batches[:2] == [["fifo-0"], ["fifo-0", "fifo-1"]]  # the retry went first
    assert [r.event for r in results.items] == [f"fifo-{n}" for n in range(5)]


@in_loop
async def test_closing_reports_every_unfinished_delivery_as_failed():
    lanes = Lanes(clients=_Closable(), max_in_flight=2)
    stuck = GatedTarget("stuck")
    results = Results()
    deliver(lanes, stuck, 4, results)
    await settle()
    await lanes.aclose()
    assert len(results.items) == 4 and not any(r.ok for r in results.items)
    assert {r.error for r in results.items} == {"engine shut down before the delivery finished"}


@in_loop
async def test_a_rate_limited_lane_waits_for_tokens_without_holding_a_slot():
    lanes = Lanes(clients=_Closable(), max_in_flight=1)
    limited, free = GatedTarget("limited"), GatedTarget("free")
    limited.rate_limit = 5  # a burst of 5, then 5 per second
    limited.gate.set()
    free.gate.set()
    results = Results()
    deliver(lanes, limited, 7, results)
    await settle()
    deliver(lanes, free, 5, results)
    while len(results.items) < 10:
        await settle()
    # The burst and every free delivery went through the one slot; the limited lane
    # waits for its next token without taking the slot from the free lane.
    done = [r.event for r in results.items]
    assert sorted(done) == sorted(
        [f"limited-{n}" for n in range(5)] + [f"free-{n}" for n in range(5)]
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    while len(results.items) < 12:
        await asyncio.sleep(0.01)
    assert (
        loop.time() - started >= 0.3
    )  # two more tokens at 5/s: at least 0.2 s each after the first
    await lanes.aclose()
