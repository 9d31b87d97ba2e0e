"""The attempts log's cost: durable deliveries/s with and without recording attempts.

One process, PostgreSQL: signalhooks' outbox worker (``signalhooks_worker``'s ``Worker``,
in this process) drains ``--events`` due outbox rows of ``--endpoints`` endpoints
(signed requests, ~1 KB bodies), ``--rounds`` times each way, the two ways alternating
(A B, B A, ...) against the same sink and database:

* recorded, as shipped: each attempt's request is captured and its ``DeliveryAttempt``
  row inserted with the outcome update, in its transaction;
* unrecorded: the benchmark's switch off (``WorkerDelivery.records_attempts = False``,
  not a setting): no request captured, no attempt row.

A drain is timed from the worker's start until every row is recorded as delivered (the
worker's ``once`` run returns then), after a warm-up drain; CPU is this process's (the
delivery loop and the recording thread) over the same span. The ratios are medians of
the rounds' ratios. Needs PostgreSQL on 127.0.0.1:5432 (database ``BENCH_OUTBOX_DB``,
default ``signalhooks_bench``, created and migrated if missing); without it the phase
reports ``skipped``.

    python -m benchmarks.phase_attempts --mode paired --sink-url URL [--events 3000]

Prints one JSON line: ``{"phase": "attempts", "ratio", "cpu_ratio", "rate",
"unrecorded_rate", ...}``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

from benchmarks import common

MODES = ["paired"]


def _setup() -> str | None:
    """Django on PostgreSQL; why not, if it cannot be reached."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.endpoints_settings"
    os.environ["BENCH_ENDPOINTS_PG"] = "1"
    try:
        common.ensure_database(os.environ.get("BENCH_OUTBOX_DB", "signalhooks_bench"))
    except Exception as exc:
        return f"no PostgreSQL on 127.0.0.1:5432 ({type(exc).__name__})"
    common.setup_django()
    return None


def _rows(sink_url: str, count: int, endpoints: int) -> list[Any]:
    from django.utils import timezone

    from signalhooks.endpoints.index import endpoint_index
    from signalhooks.hooks import EndpointsHook
    from signalhooks.models import Endpoint
    from signalhooks.outbox.store import build_row
    from signalhooks.snapshot.events import custom_event
    from signalhooks.targets.base import Delivery

    if not Endpoint.objects.filter(url__startswith=sink_url).exists():  # this run's sink
        Endpoint.objects.all().delete()
        Endpoint.objects.bulk_create(
            Endpoint(url=f"{sink_url}/attempts/{i}") for i in range(endpoints)
        )
    hook = EndpointsHook()
    targets = [entry.target for entry in endpoint_index.current().entries]
    text = (common._LOREM * 20)[: common.BODY_CHARS]
    now = timezone.now()
    return [
        build_row(
            Delivery(custom_event("bench.Item:created", {"i": i, "text": text}), t, hook),
            now,
            lease=None,
            locked_by="",
            delay=0,
        )
        for i, t in ((i, targets[i % len(targets)]) for i in range(count))
    ]


def _drain(sink_url: str, count: int, endpoints: int) -> tuple[float, float]:
    """Seconds for the worker to send and record ``count`` due rows, and this process's
    CPU seconds meanwhile."""
    from django.db import connections

    from signalhooks.models import DeliveryAttempt, OutboxDelivery
    from signalhooks.outbox.worker import Worker

    DeliveryAttempt.objects.all().delete()
    OutboxDelivery.objects.all().delete()
    OutboxDelivery.objects.bulk_create(_rows(sink_url, count, endpoints), batch_size=5000)
    connections.close_all()  # the worker's own database thread connects
    worker = Worker(concurrency=50, batch=200, poll=0.05, once=True)
    started, cpu = time.monotonic(), time.process_time()
    asyncio.run(worker.run())
    return time.monotonic() - started, time.process_time() - cpu


def run(sink_url: str, events: int, endpoints: int, rounds: int) -> dict[str, Any]:
    """``rounds`` pairs of drains, each side once per round, the order alternating."""
    skipped = _setup()
    if skipped:
        return {"phase": "attempts", "skipped": skipped}
    from signalhooks.models import DeliveryAttempt, OutboxDelivery
    from signalhooks.outbox.worker import WorkerDelivery

    _drain(sink_url, min(events // 10, 500) or 1, endpoints)  # warm-up: connections, caches
    sides: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    complete = True
    for number in range(rounds):
        for recorded in (True, False) if number % 2 else (False, True):
            WorkerDelivery.records_attempts = recorded  # type: ignore[misc]  # the switch
            sides[recorded].append(_drain(sink_url, events, endpoints))
            delivered = OutboxDelivery.objects.filter(status=OutboxDelivery.DELIVERED).count()
            logged = DeliveryAttempt.objects.count()
            complete &= delivered == events and logged == (events if recorded else 0)
    rates = {side: [events / s for s, _ in runs] for side, runs in sides.items()}
    cpus = {side: [cpu / events * 1e6 for _, cpu in runs] for side, runs in sides.items()}
    return {
        "phase": "attempts",
        "deliveries": events,
        "endpoints": endpoints,
        "rounds": rounds,
        "recorded_rates": rates[True],
        "unrecorded_rates": rates[False],
        "rate": statistics.median(rates[True]),
        "unrecorded_rate": statistics.median(rates[False]),
        "ratio": statistics.median(a / b for a, b in zip(rates[True], rates[False], strict=True)),
        "cpu_per_delivery_us": statistics.median(cpus[True]),
        "unrecorded_cpu_per_delivery_us": statistics.median(cpus[False]),
        "cpu_ratio": statistics.median(a / b for a, b in zip(cpus[True], cpus[False], strict=True)),
        "complete": complete,
    }


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="pairs of drains")
    args = parser.parse_args(argv)
    common.emit(run(args.sink_url, args.events, args.endpoints, args.rounds))


if __name__ == "__main__":
    main()
