"""One write per dispatch on PostgreSQL: a save with 10 durable hooks (code hooks and an
``EndpointsHook``) makes one INSERT and at most one NOTIFY, in every durable mode,
inside and outside ``atomic()``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

import signalhooks
from signalhooks.hooks import EndpointsHook, HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.endpoint_support import endpoint, endpoint_settings  # noqa: F401
from tests.integration.test_endpoints_postgres import endpoints_on_pg  # noqa: F401
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.support.recording import RecordingServer
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks", "endpoints_on_pg"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
MODES = {
    "inline": {},
    "worker-only": {"DURABLE_INLINE": False},
    "tasks": {"TASKS_BACKEND": "db", "TASKS_QUEUE": "webhooks"},
}


@pytest.mark.parametrize("atomic", [False, True], ids=["autocommit", "atomic"])
@pytest.mark.parametrize("mode", list(MODES))
def test_ten_durable_hooks_one_insert_at_most_one_notify(connect, settings, http, mode, atomic):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, **MODES[mode]}
    with RecordingServer() as sink:
        for n in range(9):
            connect(post_save, HTTPSignalHook(f"{sink.url()}/{n}", durable=True), Pizza)
        connect(post_save, EndpointsHook(), Pizza)
        for n in range(3):
            endpoint(http, f"dispatch{n}", event_types=["testapp.Pizza:*"])
        Pizza.objects.using("pg").create(name="loads the endpoints")
        assert signalhooks.flush(10)
        rows.all().delete()
        with (
            CaptureQueriesContext(connections["pg"]) as queries,
            transaction.atomic(using="pg") if atomic else _Nothing(),
        ):
            Pizza.objects.using("pg").create(name="ten hooks")
        sql = [query["sql"] for query in queries.captured_queries]
        inserts = [s for s in sql if 'INSERT INTO "signalhooks_outboxdelivery"' in s]
        notifies = [s for s in sql if "NOTIFY" in s.upper()]
        assert len(inserts) == 1, sql
        assert rows.count() == 12
        if mode == "worker-only":
            # In autocommit the INSERT itself notifies; in atomic() one statement at commit.
            [notify] = notifies
            assert re.search(r"pg_notify\('signalhooks_outbox', '12:\d+'\)", notify), notify
            assert notify.startswith("WITH") if not atomic else notify.startswith("SELECT")
        else:
            assert notifies == []
        assert signalhooks.flush(10)


@pytest.mark.parametrize("atomic", [False, True], ids=["autocommit", "atomic"])
def test_rows_of_one_insert_keep_each_its_own_payload(connect, settings, atomic):
    """The INSERT sends each distinct payload once: rows of different formats still
    store their own, rows of the same format share theirs."""
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    formats = ["event", "event", "standard", "cloudevents", "standard"]
    for n, fmt in enumerate(formats):
        hook = HTTPSignalHook(f"http://127.0.0.1:9/{n}", durable=True, format=fmt)
        connect(post_save, hook, Pizza)
    with transaction.atomic(using="pg") if atomic else _Nothing():
        Pizza.objects.using("pg").create(name="formats")
    stored = {
        target.rsplit("/", 1)[1]: json.loads(payload)
        for target, payload in rows.values_list("target", "payload")
    }
    assert len(stored) == 5
    assert {doc["event"]["id"] for doc in stored.values()} == {stored["0"]["event"]["id"]}
    for n, fmt in enumerate(formats):
        assert stored[str(n)]["format"] == fmt
    assert stored["0"] == stored["1"] and stored["2"] == stored["4"]
    assert stored["0"] != stored["2"] != stored["3"]


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None
