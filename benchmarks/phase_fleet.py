"""The fleet paths side by side, on one sink, in one run (PostgreSQL, Redis, RabbitMQ).

1. ``per_worker``: deliveries/s of ONE worker process for each way of sending durable
   rows: ``signalhooks_worker``, django-tasks-db's ``db_worker``, RQ (``rqworker``,
   SimpleWorker) and Celery (``--pool threads``, when django-tasks-celery is
   installed), and, as the reference, the in-process engine of this process with plain
   deliveries. Tasks carry ``--rows-per-task`` rows (one transaction's rows). The rate
   is taken between the 5th percentile of arrivals and the last, so process start-up
   does not count.
2. ``notify_latency``: worker-only mode (``DURABLE_INLINE=False``): one durable row
   committed at a time (idle machine, 20 ms apart); the time from the commit's return
   to its arrival at the sink, with ``signalhooks_worker`` woken by LISTEN/NOTIFY (its
   poll interval is 1 s).

    python -m benchmarks.phase_fleet [--deliveries 3000] [--rows-per-task 10] [--smoke]

Prints one JSON line: ``{"phase": "fleet", "per_worker": {...}, "notify_latency": {...}}``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import common
from benchmarks.phase_outbox import _ensure_database, _rows, _start_sink

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "signalhooks-bench"
TASKS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [QUEUE]},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [QUEUE]},
    "celery": {
        "BACKEND": "django_tasks_celery.CeleryBackend",
        "QUEUES": [QUEUE],
        "OPTIONS": {"CELERY_APP": "benchmarks.celery_app.app"},
    },
}
HAS_CELERY = importlib.util.find_spec("django_tasks_celery") is not None


def _worker_command(path: str) -> list[str]:
    django = [sys.executable, "-m", "django"]
    if path == "signalhooks_worker":
        return [*django, "signalhooks_worker", "--concurrency", "50", "--batch", "200"]
    if path == "db":
        return [*django, "db_worker", "--backend", "db", "--queue-name", QUEUE]
    if path == "rq":
        rq = ["--worker-class", "rq.worker.SimpleWorker", "--job-class", "django_tasks_rq.Job"]
        return [*django, "rqworker", QUEUE, *rq]
    celery = ["--pool", "threads", "--concurrency", "8", "-l", "warning", "--without-gossip"]
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "benchmarks.celery_app",
        "worker",
        "-Q",
        QUEUE,
        *celery,
    ]


def _rate(sink_url: str, count: int, timeout: float = 300) -> dict[str, Any]:
    """Deliveries/s between the 5th percentile of arrivals and the last one."""
    first = max(1, count // 20)
    common.wait_for_count(sink_url, first, timeout, interval=0.002)
    started = time.monotonic()
    arrived = common.wait_for_count(sink_url, count, timeout, interval=0.002)
    seconds = time.monotonic() - started
    return {"per_s": round((arrived - first) / seconds), "arrived": arrived, "expected": count}


def _per_worker(path: str, count: int, per_task: int, sink_url: str, env: dict[str, str]) -> Any:
    from django.db import connections, transaction

    from signalhooks.outbox.enqueue import enqueue
    from signalhooks.outbox.models import OutboxDelivery
    from signalhooks.registry import all_hooks

    [hook] = all_hooks()
    OutboxDelivery.objects.all().delete()
    common.sink_stats(sink_url, reset=True)
    rows = _rows(hook, count)
    if path != "signalhooks_worker":  # leave the rows to their tasks, not to the schedule
        for row in rows:
            row.next_attempt_at = row.created_at.replace(year=row.created_at.year + 1)
    with transaction.atomic():
        OutboxDelivery.objects.bulk_create(rows, batch_size=5000)
    log = open(os.devnull, "w")  # noqa: SIM115
    proc = subprocess.Popen(_worker_command(path), cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        if path != "signalhooks_worker":
            ids = [(row.pk, 0) for row in rows]
            for start in range(0, len(ids), per_task):
                enqueue("default", ids[start : start + per_task])
        result = _rate(sink_url, count)
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()
        connections.close_all()
    return result


def _engine(count: int, sink_url: str) -> Any:
    import signalhooks
    from signalhooks.engine.bridge import get_engine
    from signalhooks.registry import all_hooks
    from signalhooks.snapshot.events import custom_event
    from signalhooks.targets.base import Delivery

    [hook] = all_hooks()
    common.sink_stats(sink_url, reset=True)
    engine = get_engine()
    text = (common._LOREM * 20)[: common.BODY_CHARS]
    for i in range(count):
        engine.accept(
            Delivery(custom_event("bench:item", {"i": i, "text": text}), hook.target, hook)
        )
    result = _rate(sink_url, count)
    signalhooks.flush(30)
    return result


def _notify_latency(rounds: int, sink_url: str, env: dict[str, str]) -> Any:
    from django.db import transaction

    from benchmarks.outboxapp.apps import bench_signal
    from signalhooks.outbox.models import OutboxDelivery

    OutboxDelivery.objects.all().delete()
    common.sink_stats(sink_url, reset=True)
    command = [sys.executable, "-m", "django", "signalhooks_worker", "--poll", "1.0"]
    log = open(os.devnull, "w")  # noqa: SIM115
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    latencies = []
    try:
        time.sleep(3)  # started, and listening
        for i in range(rounds):
            with transaction.atomic():
                bench_signal.send(sender=None, i=i)
            committed = time.perf_counter()
            common.wait_for_count(sink_url, i + 1, 10, interval=0.0002)
            latencies.append((time.perf_counter() - committed) * 1000)
            time.sleep(0.02)
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()
    ordered = sorted(latencies)
    return {
        "rounds": rounds,
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=3000, help="rows per path")
    parser.add_argument("--rows-per-task", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=200, help="latency samples")
    parser.add_argument("--smoke", action="store_true", help="500 rows, 50 samples")
    parser.add_argument("--database", default="signalhooks_bench")
    options = parser.parse_args()
    if options.smoke:
        options.deliveries, options.rounds = 500, 50

    _ensure_database(options.database)
    sink, sink_url = _start_sink()
    tasks = {k: v for k, v in TASKS.items() if k != "celery" or HAS_CELERY}
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "benchmarks.outbox_settings",
        "BENCH_OUTBOX_DB": options.database,
        "BENCH_OUTBOX_SINK": sink_url + "/outbox",
        "BENCH_TASKS": json.dumps(tasks),
        "BENCH_SIGNALHOOKS": json.dumps({"DURABLE_LEASE": 60.0}),
    }
    os.environ.update(env)
    import django
    from django.core.management import call_command
    from django.test import override_settings

    django.setup()
    call_command("migrate", verbosity=0)
    per_worker: dict[str, Any] = {}
    try:
        per_worker["engine_in_process"] = _engine(options.deliveries, sink_url)
        per_worker["signalhooks_worker"] = _per_worker(
            "signalhooks_worker", options.deliveries, 0, sink_url, env
        )
        for path in tasks:
            settings = {"DURABLE_LEASE": 60.0, "TASKS_BACKEND": path, "TASKS_QUEUE": QUEUE}
            path_env = {**env, "BENCH_SIGNALHOOKS": json.dumps(settings)}
            with override_settings(SIGNALHOOKS=settings):
                per_worker[path] = _per_worker(
                    path, options.deliveries, options.rows_per_task, sink_url, path_env
                )
        fleet = max(v["per_s"] for k, v in per_worker.items() if k != "engine_in_process")
        ratio = round(fleet / per_worker["engine_in_process"]["per_s"], 2)
        only_workers = {"DURABLE_LEASE": 60.0, "DURABLE_INLINE": False}
        with override_settings(SIGNALHOOKS=only_workers):
            latency = _notify_latency(options.rounds, sink_url, env)
    finally:
        sink.terminate()
        sink.wait(10)
    common.emit(
        {
            "phase": "fleet",
            "cpus": os.cpu_count(),
            "rows_per_task": options.rows_per_task,
            "per_worker": per_worker,
            "fastest_fleet_vs_engine": ratio,
            "notify_latency": latency,
        }
    )


if __name__ == "__main__":
    main()
