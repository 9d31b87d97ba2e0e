"""The seed's public API: hooks you connect to any Django signal.

A hook object is a *sync* receiver: called by ``Signal.send()`` (and so by
``Model.save()``), it snapshots the event in the caller's thread and hands one
delivery to the background engine, after commit when inside ``atomic()``. It
never waits on the network and never raises into the sender.

``hook.async_receiver`` is the awaited counterpart for ``await signal.asend()``:
it returns the :class:`~signalhooks.DeliveryResult` once delivery has finished.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from typing import Any, Unpack

from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from .base import EventName, HookOptions, SignalHook, all_hooks
from .events import Event
from .signing import Signer
from .targets.http import HTTPRequest, HTTPTarget
from .targets.sns import (
    AWS_REGION,
    SEED_MESSAGE,
    MessageGroup,
    SNSMessage,
    SNSTarget,
    parse_topic_arn,
)
from .transports.http import check_http_client
from .validation import (
    check_durable,
    check_headers,
    check_limits,
    check_optional_str,
    check_url,
    overrides,
)

__all__ = ["HTTPSignalHook", "SNSSignalHook", "SignalHook", "all_hooks"]


class HTTPSignalHook(SignalHook):
    """POST (or PUT/PATCH) a JSON body to ``request_url`` whenever the signal fires.

    Body: ``{"Event", "InstanceId", "Instance", "EventId", "Timestamp"}`` for model
    signals; ``{"Event", "EventId", "Timestamp", "Data"}`` for other signals.

    Options, besides those of :class:`SignalHook` (``event``, ``fields``, ``exclude``,
    ``serializer``, ``use_natural_keys``, ``when``, ``when_changed``):

    ``secret`` (default ``None``: unsigned)
        A Standard Webhooks secret ``"whsec_<base64 key>"``, or a list of them while
        rotating keys. Every attempt then carries ``webhook-id`` (the event id, the
        same on retries), ``webhook-timestamp`` (unix seconds of the attempt) and
        ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` per secret, space-separated);
        receivers verify with e.g. ``standardwebhooks.Webhook(secret).verify(body,
        headers)``. Malformed secrets raise ``ImproperlyConfigured`` (without echoing
        them); secrets never appear in ``repr()``, logs or results.
    ``ssl_context`` (default ``None``: system CA store, certificates verified)
        An ``ssl.SSLContext`` for a private CA or a client certificate, e.g.
        ``ctx = ssl.create_default_context(cafile="ca.pem");
        ctx.load_cert_chain("client.pem", "client.key")``. With your own
        ``http_client``, configure ``verify=``/``cert=`` on it instead.
    ``headers``, ``timeout``, ``max_attempts``, ``max_in_flight``, ``http_client``
        Extra request headers; per-hook overrides of the ``SIGNALHOOKS`` settings; an
        ``httpx.AsyncClient`` (or a factory) to send with instead of the built-in pool.

    Redirects are never followed (a 3xx is a failed delivery, not retried); at most
    ``SIGNALHOOKS["RESPONSE_BODY_LIMIT"]`` bytes of a response are read;
    ``SIGNALHOOKS["BLOCK_PRIVATE_ADDRESSES"] = True`` refuses targets that resolve to
    loopback, private, link-local or cloud-metadata addresses (not retried).
    """

    target: HTTPTarget

    def __init__(
        self,
        request_url: str,
        request_method: str = "post",
        *,
        headers: Mapping[str, str] | None = None,
        event: EventName | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        max_in_flight: int | None = None,
        http_client: Any = None,
        secret: str | list[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        durable: bool | None = None,
        **options: Unpack[HookOptions],
    ) -> None:
        owner = type(self).__name__
        self.durable = check_durable(owner, durable)
        check_url(owner, request_url)
        method = request_method.upper() if isinstance(request_method, str) else ""
        if method not in ("POST", "PUT", "PATCH"):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: request_method={request_method!r} cannot carry the "
                "JSON body; use POST, PUT or PATCH"
            )
        check_limits(owner, timeout, max_attempts, max_in_flight)
        check_http_client(owner, http_client)
        signer = None if secret is None else Signer(secret, owner)
        self.request_url = request_url
        self.request_method = method.lower()
        self.target = HTTPTarget(
            request_url,
            method,
            headers=check_headers(owner, headers),
            http_client=http_client,
            signer=signer,
            ssl_context=ssl_context,
            timeout=timeout,
            max_attempts=max_attempts,
            max_in_flight=max_in_flight,
        )
        self._renders = overrides(
            self, HTTPSignalHook, "get_request_payload", "get_request_url_headers"
        ) or overrides(self, HTTPSignalHook, "get_request_url_params")
        super().__init__(event=event, **options)

    # Extension points kept from 0.1.1; called in the caller's thread when overridden.

    def get_request_url_params(self) -> dict[str, str]:
        return {}

    def get_request_url_headers(self) -> dict[str, str]:
        return dict(self.target.headers)

    def get_request_payload(
        self, instance: Model | None = None, created: bool | None = None
    ) -> dict[str, Any]:
        if instance is None:
            return {}
        return dict(self.event_for(instance, created).seed_fields())

    def render(self, event: Event, kwargs: Mapping[str, Any]) -> HTTPRequest | None:
        if not self._renders:
            return None
        payload = self.get_request_payload(
            instance=kwargs.get("instance"), created=kwargs.get("created")
        )
        if not overrides(self, HTTPSignalHook, "get_request_payload"):
            return HTTPRequest(
                event.json_body, self.get_request_url_headers(), self.get_request_url_params()
            )
        body = json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
        return HTTPRequest(body, self.get_request_url_headers(), self.get_request_url_params())


class SNSSignalHook(SignalHook):
    """Publish to an SNS topic whenever the signal fires.

    ``Message="Django Signal triggered"`` with String attributes ``Event``,
    ``InstanceId``, ``Instance``, ``EventId`` and ``Timestamp`` (``Data`` for
    signals without an instance).

    Options, besides those of :class:`SignalHook` (``event``, ``fields``, ``exclude``,
    ``serializer``, ``use_natural_keys``, ``when``, ``when_changed``):

    ``message_body`` (default ``"seed"``)
        ``"seed"``: the fixed text above, data in attributes (the 0.1.1 format).
        ``"event"``: the message is the event JSON, the same as the HTTP body
        (``Instance`` base64, ``Data`` an object), with only ``Event``, ``InstanceId``,
        ``EventId`` and ``Timestamp`` as attributes. For subscribers that get no
        attributes (raw HTTP/HTTPS, Firehose) and for instances too large to fit twice.
    ``message_group_id`` (FIFO topics only; default ``"app_label.Model:pk"`` for model
    events, the event name otherwise)
        A string, or a callable taking the :class:`~signalhooks.Event`. Topics whose
        ARN ends in ``.fifo`` also get ``MessageDeduplicationId`` = the event id, and
        are delivered in order: one batch at a time, a retry before anything newer
        (so ``max_in_flight`` > 1 is refused).
    ``endpoint_url``, ``timeout``, ``max_attempts``, ``max_in_flight``
        A non-AWS endpoint (LocalStack, moto); per-hook overrides of the settings.
    """

    target: SNSTarget

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
        message_body: str = "seed",
        message_group_id: MessageGroup | None = None,
        durable: bool | None = None,
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
