"""Issue 2, points 2 and 11: SNS delivery against a real moto server, read back from SQS.

The engine caches one SNS client per (region, key, secret, endpoint); botocore reads
``AWS_ENDPOINT_URL_SNS`` when a client is created. Tests that depend on the
environment therefore use distinct credentials or a fresh engine.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from django.db.models.signals import post_save
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import SNSSignalHook
from signalhooks.targets.sns import SNS_MAX_BYTES
from tests.aws import drain
from tests.helpers import decode_instance, fresh_engine, outcomes
from tests.testapp.models import Order, Pizza

pytestmark = pytest.mark.django_db(transaction=True)


def attributes(envelope: dict) -> dict[str, str]:
    """``{name: value}``, asserting every attribute is a String."""
    attrs = envelope["MessageAttributes"]
    assert {a["Type"] for a in attrs.values()} == {"String"}
    return {name: a["Value"] for name, a in attrs.items()}


def test_model_save_publishes_the_seed_message(sns_queue, connect):
    hook = SNSSignalHook(sns_topic_arn=sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url)
    connect(post_save, hook, Pizza)
    pizza = Pizza.objects.create(name="Napolitana", price="10.50")
    [envelope] = drain(sns_queue.queue_url, 1)

    assert envelope["Message"] == "Django Signal triggered"
    attrs = attributes(envelope)
    # The session traces (tests.otel_support): the trace context is one more attribute.
    assert set(attrs) == {"Event", "InstanceId", "Instance", "EventId", "Timestamp", "traceparent"}
    assert len(attrs) <= 10
    assert attrs["Event"] == "testapp.Pizza:created"
    assert attrs["InstanceId"] == str(pizza.pk)
    assert decode_instance(attrs["Instance"]).object.name == "Napolitana"


def test_asend_publishes_and_returns_the_result(sns_queue, connect):
    hook = SNSSignalHook(sns_topic_arn=sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url)
    signal = Signal()
    connect(signal, hook.async_receiver)
    order = Order.objects.create(note="async")
    [(_, result)] = asyncio.run(signal.asend(sender=Order, instance=order, created=True))
    assert result.ok and result.attempts == 1, result
    assert result.target == f"SNS {sns_queue.topic_arn}"
    [envelope] = drain(sns_queue.queue_url, 1)
    attrs = attributes(envelope)
    assert attrs["Event"] == "testapp.Order:created"
    assert attrs["InstanceId"] == str(order.code)
    assert attrs["EventId"] == result.event_id


def test_region_comes_from_the_arn(sns_queue, connect, monkeypatch):
    # If the hook ignored the ARN, botocore would use this region and moto would answer
    # NotFound (topics are per region).
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    hook = SNSSignalHook(sns_topic_arn=sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url)
    assert hook.aws_region == "us-east-1"
    connect(post_save, hook, Pizza)
    Pizza.objects.create(name="regional")
    [envelope] = drain(sns_queue.queue_url, 1)
    assert attributes(envelope)["Event"] == "testapp.Pizza:created"


def test_credentials_from_the_seed_arguments(sns_queue, connect, monkeypatch):
    # With the environment's credentials gone, only the arguments can sign the request.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    hook = SNSSignalHook(
        sns_topic_arn=sns_queue.topic_arn,
        aws_access_key="AKIDSEEDARGS",
        aws_secret_key="seed-secret",
        endpoint_url=sns_queue.endpoint_url,
    )
    assert "seed-secret" not in repr(hook)
    connect(post_save, hook, Pizza)
    with outcomes() as seen:
        Pizza.objects.create(name="keyed")
        [result] = seen.wait(hook)
    assert result.ok, result
    assert "seed-secret" not in result.target
    [envelope] = drain(sns_queue.queue_url, 1)
    assert attributes(envelope)["Event"] == "testapp.Pizza:created"


def test_seed_readme_code_verbatim_with_endpoint_from_the_environment(sns_queue, monkeypatch):
    # No endpoint_url=: botocore's AWS_ENDPOINT_URL_SNS must reach the client, so the
    # seed's code works against moto/LocalStack unchanged. A fresh engine guarantees a
    # fresh client, created after the variable is set.
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", sns_queue.endpoint_url)
    with fresh_engine():
        sns_hook = SNSSignalHook(sns_topic_arn=sns_queue.topic_arn)
        post_save.connect(sns_hook, sender=Pizza)
        try:
            with outcomes() as seen:
                Pizza.objects.create(name="seed")
                [result] = seen.wait(sns_hook)
        finally:
            post_save.disconnect(sns_hook, sender=Pizza)
    assert result.ok, result
    [envelope] = drain(sns_queue.queue_url, 1)
    assert envelope["Message"] == "Django Signal triggered"
    assert attributes(envelope)["Event"] == "testapp.Pizza:created"


def test_oversize_message_fails_before_any_call_to_aws(sns_queue, connect):
    hook = SNSSignalHook(sns_topic_arn=sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url)
    connect(post_save, hook, Order)
    with outcomes() as seen:
        Order.objects.create(note="x" * SNS_MAX_BYTES)
        [result] = seen.wait(hook)
        assert not result.ok and result.attempts == 1
        assert f"{SNS_MAX_BYTES:,}" in result.error, result.error
        assert seen.signalled(hook) == [False]
        Order.objects.create(note="small")  # a marker: the queue holds only this one
        seen.wait(hook, 2)
    envelopes = drain(sns_queue.queue_url, 1)
    notes = [decode_instance(attributes(e)["Instance"]).object.note for e in envelopes]
    assert notes == ["small"]


def test_coalesced_events_are_published_in_batches_and_all_arrive(sns_queue, connect):
    # max_in_flight=1: while the first publish runs the others queue up, and the lane
    # sends them as PublishBatch calls of up to 10 entries.
    hook = SNSSignalHook(
        sns_topic_arn=sns_queue.topic_arn,
        endpoint_url=sns_queue.endpoint_url,
        event="batch.test",
        max_in_flight=1,
    )
    target = hook.target
    sizes: list[int] = []
    real_send = target.send

    async def spy(batch, clients):  # records batch sizes; the real send does the work
        sizes.append(len(batch))
        return await real_send(batch, clients)

    target.send = spy
    signal = Signal()
    connect(signal, hook)
    for n in range(15):
        signal.send(sender=None, n=n)
    assert signalhooks.flush(10)
    envelopes = drain(sns_queue.queue_url, 15)
    assert sorted(json.loads(attributes(e)["Data"])["n"] for e in envelopes) == list(range(15))
    assert max(sizes) > 1, sizes  # at least one PublishBatch happened
    assert sum(sizes) == 15
