"""Real SNS -> SQS plumbing on a local moto server, for end-to-end SNS delivery tests.

Why a moto *server* (not ``mock_aws``): the library talks to SNS through aiobotocore over
real HTTP from its own event loop/thread; an in-process patch of botocore would not see
those calls. ``ThreadedMotoServer`` is a werkzeug server in a daemon thread.

Facts checked against moto 5.2.5 (see ``tests/integration/test_aws_fixtures.py``):

* ``ThreadedMotoServer(ip_address="127.0.0.1", port=0)`` binds an ephemeral port; the
  real one comes from ``server.get_host_and_port()`` (only valid after ``start()``).
* SNS -> SQS delivery is synchronous inside ``Publish``; no queue policy is needed.
* Queue URLs are ``http://127.0.0.1:PORT/123456789012/<name>`` (built from the request
  host), so the endpoint can be recovered from a queue URL.
* Non-raw delivery: the SQS ``Body`` is a JSON SNS envelope (pretty-printed, keys sorted)::

      {"Type": "Notification", "MessageId": ..., "TopicArn": ..., "Message": "<str>",
       "Timestamp": ..., "SignatureVersion": "2", "Signature": ..., "SigningCertURL": ...,
       "UnsubscribeURL": ..., "Subject": ...,           # only if a Subject was published
       "MessageAttributes": {"name": {"Type": "String", "Value": "..."}}}  # only if any

  ``Number`` attributes keep ``Type: "Number"`` with a string value; ``Binary`` ones are
  base64 strings. The SQS message itself carries no MessageAttributes.
* FIFO: the envelope looks the same; MessageGroupId / MessageDeduplicationId /
  SequenceNumber appear as SQS *system attributes* of the received message. Publishing to
  a FIFO topic without ContentBasedDeduplication and without MessageDeduplicationId fails
  with ``InvalidParameter``.
* Raw delivery: ``Body`` is the message verbatim and attributes arrive as SQS
  ``MessageAttributes`` (``{"name": {"DataType": "String", "StringValue": ...}}``).
  moto bug: receiving a raw-delivered message that had a *Binary* attribute returns 500.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

import boto3  # type: ignore[import-untyped]  # no stubs; not in pyproject overrides
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
#: Variables that could point credentials or endpoints somewhere real; removed in tests.
_AWS_ENV_UNSET = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL")


@dataclasses.dataclass(frozen=True)
class TopicQueue:
    """An SNS topic with one SQS queue subscribed to it."""

    topic_arn: str
    queue_url: str
    queue_arn: str
    subscription_arn: str
    endpoint_url: str


class MakeSnsQueue(Protocol):
    """Signature of the ``make_sns_queue`` factory."""

    def __call__(
        self, *, fifo: bool = False, raw: bool = False, content_dedup: bool = False
    ) -> TopicQueue: ...


@contextmanager
def aws_test_env() -> Iterator[None]:
    """Fake credentials and region in ``os.environ`` for the duration; restores afterwards.

    The library under test builds its own aiobotocore clients, which read the environment,
    so the environment (not just our boto3 clients) must point at fake credentials.
    """
    saved = {key: os.environ.get(key) for key in (*AWS_ENV, *_AWS_ENV_UNSET)}
    os.environ.update(AWS_ENV)
    for key in _AWS_ENV_UNSET:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def moto_server() -> Iterator[str]:
    """Run a moto server on an ephemeral 127.0.0.1 port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@functools.cache
def client(service: str, endpoint_url: str) -> Any:
    """A cached boto3 client with explicit fake credentials (clients are thread-safe).

    Explicit credentials keep the helpers usable even outside ``aws_test_env``.
    """
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def make_topic_with_queue(
    endpoint_url: str,
    name: str,
    *,
    fifo: bool = False,
    raw: bool = False,
    content_dedup: bool = False,
) -> TopicQueue:
    """Create topic ``name`` and queue ``name`` (``.fifo`` added if ``fifo``) and subscribe.

    ``raw`` turns on RawMessageDelivery. ``content_dedup`` enables ContentBasedDeduplication
    on a FIFO topic; it is off by default so publishers must send MessageDeduplicationId.
    """
    sns, sqs = client("sns", endpoint_url), client("sqs", endpoint_url)
    full_name = f"{name}.fifo" if fifo else name
    topic_attrs: dict[str, str] = {}
    queue_attrs: dict[str, str] = {}
    if fifo:
        topic_attrs = {"FifoTopic": "true", "ContentBasedDeduplication": str(content_dedup).lower()}
        queue_attrs = {"FifoQueue": "true"}
    topic_arn = sns.create_topic(Name=full_name, Attributes=topic_attrs)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=full_name, Attributes=queue_attrs)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    subscription_arn = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"} if raw else {},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return TopicQueue(topic_arn, queue_url, queue_arn, subscription_arn, endpoint_url)


def _endpoint_of(queue_url: str) -> str:
    parts = urlsplit(queue_url)
    return f"{parts.scheme}://{parts.netloc}"


def receive(queue_url: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Receive and delete SQS messages until at least ``count`` arrived; return them.

    Messages come back as boto3 dicts (``Body``, ``MessageAttributes``, ``Attributes``) —
    use this for raw-delivery queues or FIFO system attributes. May return more than
    ``count`` if they came in the same batch. Raises ``AssertionError`` on timeout.
    """
    sqs = client("sqs", _endpoint_of(queue_url))
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(messages) < count:
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"expected {count} message(s) on {queue_url} within {timeout}s, "
                f"got {len(messages)}: {[m['Body'][:200] for m in messages]}"
            )
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,  # long poll: returns as soon as something is there
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if batch:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
            messages.extend(batch)
    return messages


def drain(queue_url: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Like :func:`receive` but returns the parsed SNS envelopes (non-raw queues only).

    Each envelope has ``Message`` (str) and, if attributes were published,
    ``MessageAttributes`` = ``{name: {"Type": "String", "Value": ...}}``.
    """
    return [json.loads(m["Body"]) for m in receive(queue_url, count, timeout)]
