"""The attempts log on PostgreSQL: the worker in its own process, Django tasks, the
in-process path, a failure to write the log, and pruning."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.db.models.signals import post_delete, post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox import task
from signalhooks.outbox.attempts import prune_attempts
from signalhooks.outbox.models import DeliveryAttempt, OutboxDelivery
from signalhooks.outbox.store import prune
from tests.helpers import unique_path
from tests.outbox_support import (
    make_rows,
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
)
from tests.support.waiting import wait_until
from tests.support.workers import signalhooks_worker
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
attempts = DeliveryAttempt.objects.using("pg")
READABLE_WITHIN = 2.0


def test_the_worker_process_records_every_attempt(http):
    """``signalhooks_worker`` in its own process: 500 with a body, then 200."""
    path = unique_path("worker-log")
    http.behave(path, statuses=[500, 200], body=b"upstream exploded")
    url = http.url(path)
    [event_id] = make_rows(HTTPSignalHook(url, durable=True), 1, "pg")
    env = subprocess_env("pg", [url], {"DURABLE_RETRY_SCHEDULE": [0, 0.2]})
    worker = signalhooks_worker(env, "--poll", "0.05")
    try:
        http.wait_for(2, path)
        ended = time.monotonic()
        wait_until(lambda: attempts.count() == 2, READABLE_WITHIN, "both attempts")
        assert time.monotonic() - ended < READABLE_WITHIN
    finally:
        output = worker.stop()
    assert worker.returncode == 0, output
    [row] = rows.all()
    assert (row.status, row.attempts) == ("delivered", 2)
    first, second = attempts.filter(delivery=row).order_by("number")
    received = http.requests(path)
    assert [a.request_body for a in (first, second)] == [r.body.decode() for r in received]
    assert (first.status, first.ok, first.error_type, first.response_body) == (
        500,
        False,
        "500",
        "upstream exploded",
    )
    assert (second.status, second.ok, second.number) == (200, True, 2)
    assert first.event_id == second.event_id == event_id
    assert first.started_at + timedelta(seconds=first.duration) <= second.started_at


def test_a_task_records_each_attempt_soon_after_its_end_whatever_the_others_take(http, settings):
    """Django tasks: a task's fast attempt is readable while its slow one still runs."""
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "TIMEOUT": 5.0, "DURABLE_LEASE": 30.0}
    fast, slow = unique_path("task-fast"), unique_path("task-slow")
    http.behave(slow, delay=4.0)
    [fast_id] = make_rows(HTTPSignalHook(http.url(fast), durable=True), 1, "pg")
    make_rows(HTTPSignalHook(http.url(slow), durable=True), 1, "pg")
    items = [[pk, 0] for pk in rows.order_by("pk").values_list("pk", flat=True)]
    counts: list[dict[str, int]] = []
    runner = threading.Thread(target=lambda: counts.append(task.deliver_rows("pg", items)))
    runner.start()
    try:
        http.wait_for(1, fast)
        ended = time.monotonic()
        wait_until(lambda: attempts.filter(event_id=fast_id).exists(), READABLE_WITHIN, "fast")
        assert time.monotonic() - ended < READABLE_WITHIN
        assert runner.is_alive()  # the slow attempt is still waiting for its answer
    finally:
        runner.join(30)
    assert counts == [{"delivered": 2, "failed": 0, "unfinished": 0}]
    assert set(rows.values_list("status", flat=True)) == {"delivered"}
    assert attempts.filter(ok=True).count() == 2
    assert attempts.get(event_id=fast_id).delivery_id == rows.get(event_id=fast_id).pk


def test_the_in_process_attempt_is_recorded_and_a_failing_log_loses_no_outcome(
    http, connect, caplog
):
    path = unique_path("inline-pg")
    connect(post_save, HTTPSignalHook(http.url(path), durable=True), Pizza)
    Pizza.objects.using("pg").create(name="logged")
    assert signalhooks.flush(10)
    wait_until(lambda: attempts.count() == 1, READABLE_WITHIN, "the first attempt")
    assert attempts.get().delivery_id == rows.get().pk
    # The insert of the attempts fails for real (no table): PostgreSQL would abort the
    # outcome's transaction with it, but the insert runs in a savepoint.
    table = DeliveryAttempt._meta.db_table
    with connections["pg"].cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        with caplog.at_level("ERROR", logger="signalhooks"):
            Pizza.objects.using("pg").create(name="outcome kept")
            assert signalhooks.flush(10)
            wait_until(lambda: rows.filter(status="delivered").count() == 2, 5, "the outcome")
    finally:
        with connections["pg"].cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert "recording 1 delivery attempts on 'pg' failed" in caplog.text
    assert attempts.count() == 1


def test_prune_deletes_attempts_in_chunks_without_loading_or_signals():
    """Two statements per chunk; no row is loaded, no post_delete is sent, even with a
    receiver connected to every model."""
    hook = HTTPSignalHook("https://prune.example/hook", durable=True)
    make_rows(hook, 30, "pg")
    long_ago = timezone.now() - timedelta(days=10)
    rows.update(status="delivered", delivered_at=long_ago)
    attempts.bulk_create(
        DeliveryAttempt(
            delivery_id=row.pk,
            event_id=row.event_id,
            event_name=row.event_name,
            target=row.target,
            number=n,
            started_at=timezone.now(),
        )
        for row in rows.all()
        for n in (1, 2)
    )
    kept = make_rows(hook, 1, "pg")  # pending: not pruned
    deleted: list[object] = []

    def on_delete(sender: object, **kwargs: object) -> None:
        deleted.append(sender)

    post_delete.connect(on_delete, weak=False)
    try:
        with CaptureQueriesContext(connections["pg"]) as queries:
            assert prune("pg", 7, chunk=20) == (30, 60)
    finally:
        post_delete.disconnect(on_delete)
    assert deleted == []
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 4  # two chunks: the attempts, then the rows
    assert (
        'FROM "signalhooks_deliveryattempt" WHERE "signalhooks_deliveryattempt"."delivery_id" IN'
        in deletes[0]
    )
    assert statements.count("SELECT") == 3  # the ids of two chunks, then none left
    assert list(rows.values_list("event_id", flat=True)) == kept
    assert attempts.count() == 0


def test_attempts_older_than_the_retention_are_pruned(settings):
    hook = HTTPSignalHook("https://retention.example/hook", durable=True)
    [event_id] = make_rows(hook, 1, "pg")
    row = rows.get()
    now = timezone.now()
    attempts.bulk_create(
        DeliveryAttempt(
            delivery_id=row.pk if n < 3 else None,
            is_test=n == 3,
            event_id=event_id,
            event_name="x",
            target="t",
            number=n,
            started_at=now - timedelta(days=age),
        )
        for n, age in ((1, 40), (2, 1), (3, 31))
    )
    assert prune_attempts("pg") == 2  # 30 days by default: the 40 and 31 days old
    assert list(attempts.values_list("number", flat=True)) == [2]
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ATTEMPTS_RETENTION": 3600}
    assert prune_attempts("pg") == 1
    assert rows.count() == 1  # the delivery itself is the --days option's business
