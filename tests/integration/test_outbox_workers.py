"""Worker processes on PostgreSQL: no double work, nothing lost on kill -9 or outages."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import (
    make_rows,
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
    worker_thread,
)
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until
from tests.support.workers import signalhooks_worker, worker_id
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
CONCURRENCY, BATCH = 50, 100


def _statuses() -> Counter[str]:
    return Counter(rows.values_list("status", flat=True))


def test_two_workers_share_rows_without_double_work():
    with RecordingServer() as sink:
        hook = HTTPSignalHook(sink.url(), durable=True)
        env = subprocess_env("pg", [sink.url()], {"DURABLE_LEASE": 30})
        workers = [signalhooks_worker(env, "--poll", "0.1") for _ in range(2)]
        try:
            ids = make_rows(hook, 2000, "pg")  # both are polling: both get a share
            sink.wait(lambda s: len(s.distinct()) == 2000, 30, "2,000 deliveries")
        finally:
            outputs = [w.stop() for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        assert sink.distinct() == set(ids)
        assert sink.count() == 2000, f"duplicates: {sink.duplicates().most_common(3)}"
        assert _statuses() == {"delivered": 2000}
        claimed = [int(out.split("claimed=")[1].split()[0]) for out in outputs]
        assert sum(claimed) == 2000 and min(claimed) > 0, claimed  # both did a share


@pytest.mark.slow
def test_four_workers_drain_20000_and_survive_kill_9():
    """Every delivery arrives; the only duplicates are rows the killed worker held."""
    total = 20_000
    with RecordingServer() as sink:
        hook = HTTPSignalHook(sink.url(), durable=True)
        env = subprocess_env("pg", [sink.url()], {"DURABLE_LEASE": 3})
        args = ["--concurrency", str(CONCURRENCY), "--batch", str(BATCH), "--poll", "0.1"]
        workers = [signalhooks_worker(env, *args) for _ in range(4)]
        try:
            ids = make_rows(hook, total, "pg")
            started = time.monotonic()
            sink.wait(lambda s: s.count() >= total // 4, 60, "a quarter of the deliveries")
            orphaned = _kill_holding_rows(workers[0], sink)
            sink.wait(lambda s: len(s.distinct()) == total, 60, "every delivery")
            elapsed = time.monotonic() - started
            # Rows the killed worker sent but never recorded come back after their lease
            # and are sent again: the duplicates. Only then is every row delivered.
            wait_until(lambda: _statuses() == {"delivered": total}, 30, "all rows delivered")
        finally:
            outputs = [w.stop() for w in workers[1:]]
        assert workers[0].returncode == -signal.SIGKILL
        assert [w.returncode for w in workers[1:]] == [0, 0, 0], outputs
        assert sink.distinct() == set(ids)
        duplicates = sink.duplicates()
        # Only rows the killed worker held may have been sent before it died and again
        # after their lease ran out.
        assert sum(n - 1 for n in duplicates.values()) <= orphaned, duplicates
        bodies: dict[str, set[bytes]] = {}
        for event_id, body in zip(sink.event_ids(), [r.body for r in sink.requests()], strict=True):
            bodies.setdefault(event_id, set()).add(body)
        assert all(len(bodies[event_id]) == 1 for event_id in duplicates)  # same event
        extra = sum(n - 1 for n in duplicates.values())
        print(f"\n4 workers, kill -9: {total} in {elapsed:.1f}s, {orphaned} orphaned, {extra} dups")


def _kill_holding_rows(worker, sink) -> int:  # type: ignore[no-untyped-def]
    """SIGKILL ``worker`` at a moment it holds leased rows; returns how many.

    Frozen with SIGSTOP first, so that the rows counted are exactly those it dies with
    (it may be between batches, or inside a claim that is not committed yet: then let
    it run a little and try again).
    """
    for _ in range(50):
        worker.send_signal(signal.SIGSTOP)
        held = rows.filter(locked_by=worker_id(worker), lease_until__isnull=False).count()
        if held:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            return held
        worker.send_signal(signal.SIGCONT)
        goal = sink.count() + 50
        sink.wait(lambda s, goal=goal: s.count() >= goal, 10, "more deliveries")
    raise AssertionError("the worker never held rows")


def _answered(sink: RecordingServer) -> int:
    return sum(r.responded_at is not None for r in sink.requests())


def test_sigterm_finishes_the_deliveries_in_flight_then_exits():
    with RecordingServer() as sink:
        sink.behave(delay=2.0)
        hook = HTTPSignalHook(sink.url(), durable=True)
        env = subprocess_env("pg", [sink.url()], {"DURABLE_LEASE": 30})
        worker = signalhooks_worker(env, "--poll", "0.05")
        try:
            ids = make_rows(hook, 10, "pg")
            sink.wait(lambda s: s.count() == 10, 10, "all 10 sent")
            worker.send_signal(signal.SIGTERM)
            in_flight = 10 - _answered(sink)
            # Wait, don't signal again: a second SIGTERM means "stop now".
            worker.wait(20)
        finally:
            output = worker.stop()  # only signals it when the test failed before the wait
        assert worker.returncode == 0, output
        assert in_flight > 0  # the stop came while answers were outstanding...
        assert _answered(sink) == 10  # ...and it waited for every one before exiting
        assert sorted(sink.event_ids()) == sorted(ids)
        assert _statuses() == {"delivered": 10}
        assert "claimed=10 delivered=10" in output


def test_target_down_for_a_while_then_everything_arrives(connect, settings):
    schedule = [0, 0.2, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": schedule}
    with RecordingServer() as sink:
        sink.down()  # connection refused
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        for i in range(50):
            Pizza.objects.using("pg").create(name=f"outage {i}")
        with worker_thread(using="pg", poll=0.05):
            wait_until(
                lambda: not rows.filter(attempts__lt=3).exists(), 10, "3 failed attempts each"
            )
            assert sink.count() == 0
            sink.up()
            sink.wait(lambda s: len(s.distinct()) == 50, 10, "all 50 after recovery")
            wait_until(lambda: _statuses() == {"delivered": 50}, 10, "rows delivered")
        assert sink.count() == 50
        assert all(n >= 4 for n in rows.values_list("attempts", flat=True))
        assert set(rows.values_list("last_error", flat=True)) == {""}


def test_last_attempt_makes_the_row_dead_with_its_error_and_requeue_revives_it(settings):
    from django.core.management import call_command

    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0.05, 0.05]}
    with RecordingServer() as sink:
        sink.behave(statuses=[503])
        hook = HTTPSignalHook(sink.url(), durable=True)
        [event_id] = make_rows(hook, 1, "pg")
        with worker_thread(using="pg", poll=0.02):
            wait_until(lambda: _statuses() == {"dead": 1}, 10, "the row to die")
        [row] = rows.all()
        assert (row.attempts, row.last_status) == (3, 503)
        assert row.last_error == "HTTP 503 (gave up after 3 attempts)"
        assert sink.event_ids() == [event_id] * 3

        sink.behave()
        call_command("signalhooks_requeue", "--target", f":{sink.port}/", "--database", "pg")
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("pending", 0)
        call_command("signalhooks_worker", "--once", "--database", "pg")
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == ("delivered", 1, "")
        call_command("signalhooks_prune", "--days", "1", "--database", "pg")
        assert rows.count() == 1  # too young
        call_command("signalhooks_prune", "--days", "0", "--database", "pg")
        assert rows.count() == 0


def test_retry_after_is_honoured_as_a_lower_bound(settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0.01, 0.01]}
    with RecordingServer() as sink:
        sink.behave(statuses=[503])
        hook = HTTPSignalHook(sink.url(), durable=True)
        make_rows(hook, 1, "pg")
        from signalhooks.outbox import store
        from signalhooks.outcome.results import Attempt

        [claimed] = store.claim("pg", "me", 10, 30)
        answer = Attempt(False, True, 429, retry_after=120)
        store.record("pg", "me", [(claimed.id, 1, answer, None)])
        row = rows.get()
        assert row.status == "pending"
        wait = (row.next_attempt_at - row.created_at).total_seconds()
        assert 119 < wait < 125


def test_bad_rows_are_buried_with_a_reason_and_the_worker_goes_on():
    from django.core.management import call_command

    with RecordingServer() as sink:
        hook = HTTPSignalHook(sink.url(), durable=True)
        good, garbled, orphan = make_rows(hook, 3, "pg")
        rows.filter(event_id=garbled).update(payload="{not json")
        rows.filter(event_id=orphan).update(hook_key="myapp.hooks.Gone:0123", target="POST gone")
        # The bad rows come first and fill a whole batch: the worker must go on after it.
        earlier = rows.get(event_id=good).next_attempt_at - timedelta(hours=1)
        rows.filter(event_id__in=[garbled, orphan]).update(next_attempt_at=earlier)
        call_command("signalhooks_worker", "--once", "--batch", "2", "--database", "pg")
        by_id = {r.event_id: r for r in rows.all()}
        assert by_id[good].status == "delivered"
        assert by_id[garbled].status == "dead"
        assert by_id[garbled].last_error.startswith("undecodable payload: JSONDecodeError")
        assert by_id[orphan].status == "dead"
        assert "'myapp.hooks.Gone:0123' for 'POST gone' no longer exists" in (
            by_id[orphan].last_error
        )
        assert sink.event_ids() == [good]


def test_a_row_written_in_format_1_is_delivered_by_todays_worker(http):
    """Rows stored by the format-1 code (module paths) still decode, find their hook and send."""
    import json
    from pathlib import Path

    from django.core.management import call_command
    from django.utils import timezone
    from standardwebhooks.webhooks import Webhook

    stored = json.loads((Path(__file__).parents[1] / "fixtures" / "format1_rows.json").read_text())
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    # The same configuration as the hook that wrote the row, at today's receiver address.
    hook = HTTPSignalHook(
        http.url("/legacy"), headers={"X-Legacy": "1"}, secret=secret, durable=True
    )
    rows.create(
        event_id="0b6f3c0e-1111-4222-8333-444455556666",
        event_name="testapp.Pizza:created",
        hook_key=stored["http_key"],
        target=hook.target.name,
        payload=stored["plain"],
        next_attempt_at=timezone.now(),
    )
    call_command("signalhooks_worker", "--once", "--database", "pg")
    assert rows.get().status == "delivered"
    [request] = http.requests("/legacy")
    body = request.json()
    assert body["EventId"] == "0b6f3c0e-1111-4222-8333-444455556666"
    assert body["Event"] == "testapp.Pizza:created" and body["InstanceId"] == "7"
    assert request.headers["X-Legacy"] == "1"
    Webhook(secret).verify(request.body, dict(request.headers))
