"""Phase 1/6: delivery throughput and CPU per delivery against a fast local sink.

``raw_aiohttp`` is the ceiling: one ``ClientSession`` with ``TCPConnector(limit=100)``
and 100 workers posting a prebuilt body of the same size (``raw_httpx``: the same with
an ``httpx.AsyncClient``, the ceiling of the user-supplied-client path). The library modes fire
``post_save.send()`` in a loop with ``--hooks`` hooks connected and stop the clock when
``signalhooks.flush()`` returns and the sink has counted every request; ``sequential``
is the 0.1.1 model (blocking ``requests`` per target). CPU is the whole process
(``os.times``), so delivery threads are charged too.

    python -m benchmarks.phase_throughput --mode raw_aiohttp --sink-url http://127.0.0.1:PORT
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from benchmarks import common

MODES = ["raw_aiohttp", "raw_httpx", "signalhooks", "signalhooks_httpx", "sequential"]
HEADERS = {"Content-Type": "application/json"}
WARMUP = 10  # events (x hooks deliveries) before the clock starts, for every mode


async def _raw_aiohttp(urls: list[str], total: int, concurrency: int, body: bytes) -> int:
    """Post ``total`` requests round-robin over ``urls`` with ``concurrency`` workers."""
    import aiohttp

    errors = 0
    todo = iter(range(total))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            for i in todo:
                async with session.post(urls[i % len(urls)], data=body, headers=HEADERS) as r:
                    await r.read()
                    errors += r.status != 200

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return errors


async def _raw_httpx(urls: list[str], total: int, concurrency: int, body: bytes) -> int:
    """The httpx ceiling, to tell httpx's own cost from the library's on that path."""
    import httpx

    errors = 0
    todo = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for i in todo:
                r = await client.post(urls[i % len(urls)], content=body, headers=HEADERS)
                errors += r.status_code != 200

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return errors


def _connect_hooks(mode: str, urls: list[str]) -> list[Any]:
    """Connect one receiver per URL to ``post_save`` for Item; return them (kept alive)."""
    from django.db.models.signals import post_save

    from benchmarks.benchapp.models import Item

    hooks: list[Any]
    if mode == "sequential":
        from benchmarks.legacy import LegacyHTTPHook

        hooks = [LegacyHTTPHook(u) for u in urls]
    else:
        from signalhooks.hooks import HTTPSignalHook

        extra: dict[str, Any] = {}
        if mode == "signalhooks_httpx":
            import httpx

            limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
            extra["http_client"] = httpx.AsyncClient(limits=limits)
        hooks = [HTTPSignalHook(request_url=u, request_method="POST", **extra) for u in urls]
    for hook in hooks:
        post_save.connect(hook, sender=Item, weak=False)
    return hooks


def run(
    mode: str, sink_url: str, events: int, hooks: int, concurrency: int, otel: bool = False
) -> dict[str, Any]:
    if otel:
        common.setup_otel()
    common.setup_django()
    from django.db.models.signals import post_save

    from benchmarks.benchapp.models import Item

    urls = [f"{sink_url}/t{i}" for i in range(hooks)]
    deliveries = events * hooks
    items = [common.make_item(i + 1) for i in range(events)]
    body = common.webhook_body(items[0])
    result: dict[str, Any] = {
        "phase": "throughput",
        "mode": mode,
        "hooks": hooks,
        "deliveries": deliveries,
        "payload_bytes": len(body),
        "instance_bytes": common.serialized_size(items[0]),
        "otel": otel,
    }
    if mode.startswith("raw_"):
        client = _raw_aiohttp if mode == "raw_aiohttp" else _raw_httpx
        asyncio.run(client(urls, WARMUP * hooks, concurrency, body))  # open the pool
        common.sink_stats(sink_url, reset=True)
        t0, c0 = time.perf_counter(), common.cpu_seconds()
        result["errors"] = asyncio.run(client(urls, deliveries, concurrency, body))
        wall, cpu = time.perf_counter() - t0, common.cpu_seconds() - c0
        result["send_s"] = wall
    else:
        connected = _connect_hooks(mode, urls)
        send = post_save.send
        for i in range(WARMUP):  # open connections, start the engine: not measured
            send(sender=Item, instance=common.make_item(-i), created=True)
        if mode != "sequential":
            import signalhooks

            signalhooks.flush(timeout=30.0)
        common.sink_stats(sink_url, reset=True)
        t0, c0 = time.perf_counter(), common.cpu_seconds()
        with common.request_span():  # the request that saves them (no-op without an SDK)
            for item in items:
                send(sender=Item, instance=item, created=True)
        result["send_s"] = time.perf_counter() - t0
        if mode != "sequential":
            result["flushed"] = signalhooks.flush(timeout=120.0)
        wall, cpu = time.perf_counter() - t0, common.cpu_seconds() - c0
        if mode != "sequential":
            result["lib_stats"] = common.library_stats()
        del connected
    count = common.wait_for_count(sink_url, deliveries, timeout=5.0)
    sink = common.sink_stats(sink_url)
    result.update(
        wall_s=wall,
        cpu_s=cpu,
        sink_count=count,
        complete=count >= deliveries,
        rate=count / wall,
        cpu_per_delivery_us=cpu / max(count, 1) * 1e6,
        sink_cpu_util=sink["cpu_s"] / wall,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--hooks", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    common.emit(run(args.mode, args.sink_url, args.events, args.hooks, args.concurrency, args.otel))


if __name__ == "__main__":
    main()
