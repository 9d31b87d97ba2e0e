"""Endpoints on PostgreSQL: one insert per event, signatures across a rotation, the worker,
and a change seen by another process within ``ENDPOINT_CACHE_TTL``."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import signalhooks
from signalhooks.hooks import EndpointsHook
from signalhooks.models import Endpoint, OutboxDelivery
from tests.endpoint_support import (  # noqa: F401
    endpoint,
    endpoint_settings,
    endpoints_on_pg,
    path_of,
    verify,
)
from tests.outbox_support import retire_durable_hooks, subprocess_env  # noqa: F401
from tests.support.processes import ROOT
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks", "endpoints_on_pg"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")


def test_one_insert_per_event_in_the_callers_transaction(http, connect):
    connect(post_save, EndpointsHook(), Pizza)
    eps = [endpoint(http, f"bulk{n}", event_types=["testapp.Pizza:*"]) for n in range(10)]
    endpoint(http, "elsewhere", event_types=["shop.*"])
    Pizza.objects.using("pg").create(name="loads the index")
    assert signalhooks.flush(10)
    rows.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic(using="pg"):
        Pizza.objects.using("pg").create(name="rolled back")
        assert rows.count() == 10
        raise RuntimeError
    assert rows.count() == 0
    with CaptureQueriesContext(connections["pg"]) as queries, transaction.atomic(using="pg"):
        Pizza.objects.using("pg").create(name="committed")
    inserts = [
        q["sql"] for q in queries.captured_queries if "signalhooks_outboxdelivery" in q["sql"]
    ]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
    assert signalhooks.flush(10)
    assert sorted(rows.values_list("endpoint_id", flat=True)) == [ep.pk for ep in eps]
    assert set(rows.values_list("status", flat=True)) == {"delivered"}
    assert all(len(http.requests(path_of(ep))) == 2 for ep in eps)


def test_signatures_verify_across_a_secret_rotation(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0]}
    connect(post_save, EndpointsHook(), Pizza)
    ep = endpoint(http, "rotating")
    path = path_of(ep)
    old = ep.secret
    Pizza.objects.using("pg").create(name="before")
    [before] = http.wait_for(1, path)
    assert verify(old, before)["Event"] == "testapp.Pizza:created"

    new = ep.rotate_secret()
    Pizza.objects.using("pg").create(name="during the overlap")
    during = http.wait_for(2, path)[1]
    assert len(during.headers["webhook-signature"].split()) == 2
    assert verify(old, during) == verify(new, during)  # either secret verifies

    # The worker signs the same way: a row whose in-process attempt failed.
    http.behave(path, statuses=[503, 200])
    Pizza.objects.using("pg").create(name="sent by the worker")
    assert signalhooks.flush(10)
    from django.core.management import call_command

    call_command("signalhooks_worker", "--once", "--database", "pg")
    by_worker = http.wait_for(4, path)[3]
    assert verify(new, by_worker) and verify(old, by_worker)
    assert set(rows.values_list("status", flat=True)) == {"delivered"}

    Endpoint.objects.filter(pk=ep.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    Pizza.objects.using("pg").create(name="after the overlap")
    after = http.wait_for(5, path)[4]
    assert verify(new, after)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, dict(after.headers))


def test_another_process_sees_a_change_within_the_cache_ttl(http):
    ttl = 1.0
    env = subprocess_env(
        "pg", [], {"ENDPOINT_CACHE_TTL": ttl, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
    )
    first = endpoint(http, "first")
    other = subprocess.Popen(
        [sys.executable, "-m", "tests.endpoints_process"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdin is not None and other.stdout is not None

    def save() -> None:
        other.stdin.write("pizza\n")
        other.stdin.flush()
        assert other.stdout.readline() == "saved\n"

    try:
        assert other.stdout.readline() == "ready\n"
        save()  # loads its index: the first endpoint
        assert len(http.requests(path_of(first))) == 1
        second = endpoint(http, "second")  # committed now, in this process
        changed = time.monotonic()
        while not http.requests(path_of(second)):
            assert time.monotonic() - changed < ttl + 2.0, "not seen within the TTL"
            save()
        seen = time.monotonic() - changed
        first.delete()
        deleted = time.monotonic()
        while True:
            before = len(http.requests(path_of(first)))
            save()
            if len(http.requests(path_of(first))) == before:
                break
            assert time.monotonic() - deleted < ttl + 2.0, "deletion not seen within the TTL"
    finally:
        other.stdin.close()
        other.wait(20)
    assert seen <= ttl + 2.0
