"""Endpoints stored in the database (``EndpointsHook``), measured against what they replace.

Modes (one process each; ``caller``/``hooks`` and ``fanout``/``raw_fanout`` run back to
back against the same sink):

* ``caller``: what ``post_save.send()`` costs the caller with one non-durable
  ``EndpointsHook`` and ``--endpoints`` endpoints of which ``--matching`` match the event,
  minus the same call with no receivers (paced, targets answering after 50 ms, as in
  ``phase_caller``);
* ``hooks``: the same with ``--matching`` code-configured ``HTTPSignalHook``s;
* ``durable``: PostgreSQL (skipped, saying so, when none is reachable);
  ``Item.objects.create()`` inside ``transaction.atomic()`` with a durable
  ``EndpointsHook`` (one bulk insert of ``--matching`` outbox rows) against the same
  plain save with no receivers, and with ``--matching`` durable ``HTTPSignalHook``s
  (one insert for the rows of the dispatch), measured in the same process;
* ``fanout``: one event to ``--endpoints`` endpoints, all matching: deliveries per
  second from ``post_save.send()`` until the sink has counted every request;
* ``raw_fanout``: ``asyncio.gather`` of the same number of posts on one aiohttp session
  (limit 100): the floor.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

from benchmarks import common
from benchmarks.phase_caller import percentile, timed_calls

MODES = ["caller", "hooks", "durable", "fanout", "raw_fanout"]
EVENT = "bench.Item:*"


def _setup(pg: bool) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.endpoints_settings"
    if pg:
        os.environ["BENCH_ENDPOINTS_PG"] = "1"
        common.ensure_database(os.environ.get("BENCH_OUTBOX_DB", "signalhooks_bench"))
    common.setup_django()


def _endpoints(sink_url: str, total: int, matching: int) -> None:
    from signalhooks.models import Endpoint, OutboxDelivery

    Endpoint.objects.all().delete()
    OutboxDelivery.objects.all().delete()
    Endpoint.objects.bulk_create(
        Endpoint(
            url=f"{sink_url}/e{i}",
            event_types=[EVENT] if i < matching else [f"other{i % 50}.Thing:*", "shop.*"],
        )
        for i in range(total)
    )


def _costs(baseline: list[int], loaded: list[int]) -> dict[str, float]:
    out: dict[str, float] = {}
    for q in (50, 90, 99):
        out[f"none_p{q}_us"] = percentile(baseline, q)
        out[f"with_p{q}_us"] = percentile(loaded, q)
        out[f"cost_p{q}_us"] = out[f"with_p{q}_us"] - out[f"none_p{q}_us"]
    return out


def caller(mode: str, sink_url: str, events: int, total: int, matching: int, interval: float):
    _setup(pg=False)
    from django.db.models.signals import post_save

    import signalhooks
    from benchmarks.benchapp.models import Item

    items = [common.make_item(i + 1) for i in range(events)]
    baseline = timed_calls(items, interval)
    if mode == "caller":
        from signalhooks.hooks import EndpointsHook

        _endpoints(sink_url, total, matching)
        post_save.connect(EndpointsHook(durable=False), sender=Item, weak=False)
    else:
        from signalhooks.hooks import HTTPSignalHook

        for i in range(matching):
            post_save.connect(HTTPSignalHook(f"{sink_url}/h{i}"), sender=Item, weak=False)
    post_save.send(sender=Item, instance=common.make_item(0), created=True)  # warm-up, index
    loaded = timed_calls(items, interval)
    stats_before = common.sink_stats(sink_url)
    flushed = signalhooks.flush(timeout=60.0)
    return {
        "phase": "endpoints",
        "mode": mode,
        "calls": events,
        "endpoints": total if mode == "caller" else 0,
        "matching": matching,
        **_costs(baseline, loaded),
        "flushed": flushed,
        "sink_count_at_end": stats_before.get("count"),
        "lib_stats": common.library_stats(),
    }


def postgres_unreachable() -> str | None:
    """Why the durable mode cannot run (the others run on SQLite), or ``None``."""
    import psycopg

    host = os.environ.get("BENCH_OUTBOX_HOST", "127.0.0.1")
    port = os.environ.get("BENCH_OUTBOX_PORT", "5432")
    try:
        psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", connect_timeout=5
        ).close()
    except psycopg.OperationalError:
        return (
            f"skipped: this row needs PostgreSQL, which is not reachable on {host}:{port} "
            "(user postgres, trust auth)"
        )
    return None


def timed_saves(count: int, interval: float) -> list[int]:
    """``count`` times ``Item.objects.create()`` in ``atomic()``: each one's nanoseconds."""
    from django.db import transaction

    from benchmarks.benchapp.models import Item

    text = (common._LOREM * 20)[: common.BODY_CHARS]
    samples = []
    for n in range(count):
        t0 = time.perf_counter_ns()
        with transaction.atomic():
            Item.objects.create(name=f"item-{n}", body=text)
        samples.append(time.perf_counter_ns() - t0)
        time.sleep(interval)
    return samples


def durable(sink_url: str, events: int, total: int, matching: int, interval: float):
    why = postgres_unreachable()
    if why is not None:
        return {"phase": "endpoints", "mode": "durable", "skipped": why}
    _setup(pg=True)
    from django.db import connection
    from django.db.models.signals import post_save

    import signalhooks
    from benchmarks.benchapp.models import Item
    from signalhooks.hooks import EndpointsHook, HTTPSignalHook
    from signalhooks.models import OutboxDelivery

    _endpoints(sink_url, total, matching)
    Item.objects.all().delete()

    def saves(count: int) -> list[int]:
        return timed_saves(count, interval)

    saves(20)  # warm the connection and the table
    plain = saves(events)
    hooks = [HTTPSignalHook(f"{sink_url}/h{i}", durable=True) for i in range(matching)]
    for hook in hooks:
        post_save.connect(hook, sender=Item, weak=False)
    saves(5)
    hook_samples = saves(events)
    for hook in hooks:
        post_save.disconnect(hook, sender=Item)
    post_save.connect(EndpointsHook(), sender=Item, weak=False)
    saves(5)  # loads the endpoint index
    durable_samples = saves(events)
    flushed = signalhooks.flush(timeout=120.0)
    rows = OutboxDelivery.objects.filter(status=OutboxDelivery.DELIVERED).count()
    connection.close()
    out: dict[str, Any] = {"phase": "endpoints", "mode": "durable", "calls": events}
    for q in (50, 90, 99):
        out[f"plain_p{q}_us"] = percentile(plain, q)
        out[f"durable_p{q}_us"] = percentile(durable_samples, q)
        out[f"hooks_p{q}_us"] = percentile(hook_samples, q)
    out["ratio_p50"] = out["durable_p50_us"] / out["plain_p50_us"]
    out.update(flushed=flushed, delivered_rows=rows, matching=matching, endpoints=total)
    return out


def fanout(sink_url: str, total: int, rounds: int, warmup: int) -> dict[str, Any]:
    _setup(pg=False)
    from django.db.models.signals import post_save

    import signalhooks
    from benchmarks.benchapp.models import Item
    from signalhooks.hooks import EndpointsHook

    _endpoints(sink_url, total, total)
    post_save.connect(EndpointsHook(durable=False), sender=Item, weak=False)
    item = common.make_item(1)
    seconds: list[float] = []
    incomplete = 0
    for _ in range(rounds + warmup):
        common.sink_stats(sink_url, reset=True)
        t0 = time.monotonic_ns()
        post_save.send(sender=Item, instance=item, created=True)
        signalhooks.flush(timeout=60.0)
        stats = common.sink_stats(sink_url)
        if stats["count"] < total:
            incomplete += 1
            continue
        seconds.append((stats["last_ns"] - t0) / 1e9)
    return _fanout_result("fanout", total, seconds[warmup:], incomplete)


def raw_fanout(sink_url: str, total: int, rounds: int, warmup: int) -> dict[str, Any]:
    import aiohttp

    _setup(pg=False)  # the body is serialized by Django, as the library's is
    body = common.webhook_body(common.make_item(1))
    urls = [f"{sink_url}/e{i}" for i in range(total)]

    async def run() -> list[float]:
        seconds = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

            async def post(url: str) -> int:
                async with session.post(url, data=body) as resp:
                    await resp.read()
                    return resp.status

            for _ in range(rounds + warmup):
                t0 = time.perf_counter()
                await asyncio.gather(*(post(u) for u in urls))
                seconds.append(time.perf_counter() - t0)
        return seconds[warmup:]

    return _fanout_result("raw_fanout", total, asyncio.run(run()), 0)


def _fanout_result(mode: str, total: int, seconds: list[float], incomplete: int) -> dict[str, Any]:
    median = statistics.median(seconds) if seconds else None
    return {
        "phase": "endpoints",
        "mode": mode,
        "endpoints": total,
        "seconds": [round(s, 4) for s in seconds],
        "median_s": median,
        "rate": total / median if median else None,
        "incomplete_rounds": incomplete,
    }


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--matching", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.005, help="seconds between calls")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    if args.mode in ("caller", "hooks"):
        result = caller(
            args.mode, args.sink_url, args.events, args.endpoints, args.matching, args.interval
        )
    elif args.mode == "durable":
        result = durable(args.sink_url, args.events, args.endpoints, args.matching, args.interval)
    elif args.mode == "fanout":
        result = fanout(args.sink_url, args.endpoints, args.rounds, args.warmup)
    else:
        result = raw_fanout(args.sink_url, args.endpoints, args.rounds, args.warmup)
    common.emit(result)


if __name__ == "__main__":
    main()
