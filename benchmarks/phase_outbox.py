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
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import common

ROOT = Path(__file__).resolve().parent.parent


def _ensure_database(name: str) -> None:
    import psycopg

    host = os.environ.get("BENCH_OUTBOX_HOST", "127.0.0.1")
    port = os.environ.get("BENCH_OUTBOX_PORT", "5432")
    server = {"host": host, "port": port, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**server, autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')


def _start_sink() -> tuple[subprocess.Popen[str], str]:
    sink = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.sinks", "http", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    return sink, f"http://127.0.0.1:{sink.stdout.readline().split()[0]}"


def _start_worker(env: dict[str, str], args: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", "signalhooks_worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the banner: the worker is up and polling
    return proc


def _rows(hook: Any, count: int) -> list[Any]:
    from django.utils import timezone

    from signalhooks.outbox.rows import build_row
    from signalhooks.snapshot.events import custom_event
    from signalhooks.targets.base import Delivery

    now = timezone.now()
    text = (common._LOREM * 20)[: common.BODY_CHARS]
    return [
        build_row(
            Delivery(custom_event("bench:item", {"i": i, "text": text}), hook.target, hook),
            now,
            lease=None,
            locked_by="",
            delay=0,
        )
        for i in range(count)
    ]


def _run(count: int, workers: int, sink_url: str, env: dict[str, str], args: list[str]) -> Any:
    from django.db import connections, transaction

    from signalhooks.outbox.models import OutboxDelivery
    from signalhooks.registry import all_hooks

    [hook] = all_hooks()
    OutboxDelivery.objects.all().delete()
    rows = _rows(hook, count)
    procs = [_start_worker(env, args) for _ in range(workers)]
    try:
        common.sink_stats(sink_url, reset=True)
        with transaction.atomic():
            OutboxDelivery.objects.bulk_create(rows, batch_size=5000)
        started = time.monotonic()
        arrived = common.wait_for_count(sink_url, count, timeout=300, interval=0.01)
        seconds = time.monotonic() - started
        delivered = OutboxDelivery.objects.filter(status=OutboxDelivery.DELIVERED)
        while delivered.count() < count and time.monotonic() - started < 300:
            time.sleep(0.05)
        recorded = time.monotonic() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)
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

    _ensure_database(options.database)
    sink, sink_url = _start_sink()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "benchmarks.outbox_settings",
        "BENCH_OUTBOX_DB": options.database,
        "BENCH_OUTBOX_SINK": sink_url + "/outbox",
    }
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    args = ["--concurrency", str(options.concurrency), "--batch", str(options.batch)]
    args += ["--poll", "0.05"]
    try:
        runs = [
            _run(options.deliveries, int(n), sink_url, env, args)
            for n in options.workers.split(",")
        ]
    finally:
        sink.terminate()
        sink.wait(10)
    common.emit({"phase": "outbox", "cpus": os.cpu_count(), "runs": runs})


if __name__ == "__main__":
    main()
