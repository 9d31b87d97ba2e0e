"""The attempts log on SQLite: every attempt of a durable delivery, test events, outcomes.

Receivers are the real recording server; the worker runs in this process
(``signalhooks_worker --once``), as SQLite allows one worker. The worker in its own
process, Django tasks and PostgreSQL are in ``test_attempts_postgres.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import Future
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_save
from django.utils import timezone

import signalhooks
from signalhooks import DeliveryResult
from signalhooks.endpoints.health import EndpointState
from signalhooks.endpoints.probe import send_test_event
from signalhooks.endpoints.target import EndpointTarget
from signalhooks.engine.bridge import get_engine
from signalhooks.hooks import EndpointsHook, HTTPSignalHook, SNSSignalHook
from signalhooks.models import DeliveryAttempt, OutboxDelivery
from signalhooks.snapshot.events import custom_event
from signalhooks.targets.base import Delivery
from signalhooks.transports.pool import Clients
from tests.endpoint_support import endpoint, endpoint_settings, path_of, verify  # noqa: F401
from tests.helpers import outcomes, unique_path
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.support.waiting import wait_until
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks"),
    pytest.mark.django_db(transaction=True),
]
#: The issue's bound: an attempt is readable this long after its end, at most.
READABLE_WITHIN = 2.0


@pytest.fixture
def retry_at_once(settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0, 0]}


def _attempts(**filters: object) -> list[DeliveryAttempt]:
    return list(DeliveryAttempt.objects.filter(**filters).order_by("number", "id"))


def test_every_attempt_of_an_endpoint_delivery_is_recorded(http, connect, retry_at_once):
    """The in-process first attempt (500, with a body) and the worker's retry (200)."""
    connect(post_save, EndpointsHook(), Pizza)
    ep = endpoint(http, "log")
    http.behave(path_of(ep), statuses=[500, 200], body=b"receiver says boom")
    before = timezone.now()
    Pizza.objects.create(name="logged")
    http.wait_for(1, path_of(ep))
    ended = time.monotonic()
    wait_until(lambda: _attempts(endpoint_id=ep.pk), READABLE_WITHIN, "the first attempt")
    assert time.monotonic() - ended < READABLE_WITHIN
    assert signalhooks.flush(10)
    call_command("signalhooks_worker", "--once")
    [row] = OutboxDelivery.objects.all()
    assert (row.status, row.attempts) == ("delivered", 2)
    first, second = _attempts(delivery=row)
    received = http.requests(path_of(ep))
    for attempt, request in zip((first, second), received, strict=True):
        # The request as the receiver got it: body byte for byte, headers after signing.
        assert attempt.request_body == request.body.decode()
        assert attempt.request_headers["webhook-signature"] == request.headers["webhook-signature"]
        assert attempt.request_headers["webhook-id"] == row.event_id
        verify(ep.secret, request)
        assert (attempt.event_id, attempt.event_name) == (row.event_id, row.event_name)
        assert (attempt.endpoint_id, attempt.target, attempt.is_test) == (ep.pk, row.target, False)
        assert before <= attempt.started_at <= timezone.now() and 0 < attempt.duration < 5
        assert attempt.response_body == "receiver says boom"
    assert (first.number, first.ok, first.status) == (1, False, 500)
    assert (first.error_type, first.error) == ("500", "HTTP 500")
    assert (second.number, second.ok, second.status, second.error_type) == (2, True, 200, "")
    assert second.started_at > first.started_at
    # The delivery's attempts, newest first, as the admin and the portal list them.
    assert list(row.attempt_log.all()) == [second, first]


def test_durable_code_hooks_record_their_attempts_too(http, connect):
    path = unique_path("code-hook")
    http.behave(path, statuses=[400], body=b"bad request: missing field")
    connect(post_save, HTTPSignalHook(http.url(path), durable=True), Pizza)
    Pizza.objects.create(name="refused")
    assert signalhooks.flush(10)
    wait_until(lambda: _attempts(), READABLE_WITHIN, "the attempt")
    [attempt] = _attempts()
    [row] = OutboxDelivery.objects.all()
    assert (row.status, attempt.delivery_id, attempt.endpoint_id) == ("dead", row.pk, None)
    assert (attempt.ok, attempt.status, attempt.error_type) == (False, 400, "400")
    assert attempt.response_body == "bad request: missing field"
    assert json.loads(attempt.request_body)["EventId"] == row.event_id
    [received] = http.requests(path)
    assert attempt.request_headers["Content-Type"] == "application/json"
    assert {k: received.headers[k] for k in attempt.request_headers} == attempt.request_headers


def test_a_plain_delivery_records_nothing(http, connect):
    """Non-durable deliveries neither capture their request nor write a row."""
    path = unique_path("plain")
    http.behave(path, statuses=[503, 200])
    connect(post_save, HTTPSignalHook(http.url(path)), Pizza)
    connect(post_save, EndpointsHook(durable=False), Pizza)
    ep = endpoint(http, "plain-endpoint")
    with outcomes() as seen:
        Pizza.objects.create(name="plain")
        assert signalhooks.flush(10)
        wait_until(lambda: len(seen.items) == 2, 5, "two outcomes")
    assert len(http.requests(path)) == 2 and len(http.requests(path_of(ep))) == 1
    assert sorted(result.ok for _, result, _ in seen.items) == [True, True]
    assert DeliveryAttempt.objects.count() == 0
    assert OutboxDelivery.objects.count() == 0


def test_only_recording_deliveries_capture_their_request(http):
    """The target captures the request (``Attempt.sent``) only when asked: plain
    deliveries pay nothing for the attempts log."""
    path = unique_path("capture")
    target = HTTPSignalHook(http.url(path)).target
    event = custom_event("shop.Order:created", {"id": 1})

    class Recording(Delivery):
        __slots__ = ()
        records_attempts = True

    async def send_both():
        clients = Clients()
        try:
            plain = await target.send([Delivery(event, target, None)], clients)
            recorded = await target.send([Recording(event, target, None)], clients)
        finally:
            await clients.aclose()
        return plain[0], recorded[0]

    plain, recorded = asyncio.run(send_both())
    assert plain.ok and plain.sent is None
    assert recorded.ok and recorded.sent is not None
    sent, received = recorded.sent, http.requests(path)[1]
    assert sent.body == event.json_body.decode() == received.body.decode() and sent.http
    assert sent.headers["Content-Type"] == "application/json"
    assert {name: received.headers[name] for name in sent.headers} == sent.headers


def test_results_name_the_endpoint_and_the_kind_of_failure(http, connect):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    down, fine = endpoint(http, "down"), endpoint(http, "fine")
    http.behave(path_of(down), statuses=[404])
    with outcomes() as seen:
        Pizza.objects.create(name="results")
        assert signalhooks.flush(10)
        wait_until(lambda: len(seen.items) == 2, 5, "two outcomes")
    by_endpoint = {result.endpoint_id: result for _, result, _ in seen.items}
    assert set(by_endpoint) == {down.pk, fine.pk}
    assert (by_endpoint[down.pk].ok, by_endpoint[down.pk].error_type) == (False, "404")
    assert (by_endpoint[fine.pk].ok, by_endpoint[fine.pk].error_type) == (True, None)
    # A delivery still queued for an endpoint disabled meanwhile fails without a request.
    state = EndpointState(fine.pk, str(fine))
    state.blocked = f"endpoint {fine.pk} is disabled: customer asked"
    waiter: Future[DeliveryResult] = Future()
    event = custom_event("shop.Order:created", {"id": 1})
    get_engine().accept(Delivery(event, EndpointTarget.build(fine, state), None, None, waiter))
    result = waiter.result(10)
    assert (result.ok, result.endpoint_id, result.error_type) == (False, fine.pk, "disabled")
    assert result.error == state.blocked and len(http.requests(path_of(fine))) == 1


def test_a_test_event_is_recorded_as_a_test(http):
    ep = endpoint(http, "probe")
    http.behave(path_of(ep), statuses=[500], body=b"probe failed here")
    result = send_test_event(ep, "hello")
    assert result is not None and not result.ok
    assert (result.endpoint_id, result.error_type, result.status) == (ep.pk, "500", 500)
    [attempt] = _attempts(endpoint_id=ep.pk)  # written before send_test_event returned
    [received] = http.requests(path_of(ep))
    assert (attempt.is_test, attempt.delivery_id, attempt.number) == (True, None, 1)
    assert (attempt.event_name, attempt.status, attempt.ok) == ("signalhooks.test", 500, False)
    assert attempt.request_body == received.body.decode()
    assert attempt.response_body == "probe failed here"
    assert json.loads(attempt.request_body)["Data"] == {"message": "hello", "endpoint": ep.pk}
    http.behave(path_of(ep), statuses=[200])
    assert send_test_event(ep, "again").ok  # type: ignore[union-attr]
    newest = DeliveryAttempt.objects.filter(endpoint_id=ep.pk, is_test=True).first()
    assert newest is not None and newest.ok and newest.pk != attempt.pk


def test_a_failure_to_write_attempts_loses_no_outcome(http, connect, caplog):
    """The attempts table is missing (renamed): logged; the outcome is still recorded."""
    path = unique_path("no-log")
    connect(post_save, HTTPSignalHook(http.url(path), durable=True), Pizza)
    table = DeliveryAttempt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        with caplog.at_level("ERROR", logger="signalhooks"):
            Pizza.objects.create(name="outcome kept")
            assert signalhooks.flush(10)
            wait_until(
                lambda: OutboxDelivery.objects.filter(status="delivered").exists(), 5, "outcome"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert "recording 1 delivery attempts" in caplog.text
    assert DeliveryAttempt.objects.count() == 0


def test_sns_attempts_record_the_message_and_no_status(sns_queue, connect):
    """SNS: the message attributes stand for the headers, the message for the body; the
    status of AWS's API call is not a receiver's, so none is recorded."""
    hook = SNSSignalHook(
        sns_topic_arn=sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url, durable=True
    )
    connect(post_save, hook, Pizza)
    Pizza.objects.create(name="sns")
    assert signalhooks.flush(10)
    wait_until(lambda: _attempts(), READABLE_WITHIN, "the SNS attempt")
    [attempt] = _attempts()
    [row] = OutboxDelivery.objects.all()
    assert (row.status, attempt.ok, attempt.status, attempt.error_type) == (
        "delivered",
        True,
        None,
        "",
    )
    assert attempt.request_body == "Django Signal triggered"
    assert attempt.request_headers["EventId"] == row.event_id
    assert attempt.request_headers["Event"] == "testapp.Pizza:created"
    assert attempt.response_body  # the MessageId


def test_prune_deletes_attempts_with_their_deliveries_and_by_age(http, connect, settings):
    connect(post_save, EndpointsHook(), Pizza)
    ep = endpoint(http, "prune")
    for name in ("old", "new"):
        Pizza.objects.create(name=name)
    assert signalhooks.flush(10)
    wait_until(lambda: len(_attempts()) == 2, READABLE_WITHIN, "two attempts")
    old, new = OutboxDelivery.objects.order_by("pk")
    OutboxDelivery.objects.filter(pk=old.pk).update(delivered_at=timezone.now() - timedelta(days=9))
    send_test_event(ep, "a test attempt, no delivery")
    long_ago = timezone.now() - timedelta(days=31)
    DeliveryAttempt.objects.filter(is_test=True).update(started_at=long_ago)
    call_command("signalhooks_prune", "--days", "7", stdout=(out := StringIO()))
    assert out.getvalue() == "deleted 1 outbox rows and 2 delivery attempts\n"
    assert list(OutboxDelivery.objects.values_list("pk", flat=True)) == [new.pk]
    assert [a.delivery_id for a in _attempts()] == [new.pk]
    # Without --days, only attempts older than ATTEMPTS_RETENTION.
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ATTEMPTS_RETENTION": 3600}
    DeliveryAttempt.objects.update(started_at=timezone.now() - timedelta(hours=2))
    call_command("signalhooks_prune", stdout=(out := StringIO()))
    assert out.getvalue() == "deleted 0 outbox rows and 1 delivery attempts\n"
    assert OutboxDelivery.objects.count() == 1 and DeliveryAttempt.objects.count() == 0
