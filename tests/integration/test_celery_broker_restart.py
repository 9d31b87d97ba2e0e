"""A Celery fleet loses nothing when RabbitMQ is restarted mid-run (PostgreSQL, real
``celery worker`` processes, a RabbitMQ node of the test's own).

Deliveries are flowing when the node is stopped; rows committed while it is down cannot
be enqueued (the failure is logged, the commit goes on); the node comes back, the
workers reconnect, and ``signalhooks_worker --sweep`` enqueues every row whose task was
never sent or was lost with the broker. Every committed delivery arrives, and every
worker still stops when asked (with ``--pool threads``, Celery's prefetch reduction
after a reconnection wedges workers: ``tests.support.outbox_project.celery`` turns it
off, as the docs say). Delivery is at least once: duplicates are counted and printed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

import pytest
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.fleet import (
    BACKENDS,
    RabbitMQServer,
    commit_pizzas,
    fleet_env,
    rabbitmq_server,
    start_sweeper,
    start_task_worker,
)
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.celery,
    pytest.mark.fleet,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")


@pytest.fixture
def rabbitmq() -> Iterator[RabbitMQServer]:
    """A node of our own, and this process's Celery app (the enqueuer) pointed at it."""
    from tests.support.outbox_project.celery import app, use_broker

    shared = app.conf.broker_url
    with rabbitmq_server() as server:
        use_broker(server.url)
        try:
            yield server
        finally:
            use_broker(shared)


@pytest.mark.timeout(420)
@pytest.mark.parametrize("how", ["stop", "kill"])
def test_nothing_is_lost_when_rabbitmq_restarts_mid_run(how, rabbitmq, connect, settings, caplog):
    total, lease = int(os.environ.get("SIGNALHOOKS_FLEET_TOTAL", "1500")), 3.0
    queue = BACKENDS["celery"][0]
    settings.SIGNALHOOKS = {
        **settings.SIGNALHOOKS,
        "TASKS_BACKEND": "celery",
        "TASKS_QUEUE": queue,
        "DURABLE_LEASE": lease,
    }
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        env = fleet_env("celery", [sink.url()], {"DURABLE_LEASE": lease})
        env["SIGNALHOOKS_OUTBOX_CELERY_BROKER"] = rabbitmq.url
        workers = [start_task_worker("celery", env) for _ in range(2)]
        sweeper = start_sweeper(env)
        try:
            started = time.monotonic()
            commit_pizzas(total * 2 // 5, 10, rollback_every=7)
            sink.wait(lambda s: s.count() >= total // 5, 120, "deliveries under way")
            getattr(rabbitmq, how)()  # stop: as `rabbitmqctl stop`; kill: a crash
            down = time.monotonic()
            with caplog.at_level(logging.ERROR, logger="signalhooks"):
                commit_pizzas(total // 5, 10, rollback_every=7)  # nothing can be enqueued
            committed_while_down = time.monotonic() - down
            rabbitmq.start()
            back = time.monotonic()
            commit_pizzas(total - total * 3 // 5, 10, rollback_every=7)
            committed = set(rows.values_list("event_id", flat=True))
            assert len(committed) == total
            wait_until(lambda: sink.distinct() >= committed, 240, "every delivery")
            elapsed = time.monotonic() - started
            wait_until(lambda: not rows.exclude(status="delivered").exists(), 60, "rows settled")
        finally:
            outputs = [p.stop() for p in [*workers, sweeper]]
        failed_enqueues = [r for r in caplog.records if "enqueueing" in r.getMessage()]
        assert failed_enqueues, "the broker was down: enqueueing should have failed"
        # Each worker stopped on SIGTERM: none wedged by the reconnection (docs/tasks.md).
        codes = [w.returncode for w in workers]
        assert codes == [0] * len(workers), (codes, [o[-3000:] for o in outputs])
        # Nothing rolled back arrived, nothing committed is missing.
        assert sink.distinct() == committed, outputs[-1][-3000:]
        duplicates = sum(n - 1 for n in sink.duplicates().values())
        print(
            f"\nRabbitMQ {how} mid-run: {total} deliveries in {elapsed:.1f}s; down for "
            f"{back - down:.1f}s, {total // 5} committed meanwhile in "
            f"{committed_while_down:.1f}s ({len(failed_enqueues)} enqueues failed); "
            f"{duplicates} sent twice"
        )
