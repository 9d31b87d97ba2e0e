"""The seed's public API: hooks you connect to any Django signal.

A hook object is a *sync* receiver: called by ``Signal.send()`` (and so by
``Model.save()``), it snapshots the event in the caller's thread and hands one
delivery to the background engine, after commit when inside ``atomic()``. It
never waits on the network and never raises into the sender.

``hook.async_receiver`` is the awaited counterpart for ``await signal.asend()``:
it returns the :class:`~signalhooks.DeliveryResult` once delivery has finished.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import threading
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from functools import partial
from typing import Any, TypedDict, Unpack
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Model

from . import conf
from .conditions import Conditions, Predicate
from .delivery import Delivery, Target
from .engine import get_engine
from .events import RESERVED_KWARGS, Event, SerializationError, custom_event, model_event
from .outbox.inline import accept_durable
from .outcome import report_rejected
from .payload import InstanceSerializer, PayloadOptions
from .results import Attempt, DeliveryResult
from .signing import Signer
from .targets.http import HTTPRequest, HTTPTarget
from .targets.sns import SEED_MESSAGE, MessageGroup, SNSMessage, SNSTarget, parse_topic_arn

__all__ = ["HTTPSignalHook", "SNSSignalHook", "SignalHook", "all_hooks"]

EventName = str | Callable[[Mapping[str, Any]], str]


class HookOptions(TypedDict, total=False):
    """Payload and condition options shared by every hook (see :class:`SignalHook`)."""

    fields: list[str] | None
    exclude: list[str] | None
    serializer: InstanceSerializer | None
    use_natural_keys: bool
    when: Predicate | None
    when_changed: list[str] | None


_hooks: weakref.WeakSet[SignalHook] = weakref.WeakSet()
# Django connects receivers weakly by default, so the seed's inline
# ``post_save.connect(HTTPSignalHook(...))`` would be collected at once. Hooks are
# configuration objects that live as long as the process: keep them alive here.
_keepalive: list[SignalHook] = []


# (instance, event) being rendered in this thread. The 0.1.1 payload methods only get
# (instance, created), so an override calling super() on post_delete would otherwise
# rebuild the event as "<Model>:signal", with a new snapshot and event id.
_rendering = threading.local()


def _rendered_event(instance: Model) -> Event | None:
    current = getattr(_rendering, "current", None)
    return current[1] if current is not None and current[0] is instance else None


def all_hooks() -> list[SignalHook]:
    """Every hook created in this process (used by system checks and the outbox)."""
    return list(_hooks)


class SignalHook:
    """Base class: turns a signal into a delivery to :attr:`target`.

    Subclasses build ``self.target`` and may override :meth:`render` to prepare a
    request in the caller's thread (for payload methods that need the instance).

    Options every hook accepts (keyword-only; all optional):

    ``event`` (default: ``"app_label.Model:created|updated|deleted"``, or ``"signal"``)
        The event name: a string, or a callable receiving the signal's kwargs
        (``instance``, ``created``, your custom signal's arguments...) and returning one.
    ``fields`` / ``exclude`` (default: every field)
        Field names to include in / leave out of the serialized instance (Django's
        serializer ``fields=``; the pk is always there). Not both.
    ``serializer`` (default: Django's JSON serializer)
        ``callable(instance) -> str | dict`` replacing the serialized instance
        (``Instance``); a dict is JSON-encoded with ``DjangoJSONEncoder``.
    ``use_natural_keys`` (default ``False``)
        Serialize with natural foreign and primary keys (models with ``natural_key()``).
    ``when`` (default: always)
        ``callable(instance, **kwargs) -> bool`` called at signal time with the
        signal's kwargs (``instance`` is ``None`` for signals without one); ``False``
        skips the delivery.
    ``when_changed`` (default: always)
        Field names: a save delivers only if one of them changed since the instance
        was loaded or last saved (a creation always counts; ``save(update_fields=...)``
        without any of them is skipped). Previous values are captured when instances
        are loaded, from memory, with no extra query. Filters ``post_save`` only.

    Invalid options raise ``ImproperlyConfigured`` here; a serialization problem at
    signal time is logged and counted as a failed delivery, never raised into ``save()``.
    """

    target: Target
    #: ``True``: write each delivery to the outbox table in the caller's transaction
    #: (at-least-once, survives crashes; needs ``signalhooks_worker``). ``None``:
    #: follow ``SIGNALHOOKS["DURABLE"]``. See :mod:`signalhooks.outbox`.
    durable: bool | None = None

    def __init__(
        self,
        *,
        event: EventName | None = None,
        fields: list[str] | None = None,
        exclude: list[str] | None = None,
        serializer: InstanceSerializer | None = None,
        use_natural_keys: bool = False,
        when: Predicate | None = None,
        when_changed: list[str] | None = None,
    ) -> None:
        owner = type(self).__name__
        self.payload = PayloadOptions(
            owner,
            fields=fields,
            exclude=exclude,
            serializer=serializer,
            use_natural_keys=use_natural_keys,
        )
        # None: share the default snapshot of this dispatch with other hooks.
        self._serialize = None if self.payload.is_default else self.payload
        self.conditions = Conditions(owner, when=when, when_changed=when_changed)
        if event is not None and not (isinstance(event, str) and event) and not callable(event):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: event= must be a non-empty string or a callable "
                f"taking the signal's kwargs, not {event!r}"
            )
        self.event_name = event
        # Signal.send_robust() logs failures through receiver.__qualname__, which
        # instances lack by default.
        self.__qualname__ = f"{type(self).__qualname__}({self.target.name})"
        _hooks.add(self)
        _keepalive.append(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.target.name}>"

    # -- sync receiver -----------------------------------------------------------

    def __call__(self, signal: Any = None, sender: Any = None, **kwargs: Any) -> None:
        """Receiver for ``Signal.send()``: snapshot now, deliver in the background."""
        delivery = self._prepare(signal, sender, kwargs)
        if delivery is None:
            return
        if self.durable or (self.durable is None and conf.get("DURABLE")):
            accept_durable(delivery)  # the outbox row joins the caller's transaction
            return
        using = delivery.event.using or DEFAULT_DB_ALIAS
        if transaction.get_connection(using).in_atomic_block:
            transaction.on_commit(partial(get_engine().accept, delivery), using=using, robust=True)
        else:
            get_engine().accept(delivery)

    # -- async receiver ----------------------------------------------------------

    async def async_receiver(
        self, signal: Any = None, sender: Any = None, **kwargs: Any
    ) -> DeliveryResult:
        """Receiver for ``await Signal.asend()``: deliver and return the outcome.

        Works from any event loop: the network clients live on the engine's loop
        and only the result crosses over. Cancelling the awaiting task does not
        cancel the delivery. Delivery is immediate (``asend`` is not used inside
        ``transaction.atomic()``, which Django's async ORM does not offer).
        """
        waiter: Future[DeliveryResult] = Future()
        try:
            delivery = self._prepare(signal, sender, kwargs, waiter)
        except SynchronousOnlyOperation:  # serializing touched the DB (e.g. m2m)
            delivery = await sync_to_async(self._prepare)(signal, sender, kwargs, waiter)
        if delivery is None:
            return waiter.result()
        if self.durable or (self.durable is None and conf.get("DURABLE")):
            await sync_to_async(accept_durable)(delivery)  # the ORM, off this loop
        else:
            get_engine().accept(delivery)
        return await asyncio.wrap_future(waiter)

    # -- building deliveries -------------------------------------------------------

    def _prepare(
        self,
        signal: Any,
        sender: Any,
        kwargs: dict[str, Any],
        waiter: Future[DeliveryResult] | None = None,
    ) -> Delivery | None:
        try:
            if self.conditions.active and not self.conditions.allows(signal, kwargs):
                if waiter is not None:
                    waiter.set_result(self._skipped(kwargs))
                return None
            event = self.build_event(signal, sender, kwargs)
            _rendering.current = (kwargs.get("instance"), event)
            try:
                request = self.render(event, kwargs)
            finally:
                _rendering.current = None
        except Exception as exc:  # never raise into save(): report and count instead
            if isinstance(exc, SynchronousOnlyOperation) and waiter is not None:
                raise  # async_receiver (the only caller with a waiter) retries in a thread
            name = self._name_for(kwargs) or "?"
            error = f"{self!r} on {_signal_name(signal)}: {type(exc).__name__}: {exc}"
            result = DeliveryResult(self.target.name, "", name, False, None, error, 0, 0.0)
            report_rejected(result, self)
            if waiter is not None:
                waiter.set_result(result)
            return None
        return Delivery(event, self.target, self, request, waiter)

    def _skipped(self, kwargs: Mapping[str, Any]) -> DeliveryResult:
        # Not a failure and not counted: the hook's own condition said no.
        error = "not delivered: the hook's when/when_changed condition was false"
        return DeliveryResult(
            self.target.name, "", self._name_for(kwargs) or "?", False, None, error, 0, 0.0
        )

    def build_event(self, signal: Any, sender: Any, kwargs: Mapping[str, Any]) -> Event:
        """The frozen snapshot of this dispatch (model event or custom-signal event)."""
        instance = kwargs.get("instance")
        if isinstance(instance, Model):
            extra = {k: v for k, v in kwargs.items() if k not in RESERVED_KWARGS}
            event = model_event(signal, instance, kwargs, extra, self._serialize)
            name = self._name_for(kwargs)
            if name is not None and name != event.name:
                event = Event(
                    name=name,
                    id=event.id,
                    timestamp=event.timestamp,
                    instance_id=event.instance_id,
                    instance_json=event.instance_json,
                    data_json=event.data_json,
                    model=event.model,
                    using=event.using,
                )
            return event
        data = {k: v for k, v in kwargs.items() if k not in ("signal", "sender")}
        return custom_event(self._name_for(kwargs) or "signal", data)

    def _name_for(self, kwargs: Mapping[str, Any]) -> str | None:
        if self.event_name is None or isinstance(self.event_name, str):
            return self.event_name
        return str(self.event_name(kwargs))

    def render(self, event: Event, kwargs: Mapping[str, Any]) -> Any:
        """Request data prepared in the caller's thread, or ``None`` to render from ``event``."""
        return None

    # -- seed helpers ------------------------------------------------------------

    def serialize_instance(self, instance: Model) -> str:
        """Base64 of the instance's Django JSON without brackets (the seed's ``Instance``)."""
        event = model_event(None, instance, {}, serialize=self._serialize)
        return event.instance_b64 or ""


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
        self.durable = _check_durable(type(self).__name__, durable)
        method = str(request_method).upper()
        _check_url(type(self).__name__, request_url)
        if method not in ("POST", "PUT", "PATCH"):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: request_method={request_method!r} cannot carry the "
                "JSON body; use POST, PUT or PATCH"
            )
        _check_limits(type(self).__name__, timeout, max_attempts, max_in_flight)
        signer = None if secret is None else Signer(secret, type(self).__name__)
        self.request_url = request_url
        self.request_method = method.lower()
        self.target = HTTPTarget(
            request_url,
            method,
            headers=headers,
            http_client=http_client,
            signer=signer,
            ssl_context=ssl_context,
            timeout=timeout,
            max_attempts=max_attempts,
            max_in_flight=max_in_flight,
        )
        self._legacy = _overrides(
            self, HTTPSignalHook, "get_request_payload", "get_request_url_headers"
        ) or _overrides(self, HTTPSignalHook, "get_request_url_params")
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
        event = _rendered_event(instance)
        if event is None:  # called outside a dispatch
            kwargs = {} if created is None else {"created": created}
            event = model_event(None, instance, kwargs, serialize=self._serialize)
        return dict(event.seed_fields())

    def render(self, event: Event, kwargs: Mapping[str, Any]) -> HTTPRequest | None:
        if not self._legacy:
            return None
        payload = self.get_request_payload(
            instance=kwargs.get("instance"), created=kwargs.get("created")
        )
        if not _overrides(self, HTTPSignalHook, "get_request_payload"):
            return HTTPRequest(
                event.json_body, self.get_request_url_headers(), self.get_request_url_params()
            )
        body = json.dumps(payload, ensure_ascii=False, cls=_encoder()).encode()
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
        self.durable = _check_durable(type(self).__name__, durable)
        match = parse_topic_arn(sns_topic_arn) if isinstance(sns_topic_arn, str) else None
        if match is None:
            raise ImproperlyConfigured(
                f"SNSSignalHook: sns_topic_arn={sns_topic_arn!r} is not an SNS topic ARN "
                "(arn:aws:sns:<region>:<12-digit account>:<topic name>)"
            )
        if bool(aws_access_key) != bool(aws_secret_key):
            raise ImproperlyConfigured(
                "SNSSignalHook: give both aws_access_key and aws_secret_key, or neither "
                "(then the standard AWS credential chain is used)"
            )
        if endpoint_url is not None:
            _check_url("SNSSignalHook endpoint_url", endpoint_url)
        _check_limits(type(self).__name__, timeout, max_attempts, max_in_flight)
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
        self._legacy = _overrides(self, SNSSignalHook, "get_sns_msg", "get_sns_msg_attributes")
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
        event = _rendered_event(instance)
        if event is None:  # called outside a dispatch
            kwargs = {} if created is None else {"created": created}
            event = model_event(None, instance, kwargs, serialize=self._serialize)
        return dict(SNSMessage.from_event(event).attributes)

    def render(self, event: Event, kwargs: Mapping[str, Any]) -> SNSMessage | None:
        if not self._legacy:
            return None
        default = self.target.default_message(event)
        if _overrides(self, SNSSignalHook, "get_sns_msg_attributes"):
            attributes = self.get_sns_msg_attributes(
                instance=kwargs.get("instance"), created=kwargs.get("created")
            )
        else:
            attributes = dict(default.attributes)
        if _overrides(self, SNSSignalHook, "get_sns_msg"):
            return SNSMessage(self.get_sns_msg(), attributes)
        return SNSMessage(default.message, attributes)


def _overrides(hook: object, base: type, *names: str) -> bool:
    return any(getattr(type(hook), name) is not getattr(base, name) for name in names)


def _check_url(owner: str, url: object) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"{owner}: {url!r} is not an http(s) URL with a host")


def _check_durable(owner: str, durable: object) -> bool | None:
    if durable is not None and not isinstance(durable, bool):
        raise ImproperlyConfigured(f"{owner}: durable must be True, False or None, not {durable!r}")
    if durable:
        from django.apps import apps

        if apps.apps_ready and not apps.is_installed("signalhooks"):
            raise ImproperlyConfigured(
                f'{owner}: durable=True needs "signalhooks" in INSTALLED_APPS (and migrate): '
                "the outbox table belongs to that app"
            )
    return durable


def _check_limits(owner: str, timeout: Any, max_attempts: Any, max_in_flight: Any) -> None:
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise ImproperlyConfigured(f"{owner}: timeout must be a positive number, not {timeout!r}")
    for name, value in (("max_attempts", max_attempts), ("max_in_flight", max_in_flight)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ImproperlyConfigured(f"{owner}: {name} must be an int >= 1, not {value!r}")


@functools.lru_cache(maxsize=64)
def _signal_name(signal: Any) -> str:
    """``post_save``, or ``module.name`` where a custom signal is defined, for errors.

    Django signals have no name, and a user reading "cannot serialize ..." needs to
    know which of their signals sent it. The module scan costs a few ms: error path
    only, once per signal.
    """
    from .wiring import signal_names

    return signal_names().get(signal, repr(signal))


def _encoder() -> type[json.JSONEncoder]:
    from django.core.serializers.json import DjangoJSONEncoder

    return DjangoJSONEncoder


# Unused-import guard for names re-exported for typing users.
_ = (Attempt, SerializationError)
