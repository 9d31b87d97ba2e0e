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
import time
from typing import Any

from benchmarks import common
from benchmarks.phase_outbox import bench_rows, worker_env
from tests.support.processes import Process
from tests.support.sink_process import SinkProcess
from tests.support.workers import signalhooks_worker, task_worker

QUEUE = "signalhooks-bench"
TASKS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [QUEUE]},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [QUEUE]},
    "celery": {
        "BACKEND": "django_tasks_celery.CeleryBackend",
        "QUEUES": [QUEUE],
        "OPTIONS": {"CELERY_APP": "tests.support.outbox_project.celery.app"},
    },
}
APPS = {"db": "django_tasks_db", "rq": "django_rq"}
HAS_CELERY = importlib.util.find_spec("django_tasks_celery") is not None


def _worker(path: str, env: dict[str, str]) -> Process:
    if path == "signalhooks_worker":
        return signalhooks_worker(env, "--concurrency", "50", "--batch", "200")
    return task_worker(path, QUEUE, env)


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
    rows = bench_rows(hook, count)
    if path != "signalhooks_worker":  # leave the rows to their tasks, not to the schedule
        for row in rows:
            row.next_attempt_at = row.created_at.replace(year=row.created_at.year + 1)
    with transaction.atomic():
        OutboxDelivery.objects.bulk_create(rows, batch_size=5000)
    proc = _worker(path, env)
    try:
        if path != "signalhooks_worker":
            ids = [(row.pk, 0) for row in rows]
            for start in range(0, len(ids), per_task):
                enqueue("default", ids[start : start + per_task])
        result = _rate(sink_url, count)
    finally:
        proc.stop(60)
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

    from signalhooks.outbox.models import OutboxDelivery
    from tests.testapp.models import Pizza

    OutboxDelivery.objects.all().delete()
    common.sink_stats(sink_url, reset=True)
    # At INFO it says when it listens: "1 workers listen for commits".
    proc = signalhooks_worker({**env, "SIGNALHOOKS_OUTBOX_LOG_LEVEL": "INFO"}, "--poll", "1.0")
    latencies = []
    try:
        proc.wait_for_output("workers listen")
        for i in range(rounds):
            with transaction.atomic():
                Pizza.objects.create(name=f"notify {i}")
            committed = time.perf_counter()
            common.wait_for_count(sink_url, i + 1, 10, interval=0.0002)
            latencies.append((time.perf_counter() - committed) * 1000)
            time.sleep(0.02)
    finally:
        proc.stop(60)
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

    tasks = {k: v for k, v in TASKS.items() if k != "celery" or HAS_CELERY}
    redis = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")
    backends = {
        "apps": [APPS[k] for k in tasks if k in APPS],
        "TASKS": tasks,
        "RQ_QUEUES": {QUEUE: {"URL": redis}},
    }
    from django.test import override_settings

    per_worker: dict[str, Any] = {}
    with SinkProcess("http") as sink:
        env = worker_env(options.database, sink.url, {"DURABLE_LEASE": 60.0}, backends)
        per_worker["engine_in_process"] = _engine(options.deliveries, sink.url)
        per_worker["signalhooks_worker"] = _per_worker(
            "signalhooks_worker", options.deliveries, 0, sink.url, env
        )
        for path in tasks:
            settings = {"DURABLE_LEASE": 60.0, "TASKS_BACKEND": path, "TASKS_QUEUE": QUEUE}
            path_env = {
                **env,
                "SIGNALHOOKS_OUTBOX_SETTINGS": json.dumps({"TIMEOUT": 10.0, **settings}),
            }
            with override_settings(SIGNALHOOKS=settings):
                per_worker[path] = _per_worker(
                    path, options.deliveries, options.rows_per_task, sink.url, path_env
                )
        fleet = max(v["per_s"] for k, v in per_worker.items() if k != "engine_in_process")
        ratio = round(fleet / per_worker["engine_in_process"]["per_s"], 2)
        only_workers = {"DURABLE_LEASE": 60.0, "DURABLE_INLINE": False}
        with override_settings(SIGNALHOOKS=only_workers):
            latency = _notify_latency(options.rounds, sink.url, env)
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
