"""Durable outbox: deliveries/s of 1 and 2 ``signalhooks_worker`` processes (PostgreSQL).

For each worker count: empty the outbox table, start the workers (idle, polling),
commit ``--deliveries`` due rows (~1 KB bodies) in one transaction, and time from the
commit until the fast sink has counted every request (``seconds``) and until every
row is marked delivered (``recorded_s``). Needs PostgreSQL on 127.0.0.1:5432 (user
postgres); the database ``signalhooks_bench`` is created and migrated if missing.

    python -m benchmarks.phase_outbox [--workers 1,2] [--deliveries 20000]

Prints one JSON line: ``{"phase": "outbox", "runs": [{"workers", "deliveries",
"seconds", "per_s", "per_worker_s", "recorded_s", "requests"}, ...]}``.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from benchmarks import common
from tests.support.processes import Process
from tests.support.rows import outbox_rows
from tests.support.sink_process import SinkProcess
from tests.support.workers import outbox_env, signalhooks_worker


def bench_rows(hook: Any, count: int) -> list[Any]:
    """``count`` due rows of ``hook`` with ~1 KB bodies."""
    text = (common._LOREM * 20)[: common.BODY_CHARS]
    return outbox_rows(hook, count, data={"text": text})


def worker_env(
    database: str,
    sink_url: str,
    signalhooks: dict[str, Any],
    tasks: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The worker project on the benchmark database with one durable hook to the sink
    (see :func:`tests.support.workers.outbox_env`), and this process set up the same way:
    it writes the rows the workers send."""
    db = common.ensure_database(database)
    env = outbox_env(db, [f"{sink_url}/outbox"], {"TIMEOUT": 10.0, **signalhooks}, tasks)
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return env


def _run(count: int, workers: int, sink_url: str, env: dict[str, str], args: list[str]) -> Any:
    from django.db import connections, transaction

    from signalhooks.outbox.models import OutboxDelivery
    from signalhooks.registry import all_hooks

    [hook] = all_hooks()
    OutboxDelivery.objects.all().delete()
    made = bench_rows(hook, count)
    procs: list[Process] = []
    try:
        procs += [signalhooks_worker(env, *args) for _ in range(workers)]
        common.sink_stats(sink_url, reset=True)
        with transaction.atomic():
            OutboxDelivery.objects.bulk_create(made, batch_size=5000)
        started = time.monotonic()
        arrived = common.wait_for_count(sink_url, count, timeout=300, interval=0.01)
        seconds = time.monotonic() - started
        delivered = OutboxDelivery.objects.filter(status=OutboxDelivery.DELIVERED)
        while delivered.count() < count and time.monotonic() - started < 300:
            time.sleep(0.05)
        recorded = time.monotonic() - started
    finally:
        for proc in procs:
            proc.stop(60)
        connections.close_all()
    requests = int(common.sink_stats(sink_url)["count"])
    return {
        "workers": workers,
        "deliveries": count,
        "arrived": arrived,
        "seconds": round(seconds, 3),
        "per_s": round(count / seconds),
        "per_worker_s": round(count / seconds / workers),
        "recorded_s": round(recorded, 3),
        "requests": requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--deliveries", type=int, default=20_000, help="rows per run")
    parser.add_argument("--concurrency", type=int, default=50, help="worker --concurrency")
    parser.add_argument("--batch", type=int, default=200, help="worker --batch")
    parser.add_argument("--database", default="signalhooks_bench")
    options = parser.parse_args()

    with SinkProcess("http") as sink:
        env = worker_env(options.database, sink.url, {})
        args = ["--concurrency", str(options.concurrency), "--batch", str(options.batch)]
        args += ["--poll", "0.05"]
        runs = [
            _run(options.deliveries, int(n), sink.url, env, args)
            for n in options.workers.split(",")
        ]
    common.emit({"phase": "outbox", "cpus": os.cpu_count(), "runs": runs})


if __name__ == "__main__":
    main()
