"""Durable hooks on PostgreSQL: the outbox row lives and dies with the caller's transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.db.models.signals import post_save

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
)
from tests.support.processes import ROOT
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")


def _count_from_another_connection() -> int:
    """What other sessions see (a new thread has its own connection)."""
    seen: list[int] = []

    def look() -> None:
        try:
            seen.append(rows.count())
        finally:
            connections.close_all()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return seen[0]


def test_row_is_written_in_the_transaction_and_rollback_removes_it(connect):
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        with pytest.raises(RuntimeError), transaction.atomic(using="pg"):
            Pizza.objects.using("pg").create(name="rolled back")
            # Same transaction: visible here, invisible to everybody else.
            assert rows.count() == 1
            assert _count_from_another_connection() == 0
            raise RuntimeError("abort")
        assert rows.count() == 0
        assert signalhooks.flush(5)
        assert sink.count() == 0


def test_commit_delivers_in_process_and_marks_the_row(connect):
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        with transaction.atomic(using="pg"):
            pizza = Pizza.objects.using("pg").create(name="committed")
        assert signalhooks.flush(5)  # waits for the outcome to be written, too
        [row] = rows.all()
        assert row.status == OutboxDelivery.DELIVERED
        assert (row.attempts, row.last_status, row.lease_until) == (1, 200, None)
        assert sink.event_ids() == [row.event_id]
        assert row.event_name == "testapp.Pizza:created"
        assert str(pizza.pk) in row.payload


def test_durable_setting_applies_to_hooks_without_durable(connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE": True}
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url()), Pizza)
        connect(post_save, HTTPSignalHook(sink.url() + "/opt-out", durable=False), Pizza)
        Pizza.objects.using("pg").create(name="autocommit")
        assert signalhooks.flush(5)
        assert list(rows.values_list("target", "status")) == [(f"POST {sink.url()}", "delivered")]
        assert sink.count() == 2  # the opt-out hook delivered without a row


def test_failed_attempt_is_left_to_the_worker_on_the_schedule(connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 30, 60]}
    with RecordingServer() as sink:
        sink.behave(statuses=[503])
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        Pizza.objects.using("pg").create(name="first try fails")
        assert signalhooks.flush(5)
        [row] = rows.all()
        assert (row.status, row.attempts, row.last_status) == ("pending", 1, 503)
        assert row.last_error == "HTTP 503"
        delay = (row.next_attempt_at - row.created_at).total_seconds()
        assert 27 <= delay <= 33.5  # 30 s +-10% jitter
        assert signalhooks.stats()["retried"] >= 1


def test_process_killed_after_commit_is_delivered_by_the_worker():
    """The app process dies (SIGKILL) while its in-process attempt hangs: nothing is lost."""
    with RecordingServer() as sink:
        sink.behave(stall=True)
        env = subprocess_env("pg", [sink.url()], {"DURABLE_LEASE": 1})
        app = subprocess.Popen(
            [sys.executable, "-m", "tests.outbox_crash"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert app.stdout is not None
        event_id = app.stdout.readline().strip()
        sink.wait(lambda s: s.count() == 1, 10, "the in-process attempt")
        os.kill(app.pid, signal.SIGKILL)
        app.wait(10)
        [row] = rows.all()
        assert (row.event_id, row.status, row.attempts) == (event_id, "pending", 0)
        assert row.locked_by.startswith("inline:")

        sink.behave()
        HTTPSignalHook(sink.url(), durable=True)  # the worker's own copy of the app's hook
        wait_until(lambda: rows.filter(next_attempt_at__lte=_now()).exists(), 5, "lease expiry")
        call_command("signalhooks_worker", "--once", "--database", "pg")
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("delivered", 1)
        assert row.locked_by.startswith("worker:")
        # At-least-once: the hung attempt may also have arrived; same event id either way.
        assert sink.event_ids() == [event_id, event_id]


def _now():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.now()


def test_rows_of_one_save_share_the_event_and_send_no_signals(connect):
    """Two durable hooks, one on every model: one event id, no row for the outbox row."""
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url() + "/a", durable=True), Pizza)
        connect(post_save, HTTPSignalHook(sink.url() + "/all-models", durable=True), None)
        Pizza.objects.using("pg").create(name="shared")
        assert signalhooks.flush(5)
        assert rows.count() == 2  # an outbox row saved with save() would add more, forever
        assert len(set(rows.values_list("event_id", flat=True))) == 1
        assert set(rows.values_list("event_name", flat=True)) == {"testapp.Pizza:created"}


def test_autocommit_rows_are_one_statement_without_a_transaction_of_their_own(connect, settings):
    """Outside atomic(), each row is one INSERT that PostgreSQL commits by itself.

    A transaction around it (``bulk_create``'s) would cost a BEGIN and a COMMIT round
    trip per durable hook call; Django turns autocommit off to open one, which the spy
    on ``set_autocommit`` would see.
    """
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    connection = connections["pg"]
    Pizza.objects.using("pg").exists()  # connect first: connecting sets autocommit too
    switched: list[bool] = []
    real = connection.set_autocommit

    def spy(autocommit: bool, *args: object, **kwargs: object) -> None:
        switched.append(autocommit)
        real(autocommit, *args, **kwargs)

    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url() + "/a", durable=True), Pizza)
        connect(post_save, HTTPSignalHook(sink.url() + "/b", durable=True), Pizza)
        connection.set_autocommit = spy  # type: ignore[method-assign]
        try:
            Pizza.objects.using("pg").create(name="autocommit")
        finally:
            del connection.set_autocommit
        assert switched == []
        assert _count_from_another_connection() == 2  # committed, by the INSERTs alone
        assert all(pk is not None for pk in rows.values_list("pk", flat=True))
        assert sink.count() == 0  # left to the workers (DURABLE_INLINE off)


def test_worker_outcomes_fire_the_delivery_signals():
    from signalhooks.signals import delivery_failed, delivery_succeeded
    from tests.outbox_support import make_rows

    results = []
    done = threading.Event()

    def receiver(sender, result, hook, **kwargs):  # type: ignore[no-untyped-def]
        results.append((result.ok, result.event_id, result.attempts, hook))
        if len(results) == 2:
            done.set()

    delivery_succeeded.connect(receiver, weak=False)
    delivery_failed.connect(receiver, weak=False)
    try:
        with RecordingServer() as sink:
            hook = HTTPSignalHook(sink.url(), durable=True)
            [ok_id] = make_rows(hook, 1, "pg")
            call_command("signalhooks_worker", "--once", "--database", "pg")
            sink.behave(statuses=[503])
            [dead_id] = make_rows(hook, 1, "pg")
            rows.filter(event_id=dead_id).update(attempts=7)  # the last of 8 attempts
            call_command("signalhooks_worker", "--once", "--database", "pg")
            assert done.wait(5)
    finally:
        delivery_succeeded.disconnect(receiver)
        delivery_failed.disconnect(receiver)
    assert results == [(True, ok_id, 1, hook), (False, dead_id, 8, hook)]
    assert rows.get(event_id=dead_id).status == "dead"
