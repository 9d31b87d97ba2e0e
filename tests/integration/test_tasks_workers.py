"""Django Tasks mode with each backend's own worker processes, on PostgreSQL.

django-tasks-db's ``db_worker``, django-rq's ``rqworker`` (Redis) and ``celery worker``
(RabbitMQ), each started as its documentation says, find signalhooks' task by
themselves and deliver what the test process commits; nothing of a rolled-back
transaction arrives. The ``fleet`` tests send thousands of deliveries while a worker
is killed with SIGKILL and (RQ) Redis is restarted, losing every queued task:
``signalhooks_worker --sweep`` enqueues the rows again and every committed delivery
arrives.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.fleet import (
    BACKENDS,
    RedisServer,
    commit_pizzas,
    fleet_env,
    redis_server,
    start_sweeper,
    start_task_worker,
)
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
)
from tests.support.processes import Process
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
BACKEND_PARAMS = [
    pytest.param("db", id="django-tasks-db"),
    pytest.param("rq", id="rq"),
    pytest.param("celery", id="celery", marks=pytest.mark.celery),
]


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def tasks_mode(settings, redis):
    def use(backend: str, **extra: object) -> None:
        settings.SIGNALHOOKS = {
            **settings.SIGNALHOOKS,
            "TASKS_BACKEND": backend,
            "TASKS_QUEUE": BACKENDS[backend][0],
            **extra,
        }

    return use


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_the_backends_worker_delivers_what_was_committed(backend, tasks_mode, connect):
    lease = 5.0
    tasks_mode(backend, DURABLE_LEASE=lease)
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        worker = start_task_worker(
            backend, fleet_env(backend, [sink.url()], {"DURABLE_LEASE": lease})
        )
        try:
            commit_pizzas(30, 3, rollback_every=4)
            committed = set(rows.values_list("event_id", flat=True))
            assert len(committed) == 30
            sink.wait(lambda s: s.distinct() == committed, 30, "every committed delivery")
            # A task records its outcomes after the sends: on a loaded machine a Celery
            # thread can take seconds to get there (a wait on a condition, not a sleep).
            wait_until(lambda: not rows.exclude(status="delivered").exists(), 30, "rows settled")
        finally:
            output = worker.stop()
        assert sink.distinct() == committed, output
        assert sink.count() == 30, sink.duplicates()


@pytest.mark.fleet
@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_5000_deliveries_survive_a_killed_worker_and_a_restarted_broker(
    backend, tasks_mode, connect, redis
):
    total, lease = int(os.environ.get("SIGNALHOOKS_FLEET_TOTAL", "5000")), 3.0
    tasks_mode(backend, DURABLE_LEASE=lease)
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        env = fleet_env(backend, [sink.url()], {"DURABLE_LEASE": lease})
        workers = [start_task_worker(backend, env) for _ in range(2)]
        sweeper = start_sweeper(env)
        retired: list[Process] = []
        restarts = 0

        last = [0.0]

        def supervise() -> None:
            """What systemd's Restart=always does: a worker that exited is started again."""
            nonlocal restarts
            if os.environ.get("SIGNALHOOKS_FLEET_DEBUG") and time.monotonic() - last[0] > 10:
                last[0] = time.monotonic()
                status = dict(Counter(rows.values_list("status", "locked_by")))
                print(f"{time.monotonic() - started:.0f}s {len(sink.distinct())} {status}")
            for i, worker in enumerate(workers):
                if worker.poll() is not None:
                    retired.append(worker)
                    workers[i] = start_task_worker(backend, env)
                    restarts += 1

        try:
            started = time.monotonic()
            commit_pizzas(total // 2, 10, rollback_every=7)
            sink.wait(lambda s: s.count() >= total // 6, 60, "a third of the first half")
            killed = workers[0]
            killed.send_signal(signal.SIGKILL)  # whatever it held is lost
            killed.wait(10)
            if backend == "rq":  # Redis keeps nothing on disk: every queued task is lost
                redis.restart()
            commit_pizzas(total - total // 2, 10, rollback_every=7)
            committed = set(rows.values_list("event_id", flat=True))
            assert len(committed) == total
            wait_until(lambda: supervise() or sink.distinct() >= committed, 180, "every delivery")
            elapsed = time.monotonic() - started
            wait_until(lambda: not rows.exclude(status="delivered").exists(), 30, "rows settled")
        finally:
            outputs = {id(w): w.stop() for w in [*workers, *retired, sweeper]}
            if os.environ.get("SIGNALHOOKS_FLEET_DEBUG"):
                for w in retired:
                    print(f"--- retired worker, exit {w.returncode}:\n{outputs[id(w)][-1500:]}")
        assert killed.returncode == -signal.SIGKILL, outputs[id(killed)]
        # Nothing rolled back arrived, nothing committed is missing.
        assert sink.distinct() == committed, outputs[id(sweeper)]
        duplicates = sum(n - 1 for n in sink.duplicates().values())
        print(
            f"\n{backend}: {total} deliveries in {elapsed:.1f}s, a worker killed"
            f"{' and Redis restarted' if backend == 'rq' else ''}; {restarts} worker restarts,"
            f" {duplicates} sent twice"
        )
