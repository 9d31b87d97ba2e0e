"""``HTTPSignalHook``: a JSON body POSTed (or PUT/PATCHed) to a URL when the signal fires."""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from typing import Any, Unpack

from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from ..snapshot.events import Event
from ..targets.http import FORMATS, HTTPRequest, HTTPTarget
from ..targets.signing import Signer
from ..transports.httpx_compat import check_http_client
from .base import EventName, HookOptions, SignalHook
from .options import (
    check_durable,
    check_headers,
    check_limits,
    check_number,
    check_optional_str,
    check_order,
    check_url,
    overrides,
)

__all__ = ["HTTPSignalHook"]


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
    ``format`` (default ``"event"``)
        ``"event"``: the body above. ``"standard"``: the body Standard Webhooks
        recommends, ``{"type", "timestamp", "data"}``, whose ``data`` is the instance as
        a plain JSON object (``{"id", <field>: <value>...}``) or a custom signal's
        arguments (see docs/payload.md). ``"cloudevents"``: a
        CloudEvents 1.0 event in the structured mode of the HTTP binding
        (``Content-Type: application/cloudevents+json``): ``id`` = the event id,
        ``type`` = the event name, ``source``, ``time``, ``subject`` = the instance's pk,
        and ``data`` = ``{"InstanceId", "Instance"}`` with the instance as a JSON object
        (``Data`` for a custom signal's arguments). Signed like any body.
    ``previous_attributes`` (default ``False``)
        ``True`` (with ``format="standard"``): the ``data`` of an update carries
        ``"previous_attributes": {field: value before this save}`` for the sent fields
        that this save changed (left out when none did).
    ``source`` (default ``SIGNALHOOKS["CLOUDEVENTS_SOURCE"]``, ``"/signalhooks"``)
        The CloudEvents ``source`` (a URI-reference naming your service), with
        ``format="cloudevents"``.
    ``headers``, ``timeout``, ``max_attempts``, ``max_in_flight``, ``http_client``
        Extra request headers; per-hook overrides of the ``SIGNALHOOKS`` settings; an
        ``httpx2.AsyncClient`` or ``httpx.AsyncClient`` (or a factory returning one) to
        send with instead of the built-in pool.
    ``rate_limit`` (default ``None``: unlimited)
        Deliveries per second (a number > 0). Durable deliveries hold it for every
        process that sends together (a limit shared in the outbox's database, with a
        burst of a tenth of a second's worth); non-durable ones per process.
    ``ordered`` (default ``False``) and ``order_key``
        ``True``: the events of one object (model and primary key) reach the URL one at
        a time, in the order their transactions committed; a failing one holds back the
        later ones of its object only. Durable hooks only. ``order_key="order_id"`` names
        the signal argument that says which object an event belongs to (custom signals).

    Redirects are never followed (a 3xx is a failed delivery, not retried); at most
    ``SIGNALHOOKS["RESPONSE_BODY_LIMIT"]`` bytes of a response are read;
    ``SIGNALHOOKS["BLOCK_PRIVATE_ADDRESSES"] = True`` refuses targets that resolve to
    loopback, private, link-local or cloud-metadata addresses (not retried).
    """

    target: HTTPTarget
    stored_name = "http"

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
        format: str = "event",
        source: str | None = None,
        previous_attributes: bool = False,
        rate_limit: float | None = None,
        ordered: bool = False,
        order_key: str | None = None,
        **options: Unpack[HookOptions],
    ) -> None:
        owner = type(self).__name__
        if format not in FORMATS:
            raise ImproperlyConfigured(
                f"{owner}: format= must be 'event' (the event JSON), 'standard' (Standard "
                "Webhooks' {type, timestamp, data}) or 'cloudevents' (a CloudEvents 1.0 "
                f"structured-mode envelope), not {format!r}"
            )
        if previous_attributes is True and format != "standard":
            raise ImproperlyConfigured(
                f"{owner}: previous_attributes=True needs format='standard', whose data "
                f"carries them; format={format!r} has no place for them"
            )
        self.durable = check_durable(owner, durable)
        self._order = check_order(owner, ordered, order_key, self.durable)
        check_url(owner, request_url)
        method = request_method.upper() if isinstance(request_method, str) else ""
        if method not in ("POST", "PUT", "PATCH"):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: request_method={request_method!r} cannot carry the "
                "JSON body; use POST, PUT or PATCH"
            )
        check_limits(owner, timeout, max_attempts, max_in_flight)
        check_http_client(owner, http_client)
        check_optional_str(owner, "source", source, form="'https://shop.example.com/orders'")
        if source is not None and format != "cloudevents":
            raise ImproperlyConfigured(f"{owner}: source= applies to format='cloudevents' only")
        if format != "event" and overrides(self, HTTPSignalHook, "get_request_payload"):
            raise ImproperlyConfigured(
                f"{owner}: format={format!r} builds the body itself; it cannot be combined "
                "with an overridden get_request_payload() (use serializer= to shape the instance)"
            )
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
            format=format,
            source=source,
            timeout=timeout,
            max_attempts=max_attempts,
            max_in_flight=max_in_flight,
        )
        if rate_limit is not None:  # set only when given: it enters the hook's stored key
            check_number(owner, "rate_limit", rate_limit, positive=True)
            self.target.rate_limit = float(rate_limit)
        self._renders = overrides(
            self, HTTPSignalHook, "get_request_payload", "get_request_url_headers"
        ) or overrides(self, HTTPSignalHook, "get_request_url_params")
        super().__init__(event=event, previous_attributes=previous_attributes, **options)

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
                self.target.body(event),
                self.get_request_url_headers(),
                self.get_request_url_params(),
            )
        body = json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
        return HTTPRequest(body, self.get_request_url_headers(), self.get_request_url_params())
