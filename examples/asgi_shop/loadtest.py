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

``--worker-only`` runs both shops on PostgreSQL (``SHOP_DATABASE=postgres``; the
database ``SHOP_PG_NAME``, default ``signalhooks_shop``, is created if missing,
migrated, and its orders and outbox emptied) with durable hooks that the shop only
writes as outbox rows (``SHOP_WORKER_ONLY=1``), and ``--workers`` (2)
``manage.py signalhooks_worker`` processes that send them. A shop has then finished
its deliveries when the outbox has no pending row left; the CPU of the workers and
of PostgreSQL is printed too.

    python loadtest.py            # 1,500 orders per shop at 50/s (about 70 s)
    python loadtest.py --short    # 300 orders per shop (under 20 s); what CI runs
    python loadtest.py --short --json   # also print the figures as one JSON line
    python loadtest.py --rate 100       # 2,000 deliveries/s from one process
    python loadtest.py --worker-only    # PostgreSQL, 2 signalhooks_worker processes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import aiohttp

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
# The repository's own processes: the sink the benchmarks measure against, and the shop
# and its workers started as the tests start them.
sys.path.insert(0, str(HERE.parent.parent))
from tests.support.processes import Process  # noqa: E402
from tests.support.sink_process import SinkProcess  # noqa: E402
from tests.support.workers import shop_env, shop_server, signalhooks_worker  # noqa: E402

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


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (empty when not readable)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0.0 elsewhere)."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its descendants, those that exited included.

    For the PostgreSQL server: its postmaster forks a backend per connection, and the
    backends of Django's per-request connections exit within milliseconds (the
    postmaster's ``cutime``/``cstime`` keep their CPU once reaped).
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        fields = _stat(current)
        if fields:
            total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        todo += children.get(current, [])
    return total


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


async def wait_outbox(expected: int, conninfo: str) -> dict[str, Any]:
    """Worker-only mode: poll the outbox until ``expected`` rows exist and none is pending.

    The shop process accepts nothing itself there; the rows are the deliveries, and a
    row stops being pending once a worker has recorded its outcome.
    """
    import psycopg

    query = (
        "SELECT count(*), count(*) FILTER (WHERE status = 'pending'),"
        " count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'dead')"
        " FROM signalhooks_outboxdelivery"
    )
    deadline = time.monotonic() + 60
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        while True:
            cursor = await conn.execute(query)
            rows, pending, delivered, dead = await cursor.fetchone() or (0, 0, 0, 0)
            if (rows >= expected and pending == 0) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.02)
    return {
        "accepted": rows,
        "pending": pending,
        "delivered": delivered,
        "failed": dead,
        "dropped": 0,
    }


async def measure(
    bases: dict[int, str],
    pids: dict[int, int],
    args: argparse.Namespace,
    others: dict[str, Any] | None = None,
) -> dict[Any, dict[str, Any]]:
    """Alternate blocks of orders between the shops (one per hook count), so that both
    see the same background load; a block starts only once the previous shop has
    finished all its deliveries, so no shop's deliveries overlap another's block.

    ``others``: name -> function returning CPU seconds so far, for the processes
    besides the shops (workers, PostgreSQL, sink), measured over the hooked shop's
    blocks (until their last delivery) and over the whole measured run."""
    others = others or {}

    async def drain(hooks: int, expected: int) -> dict[str, Any]:
        if args.worker_only and hooks:
            return await wait_outbox(expected, args.conninfo)
        return await wait_drained(session, bases[hooks], expected)

    latencies: dict[int, list[float]] = {hooks: [] for hooks in bases}
    orders = dict.fromkeys(bases, 0)
    drained: dict[int, list[float]] = {hooks: [] for hooks in bases}
    stats: dict[int, dict[str, Any]] = {}
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector) as session:
        for hooks, base in bases.items():  # warm up each shop once
            await open_loop(session, f"{base}/orders", args.warmup, args.rate)
            orders[hooks] += args.warmup
            stats[hooks] = await drain(hooks, orders[hooks] * 2 * hooks)
        block = max(1, args.requests // args.blocks)
        cpu = dict.fromkeys(bases, 0.0)
        hooked_cpu = dict.fromkeys(others, 0.0)
        run_cpu = {name: -cpu_of() for name, cpu_of in others.items()}
        run_cpu["load generator"] = -time.process_time()
        started = time.perf_counter()
        for _ in range(args.blocks):
            for hooks, base in bases.items():
                cpu_before = cpu_seconds(pids[hooks])
                others_before = {name: cpu_of() for name, cpu_of in others.items()}
                latencies[hooks] += await open_loop(session, f"{base}/orders", block, args.rate)
                finished = time.perf_counter()
                orders[hooks] += block
                stats[hooks] = await drain(hooks, orders[hooks] * 2 * hooks)
                drained[hooks].append(time.perf_counter() - finished)
                cpu[hooks] += cpu_seconds(pids[hooks]) - cpu_before
                if hooks:
                    for name, cpu_of in others.items():
                        hooked_cpu[name] += cpu_of() - others_before[name]
        wall = time.perf_counter() - started
        run_cpu = {name: cpu_of() + run_cpu[name] for name, cpu_of in others.items()} | {
            "load generator": time.process_time() + run_cpu["load generator"]
        }
    out: dict[Any, dict[str, Any]] = {}
    for hooks in bases:
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
        if hooks:
            # The CPU of the other processes per order of the hooked shop, during its
            # blocks: what its deliveries cost outside the shop process.
            out[hooks]["other_cpu_ms_per_order"] = {
                name: seconds * 1000 / len(ms) for name, seconds in hooked_cpu.items()
            }
    out["run"] = {"wall_s": wall, "cpu_s": run_cpu | {f"shop {h} hooks": cpu[h] for h in bases}}
    return out


def prepare_postgres(env: dict[str, str]) -> tuple[str, int]:
    """Create the shop's database if missing, migrate it, empty its orders and outbox.

    Returns a conninfo for the load generator's own queries, and the PID of the
    PostgreSQL server (for its CPU time; 0 when it is not a local process).
    """
    import psycopg
    from psycopg import sql

    name = os.environ.get("SHOP_PG_NAME", "signalhooks_shop")
    server = {
        "host": os.environ.get("SHOP_PG_HOST", HOST),
        "port": os.environ.get("SHOP_PG_PORT", "5432"),
        "user": os.environ.get("SHOP_PG_USER", "postgres"),
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # --skip-checks: before the first migrate signalhooks.W002 warns, rightly, that the
    # outbox table is missing.
    command = [sys.executable, "manage.py", "migrate", "-v0", "--skip-checks"]
    subprocess.run(command, cwd=HERE, env=env, check=True)
    conninfo = psycopg.conninfo.make_conninfo(dbname=name, **server)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("TRUNCATE signalhooks_outboxdelivery, shop_order RESTART IDENTITY")
        server_pid = 0
        if server["host"] in (HOST, "localhost"):  # our backend's parent: the postmaster
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()
            if backend and (fields := _stat(int(backend[0]))):
                server_pid = int(fields[1])
    return conninfo, server_pid


def sink_count(sink: SinkProcess) -> int:
    with urlopen(f"{sink.url}/__count", timeout=10) as answer:
        return int(answer.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="300 orders per shop (CI)")
    parser.add_argument("--requests", type=int, help="measured orders per shop (default 1500)")
    parser.add_argument("--blocks", type=int, help="alternating blocks (default 10, short 6)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured orders first")
    parser.add_argument("--rate", type=float, default=50.0, help="orders started per second")
    parser.add_argument("--hooks", type=int, default=10, help="webhook endpoints (default 10)")
    parser.add_argument("--delay", type=float, default=0.2, help="sink answer delay, s")
    parser.add_argument(
        "--worker-only",
        action="store_true",
        help="PostgreSQL; the shop writes outbox rows, signalhooks_worker processes send them",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="signalhooks_worker processes (default 2)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    args.requests = args.requests or (300 if args.short else 1500)
    args.blocks = args.blocks or (6 if args.short else 10)

    workers: list[Process] = []
    others: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="asgi-shop-") as tmp:
        if args.worker_only:
            db = {"SHOP_DATABASE": "postgres", "SHOP_WORKER_ONLY": "1"}
            args.conninfo, server_pid = prepare_postgres(shop_env(0, "", **db))
            if server_pid:
                others["PostgreSQL"] = lambda: tree_cpu_seconds(server_pid)
        else:
            db = {"SHOP_DB": os.path.join(tmp, "shop.sqlite3")}
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v0"],
                cwd=HERE,
                env=shop_env(0, "", **db),
                check=True,
            )
        # Stopped in the reverse order: the workers first, while the sink still answers
        # (SIGTERM lets them finish the deliveries in hand and print their counts).
        with contextlib.ExitStack() as stack:
            sink = stack.enter_context(SinkProcess("http", "--delay", str(args.delay)))
            sink_url = f"{sink.url}/hook"
            bases, pids = {}, {}
            for hooks in (0, args.hooks):
                shop, bases[hooks] = shop_server(shop_env(hooks, sink_url, **db))
                pids[hooks] = stack.enter_context(shop).pid
            if args.worker_only:
                env = shop_env(args.hooks, sink_url, **db)
                for _ in range(args.workers):
                    workers.append(stack.enter_context(signalhooks_worker(env, cwd=HERE)))
                worker_pids = [worker.pid for worker in workers]
                others["workers"] = lambda: sum(cpu_seconds(pid) for pid in worker_pids)
            others["sink"] = lambda: cpu_seconds(sink.pid)
            runs = asyncio.run(measure(bases, pids, args, others))
            received = sink_count(sink)

    baseline, hooked, run = runs[0], runs[args.hooks], runs["run"]
    expected = hooked["stats"]["accepted"]
    result = {
        "requests": hooked["requests"],
        "rate": args.rate,
        "hooks": args.hooks,
        "sink_delay_ms": args.delay * 1000,
        "mode": f"worker-only, {args.workers} workers" if args.worker_only else "inline",
        "baseline": baseline,
        "hooked": hooked,
        "ratio_p50": hooked["p50_ms"] / baseline["p50_ms"],
        "ratio_p95": hooked["p95_ms"] / baseline["p95_ms"],
        "deliveries_expected": expected,
        "deliveries_received": received,
        "run": run,
    }
    if args.worker_only:  # each worker's last report: claimed=... delivered=... dead=...
        reports = [
            [line for line in w.output().splitlines() if "claimed=" in line] for w in workers
        ]
        result["workers"] = [lines[-1] if lines else "" for lines in reports]
    print(
        f"{hooked['requests']} orders per shop at {args.rate:.0f}/s (open loop) in "
        f"{args.blocks} alternating blocks, after {args.warmup} warm-up orders each"
        + (f"; PostgreSQL, {args.workers} signalhooks_worker processes" if args.worker_only else "")
    )
    print(f"{'':<26} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  shop CPU/order")
    label = f"{args.hooks} hooks x {args.delay * 1000:.0f} ms"
    for name, one in (("0 hooks", baseline), (label, hooked)):
        cells = " ".join(f"{one[k]:>6.2f}ms" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
        print(f"{name:<26} {cells}  {one['cpu_ms_per_order']:.2f}ms")
    print(f"ratio hooks/none: p50 {result['ratio_p50']:.2f}, p95 {result['ratio_p95']:.2f}")
    if hooked.get("other_cpu_ms_per_order"):
        cells = ", ".join(f"{k} {v:.2f}ms" for k, v in hooked["other_cpu_ms_per_order"].items())
        print(f"CPU per hooked order outside the shop: {cells}")
    cells = ", ".join(f"{k} {v:.1f}s" for k, v in run["cpu_s"].items())
    print(f"CPU over the measured {run['wall_s']:.1f}s ({os.cpu_count()} cores): {cells}")
    print(
        f"deliveries: {received} reached the sink of {expected} accepted "
        f"({hooked['stats']['failed']} failed, {hooked['stats']['dropped']} dropped); the last "
        f"of a block finished at most {hooked['drained_s']:.2f}s after its last order"
    )
    for report in result.get("workers", []):
        print(f"worker: {report or '(no report)'}")
    if args.json:
        print(json.dumps(result))
    return 0 if received == expected and hooked["stats"]["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
