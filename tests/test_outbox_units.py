"""The outbox's pure parts and its SQLite path (these run without PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models.signals import post_save

import signalhooks
from signalhooks import conf
from signalhooks.engine.retry import decide
from signalhooks.exceptions import PayloadError, SerializationError
from signalhooks.hooks import HTTPSignalHook, SNSSignalHook
from signalhooks.outbox.codec import HookRegistry, decode, encode, hook_key
from signalhooks.outbox.models import OutboxDelivery
from signalhooks.outcome.results import Attempt
from signalhooks.snapshot.events import Event, InstanceJSON
from signalhooks.targets.http import HTTPRequest
from signalhooks.targets.sns import SNSMessage
from tests.outbox_support import (
    fast_sink,
    make_rows,
    retire_durable_hooks,  # noqa: F401
)
from tests.testapp.models import Pizza

pytestmark = pytest.mark.usefixtures("retire_durable_hooks")
ARN = "arn:aws:sns:eu-west-1:123456789012:orders"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_payload_round_trips_the_event_and_rendered_requests():
    text = InstanceJSON('{"pk": 7}')
    event = Event(name="x:y", instance_id="7", instance=text, model="a.B", using="pg")
    for request in (
        None,
        HTTPRequest(b'{"a":"\xc3\xa9"}\xff', {"X-Key": "v"}, {"q": "1"}),
        SNSMessage("hello", {"Event": {"DataType": "String", "StringValue": "x:y"}}),
    ):
        assert decode(encode(event, request)) == (event, request)


def test_payload_refuses_foreign_types_both_ways():
    with pytest.raises(SerializationError, match="signalhooks' request types"):
        encode(Event(name="x"), {"not": "a request"})
    doc = json.loads(encode(Event(name="x"), None))
    doc["request"] = {"$t": "os:system", "f": {}}
    with pytest.raises(PayloadError, match="refusing request type 'os:system'"):
        decode(json.dumps(doc))
    for garbage in ("{not json", "[]", '{"v": 99}', '{"v": 1, "event": {"nope": 1}}'):
        with pytest.raises(PayloadError):
            decode(garbage)


def test_hook_keys_follow_configuration_not_identity():
    a = HTTPSignalHook("https://example.com/hook", headers={"Authorization": "a"})
    same = HTTPSignalHook("https://example.com/hook", headers={"Authorization": "a"})
    other_secret = HTTPSignalHook("https://example.com/hook", headers={"Authorization": "b"})
    other_event = HTTPSignalHook("https://example.com/hook", event="custom")
    assert hook_key(a) == hook_key(same)
    assert len({hook_key(a), hook_key(other_secret), hook_key(other_event)}) == 3
    assert hook_key(a).startswith("http:")
    assert "Authorization" not in hook_key(a) and "example.com" not in hook_key(a)
    sns = SNSSignalHook(ARN, "AKIA", "secret-key")
    assert "secret-key" not in hook_key(sns)


def test_registry_falls_back_to_the_only_hook_with_the_same_target():
    hook = HTTPSignalHook("https://fallback.example/hook", headers={"X-Token": "new"})
    registry = HookRegistry()
    assert registry.find(hook_key(hook), hook.target.name) is hook
    stale = hook_key(hook).rpartition(":")[0] + ":0000"  # e.g. the token was rotated
    assert registry.find(stale, hook.target.name) is hook
    HTTPSignalHook("https://fallback.example/hook", headers={"X-Token": "other"})
    with pytest.raises(PayloadError, match="cannot tell which one"):
        registry.find(stale, hook.target.name)
    with pytest.raises(PayloadError, match="no longer exists"):
        registry.find("app.Gone:1", "POST https://gone.example/")


@pytest.mark.parametrize(
    ("made", "attempt", "status", "error"),
    [
        (1, Attempt(ok=True, status=200), "delivered", ""),
        (1, Attempt(ok=False, status=404, error="HTTP 404"), "dead", "HTTP 404 (not retryable)"),
        (3, Attempt(False, True, 503, "HTTP 503"), "dead", "HTTP 503 (gave up after 3 attempts)"),
        (1, Attempt(False, True, None, "refused"), "pending", "refused"),
    ],
)
def test_decide(settings, made, attempt, status, error):
    settings.SIGNALHOOKS = {"DURABLE_RETRY_SCHEDULE": [0, 10, 100]}
    decision = decide(made, attempt, NOW)
    assert (decision.status, decision.error) == (status, error)
    if status == "pending":
        assert decision.next_attempt_at is not None
        assert 9 <= (decision.next_attempt_at - NOW).total_seconds() <= 11  # 10 s +-10%


def test_decide_waits_at_least_retry_after_capped_by_retry_after_max(settings):
    settings.SIGNALHOOKS = {"DURABLE_RETRY_SCHEDULE": [0, 1, 1], "RETRY_AFTER_MAX": 60}
    for retry_after, expected in ((30, 30), (3600, 60), (0, 1)):
        decision = decide(1, Attempt(False, True, 429, retry_after=retry_after), NOW)
        assert decision.next_attempt_at is not None
        wait = (decision.next_attempt_at - NOW).total_seconds()
        assert expected * 0.9 <= wait <= expected * 1.1


def test_settings_are_validated():
    assert conf.get("DURABLE_RETRY_SCHEDULE") == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
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
    with fast_sink() as sink:
        sink.set_mode("fail")
        connect(post_save, HTTPSignalHook(sink.url, durable=True), Pizza)
        Pizza.objects.create(name="sqlite")
        assert signalhooks.flush(5)
        [row] = OutboxDelivery.objects.all()
        assert (row.status, row.attempts) == ("pending", 1)
        sink.set_mode("ok")
        call_command("signalhooks_worker", "--once")
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_status) == ("delivered", 2, 200)
        assert sink.ids == [row.event_id, row.event_id]


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
    payload = model_admin.pretty_payload(OutboxDelivery.objects.get(event_id=first))
    assert "bench:item" in payload and payload.startswith("<pre")


@pytest.mark.django_db(transaction=True)
def test_async_receiver_of_a_durable_hook_returns_the_first_attempt():
    import asyncio

    from django.dispatch import Signal

    order_paid = Signal()
    with fast_sink() as sink:
        hook = HTTPSignalHook(sink.url, durable=True, event="order.paid")
        order_paid.connect(hook.async_receiver, weak=False)
        [(_, result)] = asyncio.run(order_paid.asend(sender=None, order_id=7))
        row = OutboxDelivery.objects.get()
        assert (result.ok, result.event_id, result.status) == (True, row.event_id, 200)
        assert (row.status, row.event_name) == ("delivered", "order.paid")
        assert sink.ids == [row.event_id]


# Rows exactly as the format-1 code (module paths for hook and request types) wrote them.
FORMAT_1 = json.loads((Path(__file__).parent / "fixtures" / "format1_rows.json").read_text())


def test_rows_name_hooks_and_requests_by_stable_names():
    hook = HTTPSignalHook("https://stable.example/hook")
    assert hook_key(hook).startswith("http:")
    assert hook_key(SNSSignalHook(ARN)).startswith("sns:")
    request = HTTPRequest(b"{}", {"X-A": "1"}, None)
    doc = json.loads(encode(Event(name="x"), request))
    assert doc["v"] == 2 and doc["request"]["$t"] == "http.request"
    assert json.loads(encode(Event(name="x"), SNSMessage("m", {})))["request"]["$t"] == (
        "sns.message"
    )

    class Tenant(HTTPSignalHook):
        stored_name = "tests.tenant"

    class Unnamed(Tenant):  # a stored name is not inherited: it renders its own requests
        pass

    assert hook_key(Tenant("https://stable.example/t")).startswith("tests.tenant:")
    assert hook_key(Unnamed("https://stable.example/u")).startswith(
        "tests.test_outbox_units.test_rows_name_hooks_and_requests_by_stable_names.<locals>"
        ".Unnamed:"
    )


def test_format_1_rows_still_decode_and_find_their_hook():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    http = HTTPSignalHook("http://127.0.0.1:1/legacy", headers={"X-Legacy": "1"}, secret=secret)
    sns = SNSSignalHook("arn:aws:sns:us-east-1:123456789012:legacy", message_body="event")
    registry = HookRegistry()
    assert registry.find(FORMAT_1["http_key"], http.target.name) is http
    assert registry.find(FORMAT_1["sns_key"], sns.target.name) is sns
    event, request = decode(FORMAT_1["plain"])
    assert request is None
    assert event.id == "0b6f3c0e-1111-4222-8333-444455556666" and event.using == "pg"
    assert json.loads(event.instance_json or "")["fields"]["name"] == "Legacy"
    _, request = decode(FORMAT_1["http_request"])
    assert request == HTTPRequest(b'{"Event":"x"}', {"X-Legacy": "1"}, {"q": "1"})
    _, request = decode(FORMAT_1["sns_message"])
    assert request == SNSMessage("hello", {"Event": {"DataType": "String", "StringValue": "x"}})
