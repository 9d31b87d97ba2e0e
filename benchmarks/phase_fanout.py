"""Phase 2/6: fan-out latency to M targets whose sink answers after 50 ms.

Concurrent delivery should cost about one round trip whatever M is; the 0.1.1 model
(``sequential``: one blocking ``requests`` call per target) costs M round trips. Modes:

* ``asend``: ``await signal.asend(...)`` on a custom ``Signal()`` with M
  ``hook.async_receiver``s; wall time of the await (responses included).
* ``sync``: ``post_save.send()`` with M hooks; time from the call until the M-th request
  *arrives* at the sink (the sink stamps arrivals with CLOCK_MONOTONIC, which is
  system-wide on Linux, so stamps compare across processes).
* ``raw_aiohttp``: ``asyncio.gather`` of M posts on one session, the floor for ``asend``.
* ``sequential``: wall time of ``post_save.send()`` with M 0.1.1-style receivers.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from benchmarks import common

MODES = ["asend", "sync", "raw_aiohttp", "sequential"]


async def _asend(urls: list[str], rounds: int) -> tuple[list[float], int]:
    from django.dispatch import Signal

    from benchmarks.benchapp.models import Item
    from signalhooks.hooks import HTTPSignalHook

    signal = Signal()
    hooks = [HTTPSignalHook(request_url=u, request_method="POST") for u in urls]
    for hook in hooks:
        signal.connect(hook.async_receiver, weak=False)
    item = common.make_item(1)
    samples: list[float] = []
    failures = 0
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        responses = await signal.asend(sender=Item, instance=item, created=True)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
        failures += sum(not getattr(res, "ok", False) for _, res in responses)
    return samples, failures


async def _raw(urls: list[str], rounds: int, body: bytes) -> tuple[list[float], int]:
    import aiohttp

    samples: list[float] = []
    failures = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def post(url: str) -> int:
            async with session.post(url, data=body) as resp:
                await resp.read()
                return resp.status

        for _ in range(rounds):
            t0 = time.perf_counter_ns()
            statuses = await asyncio.gather(*(post(u) for u in urls))
            samples.append((time.perf_counter_ns() - t0) / 1e6)
            failures += sum(s != 200 for s in statuses)
    return samples, failures


def _sync(mode: str, urls: list[str], sink_url: str, rounds: int) -> dict[str, list[float]]:
    """Time ``post_save.send``; for the library also the M-th arrival at the sink."""
    from django.db.models.signals import post_save

    from benchmarks.benchapp.models import Item

    if mode == "sequential":
        from benchmarks.legacy import LegacyHTTPHook

        hooks: list[Any] = [LegacyHTTPHook(u) for u in urls]
    else:
        import signalhooks
        from signalhooks.hooks import HTTPSignalHook

        hooks = [HTTPSignalHook(request_url=u, request_method="POST") for u in urls]
    for hook in hooks:
        post_save.connect(hook, sender=Item, weak=False)
    item = common.make_item(1)
    arrival: list[float] = []
    call: list[float] = []
    for _ in range(rounds):
        common.sink_stats(sink_url, reset=True)
        t0 = time.monotonic_ns()
        post_save.send(sender=Item, instance=item, created=True)
        call.append((time.monotonic_ns() - t0) / 1e6)
        if mode == "sync":
            signalhooks.flush(timeout=30.0)
        stats = common.sink_stats(sink_url)
        if stats["count"] >= len(urls):
            arrival.append((stats["last_ns"] - t0) / 1e6)
    return {"arrival": arrival, "call": call}


def run(mode: str, sink_url: str, targets: int, rounds: int, warmup: int) -> dict[str, Any]:
    common.setup_django()
    urls = [f"{sink_url}/t{i}" for i in range(targets)]
    total = rounds + warmup
    result: dict[str, Any] = {"phase": "fanout", "mode": mode, "targets": targets}
    if mode in ("asend", "raw_aiohttp"):
        body = common.webhook_body(common.make_item(1))
        coro = _asend(urls, total) if mode == "asend" else _raw(urls, total, body)
        samples, failures = asyncio.run(coro)
        result["failures"] = failures
    else:
        timings = _sync(mode, urls, sink_url, total)
        samples = timings["arrival"] if mode == "sync" else timings["call"]
        result["call_ms_median"] = statistics.median(timings["call"][warmup:])
        result["incomplete_rounds"] = total - len(samples)
    samples = samples[warmup:]
    result.update(
        samples_ms=[round(s, 3) for s in samples],
        median_ms=statistics.median(samples) if samples else None,
        min_ms=min(samples, default=None),
        max_ms=max(samples, default=None),
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    common.emit(run(args.mode, args.sink_url, args.targets, args.rounds, args.warmup))


if __name__ == "__main__":
    main()
