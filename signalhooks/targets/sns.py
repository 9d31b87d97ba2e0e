"""AWS SNS target: Publish, or PublishBatch when several events for one topic wait.

Batches are cut at 10 entries and 256 KiB. PublishBatch answers HTTP 200 even
when some entries failed; those with ``SenderFault=false`` are retried alone.

FIFO topics (ARN ending ``.fifo``) get ``MessageGroupId`` and
``MessageDeduplicationId`` (the event id, so a retry of a publish that did
succeed is dropped by SNS) and are *ordered*: the engine runs one batch at a
time for them and puts retries back at the front of the queue, and batch chunks
are published one after the other.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ImproperlyConfigured

from .. import conf
from ..outcome.results import Attempt, SentRequest
from ..snapshot.cloudevents import envelope
from ..snapshot.events import Event
from ..telemetry.tracing import SNSAttemptSpan, sns_trace_attributes
from .base import Delivery, TargetOptions

if TYPE_CHECKING:
    from ..transports.pool import Clients

__all__ = [
    "AWS_REGION",
    "MESSAGE_BODIES",
    "SEED_MESSAGE",
    "SNS_MAX_BYTES",
    "SNSMessage",
    "SNSTarget",
    "default_message_group_id",
    "parse_topic_arn",
]

SEED_MESSAGE = "Django Signal triggered"
SNS_MAX_BYTES = 262_144
SNS_MAX_BATCH = 10
_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:sns:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<name>[\w-]{1,256}(\.fifo)?)$"
)
#: An AWS region name: ``us-east-1``, ``eu-central-2``, ``us-gov-west-1``, ``cn-north-1``.
AWS_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_RETRYABLE_CODES = frozenset(
    {
        "Throttled",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "KMSThrottling",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)


#: ``MessageGroupId``: 1-128 characters, alphanumeric and punctuation.
_GROUP_ID = re.compile(r"""^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$""")
#: Attributes kept when the body carries the whole event (small, useful for filter policies).
_EVENT_BODY_ATTRIBUTES = ("Event", "InstanceId", "EventId", "Timestamp")

MessageGroup = str | Callable[[Event], str]


def parse_topic_arn(arn: str) -> re.Match[str] | None:
    return _ARN.fullmatch(arn)


def default_message_group_id(event: Event) -> str:
    """``app_label.Model:pk`` for model events (one row's events stay in order), else the name."""
    if event.model is not None and event.instance_id is not None:
        return f"{event.model}:{event.instance_id}"
    return event.name


#: ``message_body=`` -> the value the target keeps. Outbox rows find their hook by a
#: digest of its target's attributes (:func:`signalhooks.outbox.codec.hook_key`), so
#: "attributes" is kept under its 0.1 name, "seed" (also accepted, as an alias): rows
#: written before the rename still find their hooks.
MESSAGE_BODIES = {
    "attributes": "seed",
    "seed": "seed",
    "event": "event",
    "cloudevents": "cloudevents",
}


def _check_options(
    fifo: bool, message_body: object, message_group_id: object, max_in_flight: int | None
) -> None:
    if message_body not in MESSAGE_BODIES:
        raise ImproperlyConfigured(
            "SNSSignalHook: message_body= must be 'attributes' (the fixed text, the data "
            "as message attributes; 'seed' is its earlier name), 'event' (the event JSON) "
            f"or 'cloudevents' (a CloudEvents 1.0 JSON envelope), not {message_body!r}"
        )
    if message_group_id is not None:
        if not fifo:
            raise ImproperlyConfigured(
                "SNSSignalHook: message_group_id= applies to FIFO topics (ARN ending .fifo) only"
            )
        if not (isinstance(message_group_id, str) and message_group_id) and not callable(
            message_group_id
        ):
            raise ImproperlyConfigured(
                "SNSSignalHook: message_group_id= must be a non-empty string or a callable "
                f"taking the event, not {message_group_id!r}"
            )
    if fifo and max_in_flight is not None and max_in_flight > 1:
        raise ImproperlyConfigured(
            "SNSSignalHook: a FIFO topic is published one batch at a time to keep each "
            f"message group in order; max_in_flight={max_in_flight} is not possible"
        )


def _valid_group_id(value: str) -> str:
    # A pk or event name with characters SNS refuses (spaces, non-ASCII) or over 128
    # chars is hashed: still one stable group per value, and the publish succeeds.
    if _GROUP_ID.fullmatch(value):
        return value
    return "sha256-" + hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SNSMessage:
    """What one Publish (or one PublishBatch entry) carries."""

    message: str
    attributes: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_event(cls, event: Event, message: str = SEED_MESSAGE) -> SNSMessage:
        attributes = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in event.fields().items()
            if value  # SNS rejects empty attribute values
        }
        return cls(message, attributes)

    @classmethod
    def event_body(cls, event: Event, body: str | None = None) -> SNSMessage:
        """The whole event JSON (the HTTP body) as the message; only small attributes.

        For subscribers that get no attributes (raw HTTP, Firehose) and for instances
        too large to fit the attribute budget twice. ``body`` replaces the event JSON
        (the CloudEvents envelope).
        """
        fields = event.fields()
        attributes = {
            name: {"DataType": "String", "StringValue": fields[name]}
            for name in _EVENT_BODY_ATTRIBUTES
            if fields.get(name)
        }
        return cls(event.json_body.decode() if body is None else body, attributes)

    def attribute_values(self) -> dict[str, str]:
        """Each attribute's value by name (binary ones as given), for people to read."""
        return {
            name: str(attribute.get("StringValue", attribute.get("BinaryValue", "")))
            for name, attribute in self.attributes.items()
        }

    @property
    def size(self) -> int:
        """Bytes SNS counts against its 256 KiB limit: body plus every attribute part."""
        total = len(self.message.encode())
        for name, attribute in self.attributes.items():
            total += len(name.encode())
            for part in attribute.values():
                total += len(part.encode()) if isinstance(part, str) else len(part)
        return total


class SNSTarget(TargetOptions):
    """One SNS topic; ``message_body`` is one of :data:`MESSAGE_BODIES`."""

    batch_size = SNS_MAX_BATCH
    messaging_system = "aws.sns"
    # Set on the instance only when given: outbox rows find their hook by a digest of
    # the target's instance attributes, which must not change for existing hooks.
    source: str | None = None

    def __init__(
        self,
        topic_arn: str,
        *,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        endpoint_url: str | None,
        message_body: str = "attributes",
        message_group_id: MessageGroup | None = None,
        source: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if source is not None:
            self.source = source
        self.fifo = topic_arn.endswith(".fifo")
        _check_options(self.fifo, message_body, message_group_id, self.max_in_flight)
        self.topic_arn = topic_arn
        self.client_key = (region, access_key, secret_key, endpoint_url)
        self.name = f"SNS {topic_arn}"
        self.message_body = MESSAGE_BODIES[message_body]
        # self.fifo is read by the engine's lanes too: one batch at a time, retries back
        # at the front.
        if self.fifo:
            self.max_in_flight = 1
        self.message_group_id = message_group_id

    def message_for(self, delivery: Delivery) -> SNSMessage:
        request: SNSMessage | None = delivery.request
        return request if request is not None else self.default_message(delivery.event)

    def default_message(self, event: Event) -> SNSMessage:
        """The message for ``event`` per ``message_body`` (without hook overrides)."""
        if self.message_body == "event":
            return SNSMessage.event_body(event)
        if self.message_body == "cloudevents":
            source = self.source or conf.settings().cloudevents_source
            return SNSMessage.event_body(event, envelope(event, source))
        return SNSMessage.from_event(event)

    def traced_message(self, delivery: Delivery, message: SNSMessage) -> SNSMessage:
        """``message`` with the delivery's trace context as attributes, when tracing."""
        span = delivery.trace_span()
        if span is None:
            return message
        attributes = sns_trace_attributes(span, message.attributes, self.name)
        return message if attributes is None else SNSMessage(message.message, attributes)

    def fifo_params(self, event: Event) -> dict[str, str]:
        """``MessageGroupId`` / ``MessageDeduplicationId`` for a FIFO topic, else nothing."""
        if not self.fifo:
            return {}
        chooser = self.message_group_id
        if chooser is None:
            group = default_message_group_id(event)
        elif isinstance(chooser, str):
            group = chooser
        else:
            group = str(chooser(event))
        return {"MessageGroupId": _valid_group_id(group), "MessageDeduplicationId": event.id}

    async def send(self, batch: Sequence[Delivery], clients: Clients) -> list[Attempt]:
        started, clock = time.time(), time.perf_counter()
        try:
            messages = [self.traced_message(d, self.message_for(d)) for d in batch]
            extras = [self.fifo_params(delivery.event) for delivery in batch]
        except Exception as exc:  # e.g. a message_group_id callable that raised
            error = f"cannot build the message: {type(exc).__name__}: {exc}"
            return [Attempt(ok=False, error=error, error_type="message")] * len(batch)
        results: list[Attempt | None] = [None] * len(batch)
        chunks: list[list[int]] = []
        chunk_bytes = 0
        for index, message in enumerate(messages):
            size = message.size
            if size > SNS_MAX_BYTES:
                results[index] = Attempt(
                    ok=False,
                    error=f"message is {size:,} bytes; SNS accepts at most {SNS_MAX_BYTES:,} "
                    "(body plus attributes)",
                    error_type="too_large",
                )
                continue
            if not chunks or len(chunks[-1]) == SNS_MAX_BATCH or chunk_bytes + size > SNS_MAX_BYTES:
                chunks.append([])
                chunk_bytes = 0
            chunks[-1].append(index)
            chunk_bytes += size
        if chunks:
            client = await clients.sns_client(self.client_key)

            def publish(chunk: list[int]) -> Any:
                items = [(messages[i], extras[i]) for i in chunk]
                spans = [batch[i].span for i in chunk]
                if spans[0] is None:  # not tracing
                    return self._publish(client, items)
                return self._publish_traced(client, items, spans)

            if self.fifo:
                # In order, and nothing after a chunk that must be retried: a later
                # message of the same group must not overtake it.
                outcomes = []
                for number, chunk in enumerate(chunks):
                    attempts = await publish(chunk)
                    outcomes.append(attempts)
                    if any(not a.ok and a.retryable for a in attempts):
                        held = Attempt(
                            ok=False,
                            retryable=True,
                            error="held back behind a failed message",
                            error_type="held",
                        )
                        outcomes.extend([held] * len(rest) for rest in chunks[number + 1 :])
                        break
            else:
                outcomes = list(await asyncio.gather(*(publish(chunk) for chunk in chunks)))
            for chunk, attempts in zip(chunks, outcomes, strict=True):
                for index, attempt in zip(chunk, attempts, strict=True):
                    results[index] = attempt
        attempts = [attempt for attempt in results if attempt is not None]
        if any(delivery.records_attempts for delivery in batch):
            duration = time.perf_counter() - clock
            for index, delivery in enumerate(batch):
                if delivery.records_attempts:
                    sent = _sent(messages[index], extras[index], started, duration)
                    attempts[index] = replace(attempts[index], sent=sent)
        return attempts

    async def _publish_traced(
        self, client: Any, items: list[tuple[SNSMessage, dict[str, str]]], spans: list[Any]
    ) -> list[Attempt]:
        with SNSAttemptSpan(spans, self.topic_arn) as traced:
            attempts = await self._publish(client, items)
            failed = [a for a in attempts if not a.ok]
            if failed:
                description = failed[0].error
                if len(attempts) > 1:
                    description = f"{len(failed)} of {len(attempts)} entries failed: {description}"
                traced.failed(failed[0].error_type or "_OTHER", description)
            elif len(attempts) == 1:
                traced.answered(attempts[0].response)
            return attempts

    async def _publish(
        self, client: Any, items: list[tuple[SNSMessage, dict[str, str]]]
    ) -> list[Attempt]:
        messages = [message for message, _ in items]
        try:
            if len(items) == 1:
                message, extra = items[0]
                async with asyncio.timeout(self.timeout):
                    response = await client.publish(
                        TopicArn=self.topic_arn,
                        Message=message.message,
                        MessageAttributes=message.attributes,
                        **extra,
                    )
                return [Attempt(ok=True, status=200, response=response.get("MessageId", ""))]
            entries = [
                {"Id": str(i), "Message": m.message, "MessageAttributes": m.attributes, **extra}
                for i, (m, extra) in enumerate(items)
            ]
            async with asyncio.timeout(self.timeout):
                response = await client.publish_batch(
                    TopicArn=self.topic_arn, PublishBatchRequestEntries=entries
                )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            attempt = Attempt(
                ok=False,
                retryable=code in _RETRYABLE_CODES or (status or 0) >= 500,
                status=status,
                error=f"{code}: {error.get('Message', '')}",
                error_type=code or type(exc).__name__,
            )
            return [attempt] * len(messages)
        except TimeoutError:
            error = f"timed out after {self.timeout:g}s"
            return [Attempt(ok=False, retryable=True, error=error, error_type="timeout")] * len(
                messages
            )
        except BotoCoreError as exc:
            kind = type(exc)
            failed = Attempt(
                ok=False,
                retryable=True,
                error=f"{kind.__name__}: {exc}",
                error_type=f"{kind.__module__}.{kind.__qualname__}",
            )
            return [failed] * len(messages)
        attempts = [Attempt(ok=True, status=200)] * len(messages)
        for ok in response.get("Successful", []):
            attempts[int(ok["Id"])] = Attempt(ok=True, status=200, response=ok.get("MessageId", ""))
        for failed in response.get("Failed", []):
            attempts[int(failed["Id"])] = Attempt(
                ok=False,
                retryable=not failed.get("SenderFault", False),
                status=200,
                error=f"{failed.get('Code', '')}: {failed.get('Message', '')}",
                error_type=failed.get("Code") or "_OTHER",
            )
        return attempts


def _sent(
    message: SNSMessage, extra: Mapping[str, str], started: float, took: float
) -> SentRequest:
    """What an attempt published: FIFO parameters and message attributes, then the message."""
    headers = {**extra, **message.attribute_values()}
    return SentRequest(started, took, headers, message.message, http=False)
