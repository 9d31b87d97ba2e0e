"""Durable delivery on SQLite (one worker), admin actions, a durable hook's async_receiver."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models.signals import post_save

import signalhooks
from signalhooks import conf
from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import (
    make_rows,
    retire_durable_hooks,  # noqa: F401
)
from tests.support.recording import RecordingServer
from tests.testapp.models import Pizza

pytestmark = pytest.mark.usefixtures("retire_durable_hooks")
ARN = "arn:aws:sns:eu-west-1:123456789012:orders"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_settings_are_validated():
    assert conf.settings().durable_retry_schedule == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert conf.validate({"DURABLE_RETRY_SCHEDULE": [0, 1.5]}) == []
    for bad in ([], [0, -1], ["5"], [True], "0,5"):
        [problem] = conf.validate({"DURABLE_RETRY_SCHEDULE": bad})
        assert "DURABLE_RETRY_SCHEDULE" in problem
    assert conf.validate({"DURABLE_LEASE": 0}) != []
    with pytest.raises(ImproperlyConfigured, match="durable must be True, False or None"):
        HTTPSignalHook("https://example.com/", durable="yes")  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_sqlite_one_worker_delivers_what_the_process_could_not(connect, settings):
    """SQLite has no row locks: one worker, but the whole path works."""
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0]}
    with RecordingServer() as sink:
        sink.behave(statuses=[503])
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        Pizza.objects.create(name="sqlite")
        assert signalhooks.flush(5)
        [row] = OutboxDelivery.objects.all()
        assert (row.status, row.attempts) == ("pending", 1)
        sink.behave()
        call_command("signalhooks_worker", "--once")
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_status) == ("delivered", 2, 200)
        assert sink.event_ids() == [row.event_id, row.event_id]


@pytest.mark.django_db(transaction=True)
def test_admin_actions_requeue(rf):
    from django.contrib.admin import AdminSite
    from django.contrib.auth.models import User
    from django.contrib.messages.storage.cookie import CookieStorage

    from signalhooks.outbox.admin import OutboxDeliveryAdmin

    hook = HTTPSignalHook("https://admin.example/hook", durable=True)
    other = HTTPSignalHook("https://admin.example/other", durable=True)
    first, second = make_rows(hook, 2, "default")
    [third] = make_rows(other, 1, "default")
    OutboxDelivery.objects.update(status="dead", attempts=8, last_error="HTTP 500")
    model_admin = OutboxDeliveryAdmin(OutboxDelivery, AdminSite())
    request = rf.post("/")
    request.user = User.objects.create_superuser("admin")
    request._messages = CookieStorage(request)
    assert set(model_admin.get_actions(request)) >= {"retry_selected", "retry_dead_for_target"}

    model_admin.retry_selected(request, OutboxDelivery.objects.filter(event_id=first))
    statuses = dict(OutboxDelivery.objects.values_list("event_id", "status"))
    assert statuses == {first: "pending", second: "dead", third: "dead"}
    model_admin.retry_dead_for_target(request, OutboxDelivery.objects.filter(event_id=first))
    statuses = dict(OutboxDelivery.objects.values_list("event_id", "status"))
    assert statuses == {first: "pending", second: "pending", third: "dead"}
    assert OutboxDelivery.objects.get(event_id=second).last_error == "HTTP 500"  # kept
    assert [str(m) for m in request._messages] == [
        "1 deliveries queued for a new attempt.",
        "1 dead deliveries to POST https://admin.example/hook queued again.",
    ]
    shown = model_admin.request(OutboxDelivery.objects.get(event_id=first))
    assert "&quot;Event&quot;: &quot;bench:item&quot;" in shown and '"v": 2' not in shown


@pytest.mark.django_db(transaction=True)
def test_async_receiver_of_a_durable_hook_returns_the_first_attempt():
    import asyncio

    from django.dispatch import Signal

    order_paid = Signal()
    with RecordingServer() as sink:
        hook = HTTPSignalHook(sink.url(), durable=True, event="order.paid")
        order_paid.connect(hook.async_receiver, weak=False)
        [(_, result)] = asyncio.run(order_paid.asend(sender=None, order_id=7))
        row = OutboxDelivery.objects.get()
        assert (result.ok, result.event_id, result.status) == (True, row.event_id, 200)
        assert (row.status, row.event_name) == ("delivered", "order.paid")
        assert sink.event_ids() == [row.event_id]
