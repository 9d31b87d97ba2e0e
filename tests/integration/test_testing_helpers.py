"""signalhooks.testing: capture_hooks (no network) and deliver_synchronously (real requests)."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal

import signalhooks
from signalhooks.engine import bridge as engine_module
from signalhooks.hooks import HTTPSignalHook, SNSSignalHook
from signalhooks.pytest_plugin import signalhooks_capture  # noqa: F401  (the plugin's fixture)
from signalhooks.testing import capture_hooks, deliver_synchronously
from tests.testapp.models import Pizza

ARN = "arn:aws:sns:eu-west-1:123456789012:captured-topic"


@pytest.mark.django_db(transaction=True)
def test_capture_records_model_event_and_sends_nothing(http, connect):
    connect(post_save, HTTPSignalHook(http.url("/cap-model")), Pizza)
    before = signalhooks.stats()["accepted"]
    with capture_hooks() as sent:
        pizza = Pizza.objects.create(name="Margherita", price="8.00")
    [item] = sent
    assert item.event == "testapp.Pizza:created"
    assert item.target == f"POST {http.url('/cap-model')}"
    assert item.payload["InstanceId"] == str(pizza.pk)
    assert item.payload["EventId"] == item.event_id
    assert json.loads(base64.b64decode(item.payload["Instance"]))["fields"]["name"] == "Margherita"
    assert item.instance is not None and item.instance["fields"]["name"] == "Margherita"
    assert item.headers["Content-Type"] == "application/json"
    assert signalhooks.stats()["accepted"] == before  # never reached the engine
    assert engine_module._intercept is None  # uninstalled on exit

    # After the block hooks deliver again; only the second pizza arrives.
    second = Pizza.objects.create(name="Marinara")
    signalhooks.flush(5)
    [request] = http.wait_for(1, "/cap-model")
    assert request.json()["InstanceId"] == str(second.pk)
    assert len(http.requests("/cap-model")) == 1


@pytest.mark.django_db(transaction=True)
def test_capture_happens_on_commit_and_not_on_rollback(http, connect):
    connect(post_save, HTTPSignalHook(http.url("/cap-commit")), Pizza)
    with capture_hooks() as sent:
        with transaction.atomic():
            Pizza.objects.create(name="Committed")
            assert sent == []  # still waiting for the commit
        assert [item.instance["fields"]["name"] for item in sent] == ["Committed"]
        with pytest.raises(RuntimeError), transaction.atomic():
            Pizza.objects.create(name="Rolled back")
            raise RuntimeError("rollback")
    assert len(sent) == 1


@pytest.mark.django_db
def test_capture_in_a_test_transaction_with_on_commit_callbacks(
    http, connect, django_capture_on_commit_callbacks
):
    """In TestCase-style tests nothing commits: run the on_commit callbacks explicitly."""
    connect(post_save, HTTPSignalHook(http.url("/cap-testcase")), Pizza)
    with capture_hooks() as sent, django_capture_on_commit_callbacks(execute=True):
        Pizza.objects.create(name="Quattro")
    assert [item.event for item in sent] == ["testapp.Pizza:created"]


def test_capture_custom_signal_sync_and_async_receivers(http, connect):
    order_placed = Signal()
    hook = HTTPSignalHook(http.url("/cap-custom"), event="shop.order_placed")
    connect(order_placed, hook)
    with capture_hooks() as sent:
        order_placed.send(sender=None, order_id=7, total="12.50")
        result = asyncio.run(hook.async_receiver(sender=None, order_id=8))
    assert [item.data for item in sent] == [{"order_id": 7, "total": "12.50"}, {"order_id": 8}]
    assert sent[0].payload["Data"] == {"order_id": 7, "total": "12.50"}
    assert sent[0].event == "shop.order_placed" and sent[0].instance is None
    assert result.ok and result.attempts == 0 and result.event_id == sent[1].event_id
    assert http.requests("/cap-custom") == []


@pytest.mark.django_db(transaction=True)
def test_capture_sns_attributes_without_aws(connect):
    connect(post_save, SNSSignalHook(ARN, "AKIDEXAMPLE", "secret", "eu-west-1"), Pizza)
    with capture_hooks() as sent:
        pizza = Pizza.objects.create(name="Diavola")
    [item] = sent
    assert item.message == "Django Signal triggered"
    assert item.payload["Event"] == "testapp.Pizza:created"
    assert item.payload["InstanceId"] == str(pizza.pk)
    assert item.target == f"SNS {ARN}" and item.headers == {}


@pytest.mark.django_db(transaction=True)
def test_capture_shows_overridden_payload_and_headers(http, connect):
    class Custom(HTTPSignalHook):
        def get_request_payload(self, instance=None, created=None):
            return {"pizza": instance.name, "created": created}

    connect(post_save, Custom(http.url("/cap-legacy"), headers={"X-Token": "t0k"}), Pizza)
    with capture_hooks() as sent:
        Pizza.objects.create(name="Capricciosa")
    assert sent[0].payload == {"pizza": "Capricciosa", "created": True}
    assert sent[0].headers["X-Token"] == "t0k"


def test_nested_captures_innermost_wins(http, connect):
    ping = Signal()
    connect(ping, HTTPSignalHook(http.url("/cap-nested"), event="ping"))
    with capture_hooks() as outer:
        with capture_hooks() as inner:
            ping.send(sender=None, n=1)
        ping.send(sender=None, n=2)
    assert [item.data["n"] for item in inner] == [1]
    assert [item.data["n"] for item in outer] == [2]
    assert engine_module._intercept is None


@pytest.mark.django_db(transaction=True)
def test_pytest_fixture_captures(signalhooks_capture, http, connect):  # noqa: F811
    connect(post_save, HTTPSignalHook(http.url("/cap-fixture")), Pizza)
    Pizza.objects.create(name="Fixture")
    assert [item.event for item in signalhooks_capture] == ["testapp.Pizza:created"]


@pytest.mark.django_db(transaction=True)
def test_deliver_synchronously_returns_after_the_response(http, connect):
    http.behave("/sync-ok", delay=0.3)
    connect(post_save, HTTPSignalHook(http.url("/sync-ok")), Pizza)
    with deliver_synchronously() as results:
        started = time.monotonic()
        pizza = Pizza.objects.create(name="Sync")
        elapsed = time.monotonic() - started
        # Without the helper save() returns long before the 0.3 s answer exists.
        [request] = http.requests("/sync-ok")
        assert request.responded_at is not None
    assert request.json()["InstanceId"] == str(pizza.pk)
    assert elapsed >= 0.3
    [result] = results
    assert result.ok and result.status == 200 and result.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_deliver_synchronously_reports_failures_and_async_receivers(http, connect):
    http.behave("/sync-fail", statuses=[400])
    hook = connect(post_save, HTTPSignalHook(http.url("/sync-fail")), Pizza)
    with deliver_synchronously() as results:
        Pizza.objects.create(name="Refused")
        assert [(r.ok, r.status) for r in results] == [(False, 400)]
        awaited = asyncio.run(hook.async_receiver(sender=None, n=1))
    assert awaited.status == 400 and results[-1] is awaited


@pytest.mark.django_db(transaction=True)
def test_deliver_synchronously_times_out_loudly(http, connect):
    http.behave("/sync-slow", delay=1.0)
    connect(post_save, HTTPSignalHook(http.url("/sync-slow")), Pizza)
    with deliver_synchronously(timeout=0.1), pytest.raises(TimeoutError, match="sync-slow"):
        Pizza.objects.create(name="Slow")
    assert signalhooks.flush(5)
    assert http.requests("/sync-slow")[0].responded_at is not None


@pytest.mark.django_db(transaction=True)
def test_capture_includes_durable_hooks_after_commit(http, connect):
    connect(post_save, HTTPSignalHook(http.url("/cap-durable"), durable=True), Pizza)
    with capture_hooks() as sent, transaction.atomic():
        pizza = Pizza.objects.create(name="Durable")
        assert sent == []
    [item] = sent
    assert item.event == "testapp.Pizza:created" and item.payload["InstanceId"] == str(pizza.pk)
    assert http.requests("/cap-durable") == []
