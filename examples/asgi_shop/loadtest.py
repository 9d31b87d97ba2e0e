"""Load test: the shop's request latency with no webhooks vs. with 10 slow ones.

Starts, on 127.0.0.1 and free ports: a webhook sink (its own process) that answers
every delivery after ``--delay`` (200 ms), and the shop under uvicorn twice, with
``SHOP_HOOKS=0`` and with ``SHOP_HOOKS=--hooks`` (10): each order then makes 2 x 10
deliveries to the slow sink. An open-loop load generator (aiohttp client; orders
start on a fixed schedule, ``--rate`` per second, whatever the answers' latency, so
slow answers cannot hide by slowing the generator down) sends ``POST /orders`` to
the two shops in alternating blocks, each block starting once the previous shop has
finished all its deliveries. Printed: latency percentiles per shop, their ratio,
the shop process's CPU per order, and whether every delivery reached the sink.

    python loadtest.py            # 1,500 orders per shop at 50/s (about 70 s)
    python loadtest.py --short    # 300 orders per shop (under 20 s); what CI runs
    python loadtest.py --short --json   # also print the figures as one JSON line
    python loadtest.py --rate 100       # 2,000 deliveries/s from one process
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SETTINGS = "shop.settings"  # also when the caller has DJANGO_SETTINGS_MODULE set


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the slow webhook receiver (runs as: loadtest.py --sink PORT DELAY) --------------


async def run_sink(port: int, delay: float) -> None:
    received = 0

    async def deliver(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        await asyncio.sleep(delay)
        return web.Response(text="ok")

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"received": received})

    app = web.Application()
    app.router.add_get("/count", count)
    app.router.add_post("/{path:.*}", deliver)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port, backlog=1024).start()
    await asyncio.Event().wait()


# -- load generation ------------------------------------------------------------------


async def open_loop(
    session: aiohttp.ClientSession, url: str, count: int, rate: float
) -> list[float]:
    """Start ``count`` requests at ``rate``/s on a fixed schedule; their latencies in s."""

    async def one() -> float:
        started = time.perf_counter()
        async with session.post(url) as response:
            await response.read()
            if response.status != 201:
                raise RuntimeError(f"POST {url}: HTTP {response.status}")
        return time.perf_counter() - started

    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for i in range(count):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    return list(await asyncio.gather(*tasks))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def wait_drained(session: aiohttp.ClientSession, base: str, expected: int) -> dict[str, Any]:
    """Poll the shop's ``/stats`` until every delivery it accepted has finished."""
    deadline = time.monotonic() + 60
    while True:
        async with session.get(f"{base}/stats") as response:
            stats: dict[str, Any] = await response.json()
        if (stats["accepted"] >= expected and stats["pending"] == 0) or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(0.02)


async def measure(
    ports: dict[int, int], pids: dict[int, int], args: argparse.Namespace
) -> dict[int, dict[str, Any]]:
    """Alternate blocks of orders between the shops (one per hook count), so that both
    see the same background load; a block starts only once the previous shop has
    finished all its deliveries, so no shop's deliveries overlap another's block."""
    bases = {hooks: f"http://{HOST}:{port}" for hooks, port in ports.items()}
    latencies: dict[int, list[float]] = {hooks: [] for hooks in ports}
    orders = dict.fromkeys(ports, 0)
    drained: dict[int, list[float]] = {hooks: [] for hooks in ports}
    stats: dict[int, dict[str, Any]] = {}
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector) as session:
        for hooks, base in bases.items():  # warm up each shop once
            await open_loop(session, f"{base}/orders", args.warmup, args.rate)
            orders[hooks] += args.warmup
            stats[hooks] = await wait_drained(session, base, orders[hooks] * 2 * hooks)
        block = max(1, args.requests // args.blocks)
        cpu = dict.fromkeys(ports, 0.0)
        for _ in range(args.blocks):
            for hooks, base in bases.items():
                cpu_before = cpu_seconds(pids[hooks])
                latencies[hooks] += await open_loop(session, f"{base}/orders", block, args.rate)
                finished = time.perf_counter()
                orders[hooks] += block
                stats[hooks] = await wait_drained(session, base, orders[hooks] * 2 * hooks)
                drained[hooks].append(time.perf_counter() - finished)
                cpu[hooks] += cpu_seconds(pids[hooks]) - cpu_before
    out = {}
    for hooks in ports:
        ms = [latency * 1000 for latency in latencies[hooks]]
        out[hooks] = {
            "requests": len(ms),
            "p50_ms": percentile(ms, 0.50),
            "p95_ms": percentile(ms, 0.95),
            "p99_ms": percentile(ms, 0.99),
            "max_ms": max(ms),
            "stats": stats[hooks],
            "drained_s": max(drained[hooks]),
            # CPU of the whole shop process per order, deliveries included.
            "cpu_ms_per_order": cpu[hooks] * 1000 / len(ms),
        }
    return out


def start_shop(hooks: int, sink_url: str, db: str) -> tuple[int, subprocess.Popen[bytes]]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "SHOP_HOOKS": str(hooks),
        "SHOP_HOOK_URL": sink_url,
        "SHOP_DB": db,
        "PYTHONPATH": os.pathsep.join([str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "uvicorn", "shop.asgi:application", "--host", HOST]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    command += ["--lifespan", "off"]  # Django's ASGI handler does not speak lifespan
    return port, subprocess.Popen(command, cwd=HERE, env=env)


def sink_count(port: int) -> int:
    async def get() -> int:
        url = f"http://{HOST}:{port}/count"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return int((await response.json())["received"])

    return asyncio.run(get())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="300 orders per shop (CI)")
    parser.add_argument("--requests", type=int, help="measured orders per shop (default 1500)")
    parser.add_argument("--blocks", type=int, help="alternating blocks (default 10, short 6)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured orders first")
    parser.add_argument("--rate", type=float, default=50.0, help="orders started per second")
    parser.add_argument("--hooks", type=int, default=10, help="webhook endpoints (default 10)")
    parser.add_argument("--delay", type=float, default=0.2, help="sink answer delay, s")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--sink", nargs=2, metavar=("PORT", "DELAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_sink(int(args.sink[0]), float(args.sink[1])))
        return 0
    args.requests = args.requests or (300 if args.short else 1500)
    args.blocks = args.blocks or (6 if args.short else 10)

    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="asgi-shop-") as tmp:
        db = os.path.join(tmp, "shop.sqlite3")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "SHOP_DB": db, "SHOP_HOOKS": "0"}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=HERE, env=env, check=True
        )
        try:
            sink_port = free_port()
            command = [sys.executable, __file__, "--sink", str(sink_port), str(args.delay)]
            processes.append(subprocess.Popen(command))
            sink_url = f"http://{HOST}:{sink_port}/hook"
            ports = {}
            for hooks in (0, args.hooks):
                ports[hooks], shop = start_shop(hooks, sink_url, db)
                processes.append(shop)
            for port, process in zip([sink_port, *ports.values()], processes, strict=True):
                wait_for_port(port, process)
            pids = {hooks: process.pid for hooks, process in zip(ports, processes[1:], strict=True)}
            runs = asyncio.run(measure(ports, pids, args))
            received = sink_count(sink_port)
        finally:
            for process in reversed(processes):
                stop(process)

    baseline, hooked = runs[0], runs[args.hooks]
    expected = hooked["stats"]["accepted"]
    result = {
        "requests": hooked["requests"],
        "rate": args.rate,
        "hooks": args.hooks,
        "sink_delay_ms": args.delay * 1000,
        "baseline": baseline,
        "hooked": hooked,
        "ratio_p50": hooked["p50_ms"] / baseline["p50_ms"],
        "ratio_p95": hooked["p95_ms"] / baseline["p95_ms"],
        "deliveries_expected": expected,
        "deliveries_received": received,
    }
    print(
        f"{hooked['requests']} orders per shop at {args.rate:.0f}/s (open loop) in "
        f"{args.blocks} alternating blocks, after {args.warmup} warm-up orders each"
    )
    print(f"{'':<26} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  shop CPU/order")
    label = f"{args.hooks} hooks x {args.delay * 1000:.0f} ms"
    for name, run in (("0 hooks", baseline), (label, hooked)):
        cells = " ".join(f"{run[k]:>6.2f}ms" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
        print(f"{name:<26} {cells}  {run['cpu_ms_per_order']:.2f}ms")
    print(f"ratio hooks/none: p50 {result['ratio_p50']:.2f}, p95 {result['ratio_p95']:.2f}")
    print(
        f"deliveries: {received} reached the sink of {expected} accepted "
        f"({hooked['stats']['failed']} failed, {hooked['stats']['dropped']} dropped); the last "
        f"of a block finished at most {hooked['drained_s']:.2f}s after its last order"
    )
    if args.json:
        print(json.dumps(result))
    return 0 if received == expected and hooked["stats"]["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
