"""``SNSSignalHook``: a message published to an AWS SNS topic when the signal fires."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model

from ..snapshot.events import Event
from ..targets.sns import (
    AWS_REGION,
    SEED_MESSAGE,
    MessageGroup,
    SNSMessage,
    SNSTarget,
    parse_topic_arn,
)
from .base import EventName, HookOptions, SignalHook
from .options import check_durable, check_limits, check_optional_str, check_url, overrides

__all__ = ["SNSSignalHook"]


class SNSSignalHook(SignalHook):
    """Publish to an SNS topic whenever the signal fires.

    ``Message="Django Signal triggered"`` with String attributes ``Event``,
    ``InstanceId``, ``Instance``, ``EventId`` and ``Timestamp`` (``Data`` for
    signals without an instance).

    Options, besides those of :class:`SignalHook` (``event``, ``fields``, ``exclude``,
    ``serializer``, ``use_natural_keys``, ``when``, ``when_changed``):

    ``message_body`` (default ``"attributes"``)
        ``"attributes"``: the fixed text above, the data as message attributes (the 0.1
        format; ``"seed"`` is the same, by its earlier name).
        ``"event"``: the message is the event JSON, the same as the HTTP body
        (``Instance`` base64, ``Data`` an object), with only ``Event``, ``InstanceId``,
        ``EventId`` and ``Timestamp`` as attributes. For subscribers that get no
        attributes (raw HTTP/HTTPS, Firehose) and for instances too large to fit twice.
        ``"cloudevents"``: the message is the CloudEvents 1.0 JSON envelope that
        ``HTTPSignalHook(format="cloudevents")`` sends, with the attributes of ``"event"``.
    ``source`` (default ``SIGNALHOOKS["CLOUDEVENTS_SOURCE"]``, ``"/signalhooks"``)
        The CloudEvents ``source``, with ``message_body="cloudevents"``.
    ``message_group_id`` (FIFO topics only)
        Default ``"app_label.Model:pk"`` for model events, the event name otherwise.
        A string, or a callable taking the :class:`~signalhooks.Event`. Topics whose
        ARN ends in ``.fifo`` also get ``MessageDeduplicationId`` = the event id, and
        are delivered in order: one batch at a time, a retry before anything newer
        (so ``max_in_flight`` > 1 is refused).
    ``endpoint_url``, ``timeout``, ``max_attempts``, ``max_in_flight``
        A non-AWS endpoint (LocalStack, moto); per-hook overrides of the settings.
    """

    target: SNSTarget
    stored_name = "sns"

    def __init__(
        self,
        sns_topic_arn: str,
        aws_access_key: str | None = None,
        aws_secret_key: str | None = None,
        aws_region: str | None = None,
        *,
        endpoint_url: str | None = None,
        event: EventName | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        max_in_flight: int | None = None,
        message_body: str = "attributes",
        message_group_id: MessageGroup | None = None,
        durable: bool | None = None,
        source: str | None = None,
        **options: Unpack[HookOptions],
    ) -> None:
        owner = type(self).__name__
        self.durable = check_durable(owner, durable)
        match = parse_topic_arn(sns_topic_arn) if isinstance(sns_topic_arn, str) else None
        if match is None:
            raise ImproperlyConfigured(
                f"{owner}: sns_topic_arn={sns_topic_arn!r} is not an SNS topic ARN "
                "(arn:aws:sns:<region>:<12-digit account>:<topic name>)"
            )
        for option, value in (
            ("aws_access_key", aws_access_key),
            ("aws_secret_key", aws_secret_key),
        ):
            if value is not None and not isinstance(value, str):  # never echo a credential
                raise ImproperlyConfigured(
                    f"{owner}: {option}= must be a string or None, not {type(value).__name__}"
                )
        if bool(aws_access_key) != bool(aws_secret_key):
            raise ImproperlyConfigured(
                f"{owner}: give both aws_access_key and aws_secret_key, or neither "
                "(then the standard AWS credential chain is used)"
            )
        check_optional_str(owner, "aws_region", aws_region, pattern=AWS_REGION, form="'eu-west-1'")
        if endpoint_url is not None:
            check_url(owner, endpoint_url, "endpoint_url")
        check_limits(owner, timeout, max_attempts, max_in_flight)
        check_optional_str(owner, "source", source, form="'https://shop.example.com/orders'")
        if source is not None and message_body != "cloudevents":
            raise ImproperlyConfigured(
                f"{owner}: source= applies to message_body='cloudevents' only"
            )
        self.sns_topic_arn = sns_topic_arn
        self.aws_access_key = aws_access_key
        self.aws_secret_key = aws_secret_key
        self.aws_region = aws_region or match["region"]
        self.endpoint_url = endpoint_url
        self.target = SNSTarget(
            sns_topic_arn,
            region=self.aws_region,
            access_key=aws_access_key,
            secret_key=aws_secret_key,
            endpoint_url=endpoint_url,
            message_body=message_body,
            message_group_id=message_group_id,
            source=source,
            timeout=timeout,
            max_attempts=max_attempts,
            max_in_flight=max_in_flight,
        )
        self._renders = overrides(self, SNSSignalHook, "get_sns_msg", "get_sns_msg_attributes")
        super().__init__(event=event, **options)

    def __repr__(self) -> str:  # never show credentials
        return f"<SNSSignalHook {self.sns_topic_arn}>"

    # Extension points kept from 0.1.1; called in the caller's thread when overridden.

    def get_sns_msg(self) -> str:
        return SEED_MESSAGE

    def get_sns_msg_attributes(
        self, instance: Model | None = None, created: bool | None = None
    ) -> dict[str, Any]:
        if instance is None:
            return {}
        return dict(SNSMessage.from_event(self.event_for(instance, created)).attributes)

    def render(self, event: Event, kwargs: Mapping[str, Any]) -> SNSMessage | None:
        if not self._renders:
            return None
        default = self.target.default_message(event)
        if overrides(self, SNSSignalHook, "get_sns_msg_attributes"):
            attributes = self.get_sns_msg_attributes(
                instance=kwargs.get("instance"), created=kwargs.get("created")
            )
        else:
            attributes = dict(default.attributes)
        if overrides(self, SNSSignalHook, "get_sns_msg"):
            return SNSMessage(self.get_sns_msg(), attributes)
        return SNSMessage(default.message, attributes)
