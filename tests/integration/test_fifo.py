"""Issue 5, points 5-6: SNS FIFO topics (group, deduplication, order through batching
and retries) and the event-JSON message body, against moto's SNS -> SQS."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from concurrent.futures import Future, wait

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_save

from signalhooks.engine.bridge import get_engine
from signalhooks.hooks import SNSSignalHook
from signalhooks.outcome.results import Attempt, DeliveryResult
from signalhooks.snapshot.events import custom_event
from signalhooks.targets.base import Delivery
from tests.aws import drain, receive
from tests.helpers import decode_instance
from tests.testapp.models import Pizza


def envelope_attributes(message: dict) -> dict[str, str]:
    envelope = json.loads(message["Body"])
    return {name: a["Value"] for name, a in envelope["MessageAttributes"].items()}


@pytest.mark.django_db(transaction=True)
def test_fifo_topic_gets_group_and_dedup_ids_and_keeps_20_saves_in_order(make_sns_queue, connect):
    fifo = make_sns_queue(fifo=True)
    connect(post_save, SNSSignalHook(fifo.topic_arn, endpoint_url=fifo.endpoint_url), Pizza)
    pizza = Pizza.objects.create(name="v0", price="1.00")
    for version in range(1, 20):
        pizza.name = f"v{version}"
        pizza.save()
    messages = receive(fifo.queue_url, 20)

    assert len(messages) == 20
    names = [decode_instance(envelope_attributes(m)["Instance"]).object.name for m in messages]
    assert names == [f"v{version}" for version in range(20)]
    for message in messages:
        assert message["Attributes"]["MessageGroupId"] == f"testapp.Pizza:{pizza.pk}"
        event_id = envelope_attributes(message)["EventId"]
        assert message["Attributes"]["MessageDeduplicationId"] == event_id
    assert len({m["Attributes"]["MessageDeduplicationId"] for m in messages}) == 20


@pytest.mark.parametrize(
    ("options", "event_name", "expected"),
    [
        ({}, "invoice.paid", "invoice.paid"),  # no instance: the event name
        ({"message_group_id": "everything"}, "invoice.paid", "everything"),
        ({"message_group_id": lambda event: "by-" + event.name}, "invoice.paid", "by-invoice.paid"),
        ({}, "name with spaces é", "sha256-"),  # SNS refuses those characters: hashed
    ],
)
def test_message_group_id_choices(make_sns_queue, options, event_name, expected):
    fifo = make_sns_queue(fifo=True)
    hook = SNSSignalHook(
        fifo.topic_arn, endpoint_url=fifo.endpoint_url, event=event_name, **options
    )
    result = asyncio.run(hook.async_receiver(sender=None, invoice=42))
    assert result.ok, result
    [message] = receive(fifo.queue_url, 1)
    assert message["Attributes"]["MessageGroupId"].startswith(expected)
    assert message["Attributes"]["MessageDeduplicationId"] == result.event_id


def test_fifo_options_are_checked_at_construction():
    standard = "arn:aws:sns:us-east-1:123456789012:plain"
    fifo = "arn:aws:sns:us-east-1:123456789012:ordered.fifo"
    with pytest.raises(ImproperlyConfigured, match="FIFO topics"):
        SNSSignalHook(standard, message_group_id="g")
    with pytest.raises(ImproperlyConfigured, match="one batch at a time"):
        SNSSignalHook(fifo, max_in_flight=4)
    with pytest.raises(ImproperlyConfigured, match="non-empty string or a callable"):
        SNSSignalHook(fifo, message_group_id=7)  # type: ignore[arg-type]
    assert SNSSignalHook(fifo).target.fifo
    assert not SNSSignalHook(standard).target.fifo


# --- order through retries: the engine's FIFO lanes --------------------------------


class FlakyTarget:
    """A real Target: fails the first attempt of some events, holding back the rest of
    that batch (as ``SNSTarget`` does for later chunks), and records what got through."""

    batch_size = 3
    max_in_flight = None

    def __init__(self, *, fifo: bool, fail_once: set[int]) -> None:
        self.fifo = fifo
        self.name = f"flaky fifo={fifo}"
        self.fail_once = set(fail_once)
        self.delivered: list[int] = []
        self.active = self.peak = 0

    max_attempts = 5  # backoff: the test settings' (10-50 ms)

    async def send(self, batch: Sequence[Delivery], clients: object) -> list[Attempt]:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.002)  # gives a second send the chance to overlap, if allowed
        attempts, held = [], False
        for delivery in batch:
            number = json.loads(delivery.event.data_json or "{}")["n"]
            if held or number in self.fail_once:
                self.fail_once.discard(number)
                held = True
                attempts.append(Attempt(ok=False, retryable=True, error="try again"))
            else:
                self.delivered.append(number)
                attempts.append(Attempt(ok=True, status=200))
        self.active -= 1
        return attempts


def run_through_engine(target: FlakyTarget, count: int) -> list[DeliveryResult]:
    waiters: list[Future[DeliveryResult]] = []
    for number in range(count):
        waiter: Future[DeliveryResult] = Future()
        waiters.append(waiter)
        event = custom_event("numbered", {"n": number})
        get_engine().accept(Delivery(event, target, target, None, waiter))  # type: ignore[arg-type]
    _, pending = wait(waiters, timeout=10)
    assert not pending
    return [w.result() for w in waiters]


def test_fifo_target_keeps_order_through_retries_and_batches():
    target = FlakyTarget(fifo=True, fail_once={3, 10, 11})
    results = run_through_engine(target, 20)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert target.delivered == list(range(20))
    assert target.peak == 1
    assert [r.attempts for r in results][3] == 2


def test_non_fifo_target_lets_later_events_overtake_a_retry():
    """The control: without ``fifo`` the same failures do reorder (so the test above
    would notice lanes that ignore the attribute)."""
    target = FlakyTarget(fifo=False, fail_once={3})
    results = run_through_engine(target, 20)
    assert all(r.ok for r in results)
    assert sorted(target.delivered) == list(range(20))
    assert target.delivered != list(range(20))


# --- message_body="event" ------------------------------------------------------------------


def expected_event_json(pizza: Pizza, body: dict) -> None:
    assert set(body) == {"Event", "InstanceId", "Instance", "EventId", "Timestamp"}
    assert body["Event"] == "testapp.Pizza:created"
    assert body["InstanceId"] == str(pizza.pk)
    assert decode_instance(body["Instance"]).object.name == pizza.name


@pytest.mark.django_db(transaction=True)
def test_event_body_reaches_a_raw_subscriber(make_sns_queue, connect):
    raw = make_sns_queue(raw=True)
    hook = SNSSignalHook(raw.topic_arn, endpoint_url=raw.endpoint_url, message_body="event")
    connect(post_save, hook, Pizza)
    pizza = Pizza.objects.create(name="Raw", price="2.00")
    [message] = receive(raw.queue_url, 1)

    body = json.loads(message["Body"])  # raw delivery: the message verbatim
    expected_event_json(pizza, body)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    # The session traces (tests.otel_support): the trace context is one more attribute.
    assert set(attributes) == {"Event", "InstanceId", "EventId", "Timestamp", "traceparent"}
    assert attributes["EventId"] == body["EventId"]


@pytest.mark.django_db(transaction=True)
def test_event_body_in_the_envelope_and_seed_stays_default(make_sns_queue, connect):
    queue, seed = make_sns_queue(), make_sns_queue()
    connect(
        post_save,
        SNSSignalHook(queue.topic_arn, endpoint_url=queue.endpoint_url, message_body="event"),
        Pizza,
    )
    connect(post_save, SNSSignalHook(seed.topic_arn, endpoint_url=seed.endpoint_url), Pizza)
    pizza = Pizza.objects.create(name="Envelope", price="3.00")
    [envelope] = drain(queue.queue_url, 1)
    expected_event_json(pizza, json.loads(envelope["Message"]))
    assert "Instance" not in envelope["MessageAttributes"]
    [seed_envelope] = drain(seed.queue_url, 1)
    assert seed_envelope["Message"] == "Django Signal triggered"
    assert base64.b64decode(seed_envelope["MessageAttributes"]["Instance"]["Value"])


def test_message_body_choice_is_checked():
    with pytest.raises(ImproperlyConfigured, match="message_body="):
        SNSSignalHook("arn:aws:sns:us-east-1:123456789012:t", message_body="xml")
