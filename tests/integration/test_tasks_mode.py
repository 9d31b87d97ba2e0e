"""Django Tasks mode and worker-only mode in one process, on PostgreSQL.

The backends here run in the test process: Django's ``ImmediateBackend`` (runs the task
at enqueue) and django-tasks-db (stores it; ``db_worker --batch`` runs it here). The
backends' own worker processes are in ``test_tasks_workers.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.module_loading import import_string

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox import task
from signalhooks.outbox.enqueue import tasks_api
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import (
    make_rows,
    retire_durable_hooks,  # noqa: F401
    worker_thread,
)
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
LEASE = 30.0


@pytest.fixture
def tasks_mode(settings):
    def use(backend: str, **extra: object) -> None:
        settings.SIGNALHOOKS = {
            **settings.SIGNALHOOKS,
            "TASKS_BACKEND": backend,
            "TASKS_QUEUE": "webhooks",
            "DURABLE_LEASE": LEASE,
            **extra,
        }

    return use


@pytest.fixture
def enqueued():
    """Every task enqueued during the test, as its (args) tuple."""
    api = tasks_api()
    seen: list[tuple[object, ...]] = []

    def record(sender: object, task_result: object, **kwargs: object) -> None:
        seen.append(tuple(task_result.args))  # type: ignore[attr-defined]

    api.signals.task_enqueued.connect(record, weak=False)
    yield seen
    api.signals.task_enqueued.disconnect(record)


#: The tasks new rows are enqueued as: what brokers store, stable across releases.
STABLE = ("signalhooks.tasks.deliver", "signalhooks.tasks.adeliver")
#: The paths of earlier releases: messages already queued under them still run.
EARLIER = ("signalhooks.outbox.task.deliver", "signalhooks.outbox.task.adeliver")


@pytest.fixture
def enqueued_paths():
    """The task path of every task enqueued during the test."""
    api = tasks_api()
    seen: list[str] = []

    def record(sender: object, task_result: object, **kwargs: object) -> None:
        seen.append(task_result.task.module_path)  # type: ignore[attr-defined]

    api.signals.task_enqueued.connect(record, weak=False)
    yield seen
    api.signals.task_enqueued.disconnect(record)


def _statuses() -> Counter[str]:
    return Counter(rows.values_list("status", flat=True))


def test_the_rows_of_one_transaction_go_out_as_one_task_at_commit(connect, tasks_mode, enqueued):
    tasks_mode("immediate")
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        with transaction.atomic(using="pg"):
            for i in range(3):
                Pizza.objects.using("pg").create(name=f"tasks {i}")
            assert enqueued == [] and sink.count() == 0  # nothing before the commit
        # ImmediateBackend ran the task at commit, and the task waited for the outcomes.
        assert len(enqueued) == 1
        using, items = enqueued[0]
        assert using == "pg" and sorted(r[0] for r in items) == sorted(
            rows.values_list("pk", flat=True)
        )
        assert sink.count() == 3
        assert _statuses() == {"delivered": 3}


def test_a_rolled_back_transaction_enqueues_nothing(connect, tasks_mode, enqueued):
    tasks_mode("immediate")
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        with transaction.atomic(using="pg"):
            Pizza.objects.using("pg").create(name="kept")
            with pytest.raises(RuntimeError), transaction.atomic(using="pg"):
                Pizza.objects.using("pg").create(name="savepoint rolled back")
                raise RuntimeError
            Pizza.objects.using("pg").create(name="kept too")
        with pytest.raises(RuntimeError), transaction.atomic(using="pg"):
            Pizza.objects.using("pg").create(name="rolled back")
            raise RuntimeError
        assert sink.count() == 2
        assert sorted(Pizza.objects.using("pg").values_list("name", flat=True)) == [
            "kept",
            "kept too",
        ]
        assert sink.distinct() == set(rows.values_list("event_id", flat=True))
        assert _statuses() == {"delivered": 2}
        # The savepoint's row was collected too; its task finds no such row.
        named = {row_id for _, items in enqueued for row_id, _ in items}
        committed = set(rows.values_list("pk", flat=True))
        assert committed < named and not rows.filter(pk__in=named - committed).exists()


def test_autocommit_enqueues_each_row_at_once(connect, tasks_mode, enqueued):
    tasks_mode("immediate")
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        Pizza.objects.using("pg").create(name="autocommit")
        assert len(enqueued) == 1 and sink.count() == 1


def test_a_task_run_twice_or_late_sends_once(tasks_mode):
    tasks_mode("immediate")
    with RecordingServer() as sink:
        hook = HTTPSignalHook(sink.url(), durable=True)
        make_rows(hook, 2, "pg")
        first, second = rows.order_by("pk").values_list("pk", flat=True)
        deliver = task.deliver_rows
        assert deliver("pg", [[first, 0]]) == {"delivered": 1, "failed": 0, "unfinished": 0}
        assert deliver("pg", [[first, 0]])["delivered"] == 0  # delivered already
        assert deliver("pg", [[second, 3]])["delivered"] == 0  # enqueued for another attempt
        rows.filter(pk=second).update(
            locked_by="someone", lease_until=timezone.now() + timedelta(seconds=60)
        )
        assert deliver("pg", [[second, 0]])["delivered"] == 0  # leased by another
        assert sink.count() == 1


def test_a_failed_attempt_is_enqueued_again_for_its_next_time(tasks_mode, settings):
    """django-tasks-db defers: the retry is a task with run_after; the row waits for it."""
    from django_tasks_db.models import DBTaskResult

    tasks_mode("db", DURABLE_RETRY_SCHEDULE=[0, 5, 10])
    with RecordingServer() as sink:
        sink.behave(statuses=[503])
        hook = HTTPSignalHook(sink.url(), durable=True)
        make_rows(hook, 1, "pg")
        row = rows.get()
        result = task.deliver_rows("pg", [[row.pk, 0]])
        assert result == {"delivered": 0, "failed": 1, "unfinished": 0}
        wait_until(lambda: DBTaskResult.objects.exists(), 5, "the retry task")
        retry = DBTaskResult.objects.get()
        row.refresh_from_db()
        assert row.attempts == 1 and row.status == "pending" and row.lease_until is None
        assert retry.args_kwargs["args"] == ["pg", [[row.pk, 1]]]
        assert retry.queue_name == "webhooks"
        assert 4 < (retry.run_after - row.created_at).total_seconds() < 7
        # Workers and the sweep leave the row to that task for a lease after its time.
        waited = (row.next_attempt_at - retry.run_after).total_seconds()
        assert LEASE - 0.01 < waited < LEASE + 0.01
        assert sink.count() == 1


def test_without_deferral_a_failed_attempt_is_left_to_the_schedule(tasks_mode, enqueued):
    tasks_mode("immediate", DURABLE_RETRY_SCHEDULE=[0, 5, 10])
    with RecordingServer() as sink:
        sink.behave(statuses=[503])
        make_rows(HTTPSignalHook(sink.url(), durable=True), 1, "pg")
        row = rows.get()
        task.deliver_rows("pg", [[row.pk, 0]])
        row.refresh_from_db()
        assert enqueued == []
        assert 4 < (row.next_attempt_at - row.created_at).total_seconds() < 7


def test_the_db_backend_runs_the_task_in_its_worker(connect, tasks_mode):
    tasks_mode("db")
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        with transaction.atomic(using="pg"):
            Pizza.objects.using("pg").create(name="db worker")
        assert sink.count() == 0
        call_command(
            "db_worker",
            "--batch",
            "--backend",
            "db",
            "--queue-name",
            "webhooks",
            "--no-startup-delay",
            "--no-reload",
            verbosity=0,
        )
        assert sink.count() == 1 and _statuses() == {"delivered": 1}


def test_the_sweep_enqueues_overdue_rows_and_gives_each_another_lease(tasks_mode, enqueued):
    from signalhooks.outbox.sweep import Sweeper

    tasks_mode("immediate")
    with RecordingServer() as sink:
        hook = HTTPSignalHook(sink.url(), durable=True)
        make_rows(hook, 3, "pg")  # due now: as if their tasks were lost
        make_rows(hook, 1, "pg", due_in=60)  # not overdue yet
        rows.filter(pk=rows.order_by("pk")[0].pk).update(
            lease_until=timezone.now() + timedelta(seconds=60),
            next_attempt_at=timezone.now() + timedelta(seconds=60),
        )  # leased: being sent
        assert Sweeper(using="pg").sweep_once() == 2
        assert sink.count() == 2
        assert sum(len(items) for _, items in enqueued) == 2
        assert _statuses() == {"delivered": 2, "pending": 2}


def test_the_sweep_pushes_rows_it_could_not_enqueue_a_lease_further(tasks_mode, settings):
    from signalhooks.outbox.sweep import Sweeper

    tasks_mode("immediate")
    settings.TASKS = {}  # the backend is gone: enqueueing fails, is logged, and waits
    with RecordingServer() as sink:
        make_rows(HTTPSignalHook(sink.url(), durable=True), 2, "pg")
        before = timezone.now()
        assert Sweeper(using="pg").sweep_once() == 2
        assert Sweeper(using="pg").sweep_once() == 0  # not overdue again yet
        for row in rows.all():
            assert (row.next_attempt_at - before).total_seconds() >= LEASE - 1
        assert sink.count() == 0


def test_worker_only_mode_leaves_rows_to_the_worker_which_wakes_on_notify(connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        # A poll interval far longer than the test: only a NOTIFY can wake it in time.
        with worker_thread(using="pg", poll=60) as worker:
            wait_until(lambda: worker.stats["claimed"] == 0 and _listening(), 10, "LISTEN")
            started = time.monotonic()
            with transaction.atomic(using="pg"):
                Pizza.objects.using("pg").create(name="worker only")
                Pizza.objects.using("pg").create(name="worker only 2")
            sink.wait(lambda s: s.count() == 2, 10, "both deliveries")
            assert time.monotonic() - started < 5
            wait_until(lambda: _statuses() == {"delivered": 2}, 10, "rows delivered")
        assert worker.stats["claimed"] == 2
        assert set(rows.values_list("locked_by", flat=True)) == {worker.id}


def _listening() -> bool:
    from signalhooks.outbox.wake import listening_workers

    return bool(listening_workers("pg"))


def test_worker_only_mode_rows_are_not_sent_in_process(connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        Pizza.objects.using("pg").create(name="left to the workers")
        row = rows.get()
        assert (row.status, row.lease_until, row.locked_by) == ("pending", None, "")
        assert row.next_attempt_at <= timezone.now()
        call_command("signalhooks_worker", "--once", "--database", "pg")
        assert sink.count() == 1 and _statuses() == {"delivered": 1}


def test_async_receiver_in_tasks_mode_stores_and_enqueues(tasks_mode, enqueued):
    from asgiref.sync import async_to_sync
    from django.dispatch import Signal

    tasks_mode("immediate")
    with RecordingServer() as sink:
        signal = Signal()
        hook = HTTPSignalHook(sink.url(), durable=True, event="custom")
        signal.connect(hook.async_receiver, weak=False)
        [(_, result)] = async_to_sync(signal.asend)(sender=None, order=1)
        assert not result.ok and "stored in the outbox" in result.error
        sink.wait(lambda s: s.count() == 1, 10, "the task's delivery")
        assert len(enqueued) == 1


def test_rows_are_enqueued_under_a_stable_task_path(connect, tasks_mode, enqueued_paths):
    tasks_mode("immediate")
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        Pizza.objects.using("pg").create(name="stable path")
        assert sink.count() == 1
    [path] = enqueued_paths
    assert path in STABLE


@pytest.mark.parametrize("path", STABLE + EARLIER)
def test_each_task_path_runs_its_rows(tasks_mode, path):
    tasks_mode("immediate")
    with RecordingServer() as sink:
        make_rows(HTTPSignalHook(sink.url(), durable=True), 2, "pg")
        items = [[pk, 0] for pk in rows.values_list("pk", flat=True)]
        found = import_string(path)  # as a worker finds the task of a message
        assert found.module_path == path  # Celery registers a task under this name
        result = found.using(backend="immediate").enqueue("pg", items)  # run at once
        assert result.return_value == {"delivered": 2, "failed": 0, "unfinished": 0}
        assert sink.count() == 2 and _statuses() == {"delivered": 2}


@pytest.mark.parametrize("path", [STABLE[0], EARLIER[0]])
def test_the_db_worker_runs_a_message_queued_under_either_path(tasks_mode, path):
    from django_tasks_db.models import DBTaskResult

    tasks_mode("db")
    with RecordingServer() as sink:
        make_rows(HTTPSignalHook(sink.url(), durable=True), 1, "pg")
        [pk] = rows.values_list("pk", flat=True)
        import_string(path).using(backend="db", queue_name="webhooks").enqueue("pg", [[pk, 0]])
        assert DBTaskResult.objects.get().task_path == path  # what the queue holds
        call_command(
            "db_worker",
            "--batch",
            *("--backend", "db", "--queue-name", "webhooks"),
            *("--no-startup-delay", "--no-reload"),
            verbosity=0,
        )
        assert sink.count() == 1 and _statuses() == {"delivered": 1}


@pytest.mark.celery
def test_celery_knows_the_tasks_of_both_paths_by_name(tasks_mode):
    """A Celery worker looks a message's task up by the name it was registered under,
    its path: the paths of earlier releases need tasks of their own."""
    from tests.support.outbox_project.celery import app

    tasks_mode("celery", TASKS_QUEUE="signalhooks-tests")
    assert set(STABLE + EARLIER) <= set(app.tasks)
