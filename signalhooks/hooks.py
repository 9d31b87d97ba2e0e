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
import json
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Model

from .delivery import Delivery, Target
from .engine import get_engine
from .events import RESERVED_KWARGS, Event, SerializationError, custom_event, model_event
from .outcome import report_rejected
from .results import Attempt, DeliveryResult
from .targets.http import HTTPRequest, HTTPTarget
from .targets.sns import SEED_MESSAGE, SNSMessage, SNSTarget, parse_topic_arn

__all__ = ["HTTPSignalHook", "SNSSignalHook", "SignalHook", "all_hooks"]

EventName = str | Callable[[Mapping[str, Any]], str]

_hooks: weakref.WeakSet[SignalHook] = weakref.WeakSet()
# Django connects receivers weakly by default, so the seed's inline
# ``post_save.connect(HTTPSignalHook(...))`` would be collected at once. Hooks are
# configuration objects that live as long as the process: keep them alive here.
_keepalive: list[SignalHook] = []


def all_hooks() -> list[SignalHook]:
    """Every hook created in this process (used by system checks and the outbox)."""
    return list(_hooks)


class SignalHook:
    """Base class: turns a signal into a delivery to :attr:`target`.

    Subclasses build ``self.target`` and may override :meth:`render` to prepare a
    request in the caller's thread (for payload methods that need the instance).
    """

    target: Target

    def __init__(self, *, event: EventName | None = None) -> None:
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
            event = self.build_event(signal, sender, kwargs)
            request = self.render(event, kwargs)
        except SynchronousOnlyOperation:
            raise
        except Exception as exc:  # never raise into save(): report and count instead
            name = self._name_for(kwargs) or "?"
            error = f"{self!r} on {_signal_name(signal)}: {type(exc).__name__}: {exc}"
            result = DeliveryResult(self.target.name, "", name, False, None, error, 0, 0.0)
            report_rejected(result, self)
            if waiter is not None:
                waiter.set_result(result)
            return None
        return Delivery(event, self.target, self, request, waiter)

    def build_event(self, signal: Any, sender: Any, kwargs: Mapping[str, Any]) -> Event:
        """The frozen snapshot of this dispatch (model event or custom-signal event)."""
        instance = kwargs.get("instance")
        if isinstance(instance, Model):
            extra = {k: v for k, v in kwargs.items() if k not in RESERVED_KWARGS}
            event = model_event(signal, instance, kwargs, extra)
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
        event = model_event(None, instance, {})
        return event.instance_b64 or ""


class HTTPSignalHook(SignalHook):
    """POST (or PUT/PATCH) a JSON body to ``request_url`` whenever the signal fires.

    Body: ``{"Event", "InstanceId", "Instance", "EventId", "Timestamp"}`` for model
    signals; ``{"Event", "EventId", "Timestamp", "Data"}`` for other signals.
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
    ) -> None:
        method = str(request_method).upper()
        _check_url(type(self).__name__, request_url)
        if method not in ("POST", "PUT", "PATCH"):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: request_method={request_method!r} cannot carry the "
                "JSON body; use POST, PUT or PATCH"
            )
        _check_limits(type(self).__name__, timeout, max_attempts, max_in_flight)
        self.request_url = request_url
        self.request_method = method.lower()
        self.target = HTTPTarget(
            request_url,
            method,
            headers=headers,
            http_client=http_client,
            timeout=timeout,
            max_attempts=max_attempts,
            max_in_flight=max_in_flight,
        )
        self._legacy = _overrides(
            self, HTTPSignalHook, "get_request_payload", "get_request_url_headers"
        ) or _overrides(self, HTTPSignalHook, "get_request_url_params")
        super().__init__(event=event)

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
        kwargs = {} if created is None else {"created": created}
        return dict(model_event(None, instance, kwargs).seed_fields())

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
    """

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
    ) -> None:
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
            timeout=timeout,
            max_attempts=max_attempts,
            max_in_flight=max_in_flight,
        )
        self._legacy = _overrides(self, SNSSignalHook, "get_sns_msg", "get_sns_msg_attributes")
        super().__init__(event=event)

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
        kwargs = {} if created is None else {"created": created}
        return dict(SNSMessage.from_event(model_event(None, instance, kwargs)).attributes)

    def render(self, event: Event, kwargs: Mapping[str, Any]) -> SNSMessage | None:
        if not self._legacy:
            return None
        if _overrides(self, SNSSignalHook, "get_sns_msg_attributes"):
            attributes = self.get_sns_msg_attributes(
                instance=kwargs.get("instance"), created=kwargs.get("created")
            )
        else:
            attributes = dict(SNSMessage.from_event(event).attributes)
        return SNSMessage(self.get_sns_msg(), attributes)


def _overrides(hook: object, base: type, *names: str) -> bool:
    return any(getattr(type(hook), name) is not getattr(base, name) for name in names)


def _check_url(owner: str, url: object) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"{owner}: {url!r} is not an http(s) URL with a host")


def _check_limits(owner: str, timeout: Any, max_attempts: Any, max_in_flight: Any) -> None:
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise ImproperlyConfigured(f"{owner}: timeout must be a positive number, not {timeout!r}")
    for name, value in (("max_attempts", max_attempts), ("max_in_flight", max_in_flight)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ImproperlyConfigured(f"{owner}: {name} must be an int >= 1, not {value!r}")


def _signal_name(signal: Any) -> str:
    from django.db.models import signals as model_signals

    for name in ("post_save", "post_delete", "pre_save", "pre_delete", "m2m_changed"):
        if signal is getattr(model_signals, name):
            return name
    return repr(signal)


def _encoder() -> type[json.JSONEncoder]:
    from django.core.serializers.json import DjangoJSONEncoder

    return DjangoJSONEncoder


# Unused-import guard for names re-exported for typing users.
_ = (Attempt, SerializationError)
