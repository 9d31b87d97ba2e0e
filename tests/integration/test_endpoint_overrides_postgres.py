"""Endpoints on PostgreSQL: ``max_attempts`` on the durable path (a real worker process and
a task), and changes made by SQL, outside the ORM, reaching the index within the TTL."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connections
from django.db.models.signals import post_save

import signalhooks
from signalhooks.endpoints.index import endpoint_index
from signalhooks.hooks import EndpointsHook
from signalhooks.models import Endpoint, EndpointRevision, OutboxDelivery
from signalhooks.outbox import task
from tests.endpoint_support import endpoint, endpoint_settings, path_of  # noqa: F401
from tests.helpers import unique_path
from tests.integration.test_endpoints_postgres import endpoints_on_pg  # noqa: F401
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
)
from tests.support.waiting import wait_until
from tests.support.workers import signalhooks_worker
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks", "endpoints_on_pg"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
SCHEDULE = [0, 0.1, 0.1, 0.1]


# -- max_attempts on the durable path -------------------------------------------------------


def test_a_worker_gives_up_after_the_endpoints_max_attempts(http, connect, settings):
    shared = {"DURABLE_RETRY_SCHEDULE": SCHEDULE, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, **shared, "DURABLE_INLINE": False}
    connect(post_save, EndpointsHook(), Pizza)
    capped = endpoint(http, "capped", max_attempts=2)
    whole = endpoint(http, "whole-schedule")
    for ep in (capped, whole):
        http.behave(path_of(ep), statuses=[503])
    env = {**subprocess_env("pg", [], shared), "SIGNALHOOKS_OUTBOX_ENDPOINTS": "1"}
    worker = signalhooks_worker(env)
    try:
        Pizza.objects.using("pg").create(name="refused everywhere")
        wait_until(lambda: set(rows.values_list("status", flat=True)) == {"dead"}, 30, "dead")
    finally:
        output = worker.stop()
    dead = {row.endpoint_id: row for row in rows.all()}
    assert dead[capped.pk].attempts == 2, output
    assert dead[capped.pk].last_error == "HTTP 503 (gave up after 2 attempts)"
    assert len(http.requests(path_of(capped))) == 2
    assert dead[whole.pk].attempts == len(SCHEDULE)
    assert len(http.requests(path_of(whole))) == len(SCHEDULE)


def test_a_task_gives_up_after_the_endpoints_max_attempts(http, connect, settings):
    settings.SIGNALHOOKS = {
        **settings.SIGNALHOOKS,
        "DURABLE_RETRY_SCHEDULE": SCHEDULE,
        "TASKS_BACKEND": "immediate",  # runs the task at commit, in this process
        "TASKS_QUEUE": "webhooks",
    }
    connect(post_save, EndpointsHook(), Pizza)
    capped = endpoint(http, "capped", max_attempts=2)
    http.behave(path_of(capped), statuses=[503])
    Pizza.objects.using("pg").create(name="refused")
    row = rows.get()
    assert (row.status, row.attempts) == ("pending", 1)
    # What the sweep's task does once the row is overdue (the immediate backend cannot defer).
    task.deliver_rows("pg", [[row.pk, 1]])
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("dead", 2)
    assert len(http.requests(path_of(capped))) == 2


# -- changes made by SQL ---------------------------------------------------------------------


@pytest.fixture
def other_connection() -> Iterator[Callable[..., Any]]:
    """Run SQL on a connection of its own, as another service would (autocommit)."""
    connection = connections.create_connection("pg")
    ours = connections["pg"]
    with connection.cursor() as cursor, ours.cursor() as mine:
        cursor.execute("SELECT current_database(), pg_backend_pid()")
        mine.execute("SELECT current_database(), pg_backend_pid()")
        theirs, own = cursor.fetchone(), mine.fetchone()
        assert theirs[0] == own[0] and theirs[1] != own[1]  # same database, not our session

    def run(sql: str, *params: Any) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql.format(table=Endpoint._meta.db_table), params)
            return cursor.fetchone() if cursor.description else None

    yield run
    connection.close()


def test_an_endpoint_changed_by_sql_is_seen_within_the_ttl(
    http, connect, settings, other_connection
):
    ttl = 0.5
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_CACHE_TTL": ttl}
    connect(post_save, EndpointsHook(durable=False), Pizza)
    first, second = endpoint(http, "first"), endpoint(http, "second")

    def save() -> Counter[str]:
        """Save a pizza; the paths its event arrived at."""
        before = Counter(r.path for r in http.requests())
        Pizza.objects.using("pg").create(name="probe")
        assert signalhooks.flush(10)
        return Counter(r.path for r in http.requests()) - before

    def within_ttl(seen: Callable[[Counter[str]], bool], what: str) -> None:
        """Save until one save's arrivals show the change; that must happen within the TTL."""
        changed = time.monotonic()
        while not seen(save()):
            assert time.monotonic() - changed < ttl + 2.0, f"{what}: not seen within the TTL"

    # This process's index is loaded with both; the changes below never pass through it.
    assert save() == {path_of(first): 1, path_of(second): 1}

    other_connection("UPDATE {table} SET is_active = false WHERE id = %s", first.pk)
    within_ttl(lambda new: new == {path_of(second): 1}, "disabled")

    moved = unique_path("moved")
    other_connection("UPDATE {table} SET url = %s WHERE id = %s", http.url(moved), second.pk)
    within_ttl(lambda new: new == {moved: 1}, "new URL")

    other_connection("DELETE FROM {table} WHERE id = %s", second.pk)
    within_ttl(lambda new: not new, "deleted")

    # A new row, as another service writes it: every column copied from an existing one.
    columns = [f.column for f in Endpoint._meta.concrete_fields if not f.primary_key]
    values = ["%s" if c == "url" else "true" if c == "is_active" else c for c in columns]
    inserted = unique_path("inserted")
    other_connection(
        f"INSERT INTO {{table}} ({', '.join(columns)}) SELECT {', '.join(values)} "
        "FROM {table} WHERE id = %s",
        http.url(inserted),
        first.pk,
    )
    within_ttl(lambda new: new == {inserted: 1}, "inserted")


def test_bookkeeping_columns_alone_do_not_bump_the_revision(http, other_connection):
    ep = endpoint(http, "health")
    revision = EndpointRevision.current("pg")
    # What the health writer does when a delivery fails, or succeeds again.
    other_connection("UPDATE {table} SET failing_since = now() WHERE id = %s", ep.pk)
    other_connection(
        "UPDATE {table} SET failing_since = NULL, updated_at = now() WHERE id = %s", ep.pk
    )
    other_connection("UPDATE {table} SET description = description WHERE id = %s", ep.pk)
    other_connection("UPDATE {table} SET is_active = false WHERE id = 0")  # no row
    assert EndpointRevision.current("pg") == revision
    other_connection("UPDATE {table} SET description = 'changed' WHERE id = %s", ep.pk)
    assert EndpointRevision.current("pg") == revision + 1
    other_connection("TRUNCATE {table}")
    assert EndpointRevision.current("pg") == revision + 2


def test_the_trigger_migration_is_reversible(http, other_connection):
    import importlib

    migration = importlib.import_module("signalhooks.migrations.0005_endpoint_overrides")
    ep = endpoint(http, "reversible")
    try:
        with connections["pg"].schema_editor() as editor:
            migration.drop_trigger(apps, editor)
        revision = EndpointRevision.current("pg")
        other_connection("UPDATE {table} SET description = 'unseen' WHERE id = %s", ep.pk)
        assert EndpointRevision.current("pg") == revision  # what other databases do
    finally:
        with connections["pg"].schema_editor() as editor:
            migration.create_trigger(apps, editor)
    other_connection("UPDATE {table} SET description = 'seen' WHERE id = %s", ep.pk)
    assert EndpointRevision.current("pg") == revision + 1
    endpoint_index.invalidate()
