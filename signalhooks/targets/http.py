"""HTTP(S) webhook target: one request per delivery, status-code classification."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .. import conf
from ..exceptions import TransportError
from ..outcome.results import Attempt, SentRequest
from ..snapshot.cloudevents import CONTENT_TYPE as CLOUDEVENTS_CONTENT_TYPE
from ..snapshot.cloudevents import envelope
from ..snapshot.events import Event
from ..telemetry.tracing import HTTPAttemptSpan, error_type
from .base import Delivery, TargetOptions
from .signing import Signer

if TYPE_CHECKING:
    from ..transports.pool import Clients

__all__ = [
    "BODY_FORMATS",
    "FORMATS",
    "HTTPRequest",
    "HTTPTarget",
    "display_url",
    "is_retryable_status",
    "parse_retry_after",
]

JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}
CLOUDEVENTS_HEADERS: Mapping[str, str] = {"Content-Type": CLOUDEVENTS_CONTENT_TYPE}
#: The bodies a target sends: ``"event"`` (the event JSON; an endpoint's "signalhooks"),
#: ``"standard"`` (``{"type", "timestamp", "data"}``), ``"cloudevents"`` (a CloudEvents
#: 1.0 structured-mode envelope of the event JSON's data) and ``"cloudevents-standard"``
#: (the envelope with the standard ``data``: an endpoint's "cloudevents").
BODY_FORMATS = ("event", "standard", "cloudevents", "cloudevents-standard")
#: The ``format=`` values of ``HTTPSignalHook``.
FORMATS = ("event", "cloudevents", "standard")


@dataclass(frozen=True, slots=True)
class HTTPRequest:
    """A request rendered in the caller's thread by an overridden hook method."""

    body: bytes
    headers: Mapping[str, str]
    params: Mapping[str, str] | None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def is_retryable_status(status: int) -> bool:
    """408/425/429 and 5xx are worth another try; other answers are final."""
    return status in (408, 425, 429) or status >= 500


class HTTPTarget(TargetOptions):
    """An HTTP(S) endpoint. ``signer`` adds Standard Webhooks headers per attempt;
    ``ssl_context`` (CA bundle, client certificate) applies to the built-in transport.
    """

    batch_size = 1
    messaging_system = "webhook"
    # Class-level defaults, set on the instance only when they differ: outbox rows find
    # their hook by a digest of the target's instance attributes, which must not change
    # for hooks that use neither option.
    format = "event"
    source: str | None = None

    def __init__(
        self,
        url: str,
        method: str,
        *,
        headers: Mapping[str, str] | None = None,
        http_client: Any = None,
        signer: Signer | None = None,
        ssl_context: ssl.SSLContext | None = None,
        format: str = "event",
        source: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if format not in BODY_FORMATS:  # the hooks say which of these they accept
            raise ImproperlyConfigured(f"{type(self).__name__}: unknown body format {format!r}")
        if format != "event":
            self.format = format
        if source is not None:
            self.source = source
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise ImproperlyConfigured(
                f"HTTPSignalHook: ssl_context= must be an ssl.SSLContext, not "
                f"{type(ssl_context).__name__} (e.g. ssl.create_default_context(cafile=...))"
            )
        if ssl_context is not None and http_client is not None:
            raise ImproperlyConfigured(
                "HTTPSignalHook: ssl_context= applies to the built-in client; with your own "
                "http_client, set verify=/cert= on that httpx.AsyncClient instead"
            )
        self.url = url
        self.method = method
        self.headers: Mapping[str, str] = {**_content_type(format), **(headers or {})}
        self.http_client = http_client
        self.signer = signer
        self.ssl_context = ssl_context
        self.name = f"{method} {display_url(url)}"

    async def send(self, batch: Sequence[Delivery], clients: Clients) -> list[Attempt]:
        return [await self._send_one(delivery, clients) for delivery in batch]

    def body(self, event: Event) -> bytes:
        """The request body for ``event`` (without hook overrides): in ``format``, or in
        the format a stored delivery was accepted with (``event.body_format``)."""
        fmt = event.body_format or self.format
        if fmt == "event":
            return event.json_body
        if fmt == "standard":
            return event.standard_body
        source = self.source or conf.settings().cloudevents_source
        return envelope(event, source, standard=fmt == "cloudevents-standard").encode()

    def request_for(self, event: Event) -> tuple[bytes, Mapping[str, str]]:
        """The body of ``event`` and the headers that go with it (its ``Content-Type``)."""
        fmt = event.body_format
        if fmt is None or fmt == self.format:
            return self.body(event), self.headers
        return self.body(event), {**self.headers, **_content_type(fmt)}

    async def _send_one(self, delivery: Delivery, clients: Clients) -> Attempt:
        span = delivery.trace_span()
        if span is None:
            return await self._attempt(delivery, clients, None)
        request: HTTPRequest | None = delivery.request
        params = None if request is None else request.params
        with HTTPAttemptSpan(span, self.method, self.url, params, delivery.attempts) as traced:
            attempt = await self._attempt(delivery, clients, traced)
            if attempt.status is not None:
                traced.answered(attempt.status)
            elif not attempt.ok:
                traced.failed(attempt.error_type or "_OTHER", attempt.error)
            return attempt

    async def _attempt(
        self, delivery: Delivery, clients: Clients, traced: HTTPAttemptSpan | None
    ) -> Attempt:
        request: HTTPRequest | None = delivery.request
        if request is None:
            (body, headers), params = self.request_for(delivery.event), None
        else:
            body, headers, params = request.body, request.headers, request.params
        headers = self.prepare_headers(delivery, body, headers)
        if traced is not None:
            headers = traced.headers(headers)
        if not delivery.records_attempts:
            return await self._exchange(body, headers, params, clients)
        started, clock = time.time(), time.perf_counter()
        attempt = await self._exchange(body, headers, params, clients)
        duration = time.perf_counter() - clock
        sent = SentRequest(started, duration, headers, body.decode("utf-8", "replace"))
        return replace(attempt, sent=sent)

    async def _exchange(
        self,
        body: bytes,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        clients: Clients,
    ) -> Attempt:
        """Send one request; its outcome, classified."""
        if self.http_client is not None and conf.settings().block_private_addresses:
            # Fail closed: signalhooks cannot check where a user's own client connects.
            error = (
                "SIGNALHOOKS['BLOCK_PRIVATE_ADDRESSES'] is on but this hook has its own "
                "http_client, whose connections cannot be guarded"
            )
            return Attempt(ok=False, retryable=False, error=error, error_type="blocked")
        transport = clients.http(self, self.http_client)
        timeout = self.timeout
        try:
            # One total deadline per attempt, whatever the transport: connect, status
            # line, headers and the part of the body that is read.
            async with asyncio.timeout(timeout):
                response = await transport.request(
                    self.method,
                    self.url,
                    params=params,
                    headers=headers,
                    content=body,
                    timeout=timeout,
                    body_limit=conf.settings().response_body_limit,
                )
        except TransportError as exc:
            return Attempt(
                ok=False, retryable=exc.retryable, error=str(exc), error_type=error_type(exc)
            )
        except TimeoutError:
            error = f"timed out after {timeout:g}s"
            return Attempt(ok=False, retryable=True, error=error, error_type="timeout")
        status = response.status
        excerpt = response.body.decode("utf-8", "replace")
        if 200 <= status < 300:
            return Attempt(ok=True, status=status, response=excerpt)
        retryable = is_retryable_status(status)
        error = f"HTTP {status}"
        if 300 <= status < 400:
            error += " (redirects are not followed)"
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if retryable else None
        return Attempt(
            ok=False,
            retryable=retryable,
            status=status,
            error=error,
            retry_after=retry_after,
            response=excerpt,
            error_type=str(status),
        )

    def prepare_headers(
        self, delivery: Delivery, body: bytes, headers: Mapping[str, str]
    ) -> Mapping[str, str]:
        """Per-attempt headers: the Standard Webhooks ones when the hook has a ``secret``.

        Called for every attempt, so ``webhook-timestamp`` is fresh on each retry while
        ``webhook-id`` (the event id) stays the same.
        """
        if self.signer is None:
            return headers
        return {**headers, **self.signer.headers(delivery.event.id, body)}


def _content_type(fmt: str) -> Mapping[str, str]:
    return CLOUDEVENTS_HEADERS if fmt.startswith("cloudevents") else JSON_HEADERS


def display_url(url: str) -> str:
    """Scheme, host, port and path: query strings and userinfo often carry tokens.

    An IPv6 host keeps its brackets (``http://[::1]:8080/hook``), as in a URL.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
