"""The httpx phase: raw throughput of each httpx-compatible path of ``HTTP_TRANSPORT="httpx"``.

Each mode drives one of signalhooks' transports directly (``request()``, as a delivery
does, without the engine) with ``--concurrency`` workers posting a prebuilt body of the
webhook's size to the sink: ``aiohttp`` is the default transport, the reference; every
other mode is one of ``signalhooks.transports.httpx_paths.PATHS`` or, named ``-pool``,
a sharded path with one client of ``--concurrency`` connections instead (a candidate
the ranking rejected, measured so that the choice is checked). The plan runs them
back to back against one sink and alternates their order between repetitions, so the
report compares ratios to the aiohttp transport, not absolute rates. A path whose
packages are not installed reports itself skipped.

    python -m benchmarks.phase_httpx --mode "httpx2+aiohttp" --sink-url http://127.0.0.1:PORT
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from benchmarks import common
from signalhooks.transports.http import AiohttpTransport, HTTPTransport
from signalhooks.transports.httpx_paths import PATHS, HttpxPath

#: The shipped paths, fastest first, then the one-client variant of each sharded one.
CANDIDATES: list[HttpxPath] = [
    *PATHS,
    *(
        replace(p, name=p.name.replace("-sharded", "-pool"), sharded=False)
        for p in PATHS
        if p.sharded
    ),
]
MODES = ["aiohttp", *(path.name for path in CANDIDATES)]
HEADERS = {"Content-Type": "application/json"}
WARMUP = 200  # requests before the clock starts: connections opened, clients created


async def _post(
    transport: HTTPTransport, urls: list[str], total: int, concurrency: int, body: bytes
) -> int:
    """Send ``total`` requests round-robin over ``urls`` with ``concurrency`` workers."""
    errors = 0
    todo = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for i in todo:
            response = await transport.request(
                "POST",
                urls[i % len(urls)],
                params=None,
                headers=HEADERS,
                content=body,
                timeout=30.0,
                body_limit=1024,
            )
            errors += response.status != 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return errors


def _transport(mode: str, concurrency: int) -> HTTPTransport | str:
    """The transport of ``mode``, or why it cannot run here."""
    if mode == "aiohttp":
        return AiohttpTransport(limit=concurrency)
    path = next(path for path in CANDIDATES if path.name == mode)
    if not path.available():
        return f"skipped: {' and '.join(path.modules)} not installed (signalhooks[{path.extra}])"
    return path.transport(concurrency)


def run(mode: str, sink_url: str, events: int, hooks: int, concurrency: int) -> dict[str, Any]:
    common.setup_django()
    urls = [f"{sink_url}/t{i}" for i in range(hooks)]
    body = common.webhook_body(common.make_item(1))
    result: dict[str, Any] = {"phase": "httpx", "mode": mode, "deliveries": events}

    async def measure() -> tuple[int, float, float] | str:
        transport = _transport(mode, concurrency)
        if isinstance(transport, str):
            return transport
        try:
            await _post(transport, urls, WARMUP, concurrency, body)
            common.sink_stats(sink_url, reset=True)
            t0, c0 = time.perf_counter(), common.cpu_seconds()
            errors = await _post(transport, urls, events, concurrency, body)
            return errors, time.perf_counter() - t0, common.cpu_seconds() - c0
        finally:
            await transport.aclose()

    measured = asyncio.run(measure())
    if isinstance(measured, str):
        return {**result, "skipped": measured}
    errors, wall, cpu = measured
    count = common.wait_for_count(sink_url, events, timeout=5.0)
    return {
        **result,
        "errors": errors,
        "wall_s": wall,
        "cpu_s": cpu,
        "sink_count": count,
        "complete": count >= events and not errors,
        "rate": count / wall,
        "cpu_per_delivery_us": cpu / max(count, 1) * 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--hooks", type=int, default=10, help="distinct URLs, one origin")
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    common.emit(run(args.mode, args.sink_url, args.events, args.hooks, args.concurrency))


if __name__ == "__main__":
    main()
