"""Self-tests for the moto SNS -> SQS helpers, pinning the envelope format tests rely on."""

from __future__ import annotations

import base64
import os

import pytest

from tests.aws import REGION, MakeSnsQueue, TopicQueue, client, drain, receive


def test_moto_endpoint_is_local_and_env_is_fake(moto_endpoint: str) -> None:
    assert moto_endpoint.startswith("http://127.0.0.1:")
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_DEFAULT_REGION"] == REGION


def test_published_attributes_arrive_in_the_envelope(sns_queue: TopicQueue) -> None:
    sns = client("sns", sns_queue.endpoint_url)
    attributes = {
        "event": {"DataType": "String", "StringValue": "pizza.created"},
        "model": {"DataType": "String", "StringValue": "testapp.Pizza"},
        "pk": {"DataType": "String", "StringValue": "42"},
    }
    sns.publish(TopicArn=sns_queue.topic_arn, Message='{"id": 42}', MessageAttributes=attributes)
    [envelope] = drain(sns_queue.queue_url, 1)
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == sns_queue.topic_arn
    assert envelope["Message"] == '{"id": 42}'
    assert envelope["MessageAttributes"] == {
        "event": {"Type": "String", "Value": "pizza.created"},
        "model": {"Type": "String", "Value": "testapp.Pizza"},
        "pk": {"Type": "String", "Value": "42"},
    }
    assert "Subject" not in envelope


def test_number_and_binary_attributes_in_the_envelope(sns_queue: TopicQueue) -> None:
    client("sns", sns_queue.endpoint_url).publish(
        TopicArn=sns_queue.topic_arn,
        Message="m",
        MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "3.5"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    [envelope] = drain(sns_queue.queue_url, 1)
    assert envelope["MessageAttributes"] == {
        "n": {"Type": "Number", "Value": "3.5"},
        "b": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()},
    }


def test_no_attributes_means_no_attributes_key(sns_queue: TopicQueue) -> None:
    client("sns", sns_queue.endpoint_url).publish(TopicArn=sns_queue.topic_arn, Message="plain")
    [envelope] = drain(sns_queue.queue_url, 1)
    assert envelope["Message"] == "plain" and "MessageAttributes" not in envelope


def test_raw_delivery_puts_attributes_on_the_sqs_message(make_sns_queue: MakeSnsQueue) -> None:
    pair = make_sns_queue(raw=True)
    client("sns", pair.endpoint_url).publish(
        TopicArn=pair.topic_arn,
        Message='{"id": 1}',
        MessageAttributes={"event": {"DataType": "String", "StringValue": "x"}},
    )
    [message] = receive(pair.queue_url, 1)
    assert message["Body"] == '{"id": 1}'
    assert message["MessageAttributes"] == {"event": {"StringValue": "x", "DataType": "String"}}


def test_fifo_requires_dedup_id_and_exposes_group_on_the_message(
    make_sns_queue: MakeSnsQueue,
) -> None:
    pair = make_sns_queue(fifo=True)
    assert pair.topic_arn.endswith(".fifo") and pair.queue_url.endswith(".fifo")
    sns = client("sns", pair.endpoint_url)
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(TopicArn=pair.topic_arn, Message="m", MessageGroupId="g")
    for i in range(3):
        sns.publish(
            TopicArn=pair.topic_arn,
            Message=f"m{i}",
            MessageGroupId="g",
            MessageDeduplicationId=f"d{i}",
        )
    messages = receive(pair.queue_url, 3)
    assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["g"] * 3
    assert [m["Attributes"]["MessageDeduplicationId"] for m in messages] == ["d0", "d1", "d2"]


def test_drain_fails_clearly_when_messages_are_missing(sns_queue: TopicQueue) -> None:
    with pytest.raises(AssertionError, match=r"expected 1 message\(s\) .* got 0"):
        drain(sns_queue.queue_url, 1, timeout=0.5)
