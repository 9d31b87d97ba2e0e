"""AWS SNS target: Publish, or PublishBatch when several events for one topic wait.

Batches are cut at 10 entries and 256 KiB. PublishBatch answers HTTP 200 even
when some entries failed; those with ``SenderFault=false`` are retried alone.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..delivery import Delivery
from ..events import Event
from ..results import Attempt
from .base import TargetOptions

if TYPE_CHECKING:
    from ..clients import Clients

__all__ = ["SEED_MESSAGE", "SNS_MAX_BYTES", "SNSMessage", "SNSTarget", "parse_topic_arn"]

SEED_MESSAGE = "Django Signal triggered"
SNS_MAX_BYTES = 262_144
SNS_MAX_BATCH = 10
_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:sns:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<name>[\w-]{1,256}(\.fifo)?)$"
)
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


def parse_topic_arn(arn: str) -> re.Match[str] | None:
    return _ARN.match(arn)


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
    batch_size = SNS_MAX_BATCH

    def __init__(
        self,
        topic_arn: str,
        *,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        endpoint_url: str | None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.topic_arn = topic_arn
        self.client_key = (region, access_key, secret_key, endpoint_url)
        self.name = f"SNS {topic_arn}"

    def message_for(self, delivery: Delivery) -> SNSMessage:
        request: SNSMessage | None = delivery.request
        return request if request is not None else SNSMessage.from_event(delivery.event)

    async def send(self, batch: Sequence[Delivery], clients: Clients) -> list[Attempt]:
        messages = [self.message_for(delivery) for delivery in batch]
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
                )
                continue
            if not chunks or len(chunks[-1]) == SNS_MAX_BATCH or chunk_bytes + size > SNS_MAX_BYTES:
                chunks.append([])
                chunk_bytes = 0
            chunks[-1].append(index)
            chunk_bytes += size
        if chunks:
            client = await clients.sns_client(self.client_key)
            outcomes = await asyncio.gather(
                *(self._publish(client, [messages[i] for i in chunk]) for chunk in chunks)
            )
            for chunk, attempts in zip(chunks, outcomes, strict=True):
                for index, attempt in zip(chunk, attempts, strict=True):
                    results[index] = attempt
        return [attempt for attempt in results if attempt is not None]

    async def _publish(self, client: Any, messages: list[SNSMessage]) -> list[Attempt]:
        try:
            if len(messages) == 1:
                async with asyncio.timeout(self.timeout):
                    response = await client.publish(
                        TopicArn=self.topic_arn,
                        Message=messages[0].message,
                        MessageAttributes=messages[0].attributes,
                    )
                return [Attempt(ok=True, status=200, response=response.get("MessageId", ""))]
            entries = [
                {"Id": str(i), "Message": m.message, "MessageAttributes": m.attributes}
                for i, m in enumerate(messages)
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
            )
            return [attempt] * len(messages)
        except TimeoutError:
            return [
                Attempt(ok=False, retryable=True, error=f"timed out after {self.timeout:g}s")
            ] * len(messages)
        except BotoCoreError as exc:
            return [Attempt(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}")] * len(
                messages
            )
        attempts = [Attempt(ok=True, status=200)] * len(messages)
        for ok in response.get("Successful", []):
            attempts[int(ok["Id"])] = Attempt(ok=True, status=200, response=ok.get("MessageId", ""))
        for failed in response.get("Failed", []):
            attempts[int(failed["Id"])] = Attempt(
                ok=False,
                retryable=not failed.get("SenderFault", False),
                status=200,
                error=f"{failed.get('Code', '')}: {failed.get('Message', '')}",
            )
        return attempts
