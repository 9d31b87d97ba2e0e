"""Trace context and delivery spans, following OpenTelemetry's semantic conventions.

* At signal time, :func:`capture` takes the current span's context (the request that
  saved the model): once per dispatch, carried on the event and in outbox rows.
* Each delivery gets a PRODUCER span, ``send <event>``, a child of that context (a new
  trace when there was none). It is the message's creation context: it covers every
  attempt, retries included, and ends with the final outcome.
* Each attempt gets a span of its own, a child of the delivery's: an HTTP CLIENT span
  named after the method, or an SNS ``Publish``/``PublishBatch`` span (CLIENT: the
  creation context is the delivery span, as the messaging conventions say for "send"
  spans whose context is not the creation context). A ``PublishBatch`` of several
  deliveries is linked to each of their delivery spans instead of having a parent.
* Webhook requests carry the attempt span's context as W3C ``traceparent`` /
  ``tracestate`` headers; SNS messages carry the delivery span's as a ``traceparent``
  (and ``tracestate``) message attribute. Only W3C trace context is sent, never
  baggage: webhooks often go to other organisations.
* While an attempt runs, the context carries OpenTelemetry's suppress-instrumentation
  keys, so that the aiohttp, httpx and botocore instrumentations, if the application
  runs them, neither trace the same request again nor inject their own headers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from .state import otel_trace, tracing_on, version

__all__ = [
    "HTTPAttemptSpan",
    "SNSAttemptSpan",
    "capture",
    "end_delivery",
    "error_type",
    "from_carrier",
    "sns_trace_attributes",
    "start_delivery",
    "to_carrier",
]

logger = logging.getLogger("signalhooks")

if otel_trace is not None:
    from opentelemetry import context as otel_context
    from opentelemetry.trace import Link, NonRecordingSpan, SpanKind, Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    _PROPAGATOR = TraceContextTextMapPropagator()
    _ROOT = otel_context.Context()
    # The keys the instrumentations check (opentelemetry-api defines them; they are
    # private there, so a future API without them just means no suppression).
    _SUPPRESS_HTTP = getattr(otel_context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None)
    _SUPPRESS_ALL = getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", None)

#: SNS (and SQS raw message delivery) allow at most ten message attributes.
SNS_MAX_ATTRIBUTES = 10
REDACTED = "REDACTED"
_tracer: Any = None


def _get_tracer() -> Any:
    global _tracer
    if _tracer is None:
        _tracer = otel_trace.get_tracer("signalhooks", version())
    return _tracer


# -- the context captured at signal time ---------------------------------------------


def capture() -> Any:
    """The current span's context when tracing is on and there is one, else ``None``.

    Called once per dispatch in the caller's thread; with tracing off it is a flag test.
    """
    if not tracing_on():
        return None
    span_context = otel_trace.get_current_span().get_span_context()
    return span_context if span_context.is_valid else None


def to_carrier(trace: Any) -> dict[str, str] | None:
    """A captured context as W3C ``traceparent`` / ``tracestate`` strings (for a row)."""
    if trace is None or otel_trace is None:
        return None
    carrier: dict[str, str] = {}
    context = otel_trace.set_span_in_context(NonRecordingSpan(trace), _ROOT)
    _PROPAGATOR.inject(carrier, context=context)
    return carrier or None


def from_carrier(carrier: object) -> Any:
    """The context :func:`to_carrier` wrote, or ``None`` (missing, invalid, no OpenTelemetry)."""
    if not isinstance(carrier, Mapping) or otel_trace is None:
        return None
    strings = {str(k): str(v) for k, v in carrier.items()}
    span_context = otel_trace.get_current_span(_PROPAGATOR.extract(strings)).get_span_context()
    return span_context if span_context.is_valid else None


# -- the delivery span ---------------------------------------------------------------


def start_delivery(
    parent: Any, event: str, event_id: str, destination: str, system: str, start_ns: int
) -> Any:
    """The PRODUCER span of one delivery, a child of ``parent`` (a captured context)."""
    context = (
        _ROOT if parent is None else otel_trace.set_span_in_context(NonRecordingSpan(parent), _ROOT)
    )
    return _get_tracer().start_span(
        f"send {event}",
        context=context,
        kind=SpanKind.PRODUCER,
        start_time=start_ns,
        attributes={
            "messaging.system": system,
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
            "messaging.destination.name": destination,
            "messaging.message.id": event_id,
        },
    )


def end_delivery(
    span: Any, ok: bool, attempts: int, error: str | None, error_kind: str | None
) -> None:
    if ok:
        span.set_attribute("signalhooks.attempts", attempts)
    else:
        span.set_attributes(
            {"signalhooks.attempts": attempts, "error.type": error_kind or "_OTHER"}
        )
        span.set_status(Status(StatusCode.ERROR, error))
    span.end()


def error_type(exc: BaseException) -> str:
    """``error.type`` of an exception: ``timeout``, or the class that caused it."""
    cause = exc.__cause__ or exc
    if isinstance(cause, TimeoutError) or str(exc).startswith("timed out"):
        return "timeout"  # our transports raise TransportError("timed out ...") from None
    kind = type(cause)
    return f"{kind.__module__}.{kind.__qualname__}"


class _AttemptSpan:
    """A span for one attempt, current (with instrumentation suppressed) inside ``with``."""

    __slots__ = ("_suppress", "_token", "span")

    _suppress: Any
    span: Any

    def __enter__(self) -> Self:
        context = otel_trace.set_span_in_context(self.span, _ROOT)
        if self._suppress is not None:
            context = otel_context.set_value(self._suppress, True, context)
        self._token = otel_context.attach(context)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        otel_context.detach(self._token)
        if exc is not None:  # cancelled (engine shutdown) or a bug in a target
            self.span.set_attribute("error.type", error_type(exc))
            self.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        self.span.end()

    def failed(self, kind: str, description: str | None) -> None:
        self.span.set_attribute("error.type", kind)
        self.span.set_status(Status(StatusCode.ERROR, description))


class HTTPAttemptSpan(_AttemptSpan):
    """The HTTP CLIENT span of one webhook request."""

    __slots__ = ()

    def __init__(
        self,
        delivery_span: Any,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        resend_count: int,
    ) -> None:
        attributes: dict[str, Any] = dict(_url_attributes(url))
        if params:
            attributes["url.full"] = _with_params(attributes["url.full"], params)
        attributes["http.request.method"] = method
        if resend_count:
            attributes["http.request.resend_count"] = resend_count
        self.span = _get_tracer().start_span(
            method,
            context=otel_trace.set_span_in_context(delivery_span, _ROOT),
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        self._suppress = _SUPPRESS_HTTP

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` plus this attempt's ``traceparent`` (and ``tracestate``)."""
        out = dict(headers)
        out.update(_w3c(self.span.get_span_context()))
        return out

    def answered(self, status: int) -> None:
        self.span.set_attribute("http.response.status_code", status)
        if status >= 400:  # the HTTP conventions: 4xx and 5xx are errors of a client span
            self.failed(str(status), None)


class SNSAttemptSpan(_AttemptSpan):
    """The span of one ``Publish`` or ``PublishBatch`` call."""

    __slots__ = ()

    def __init__(self, delivery_spans: Sequence[Any], topic_arn: str) -> None:
        count = len(delivery_spans)
        operation = "Publish" if count == 1 else "PublishBatch"
        attributes: dict[str, Any] = {
            "messaging.system": "aws.sns",
            "messaging.operation.type": "send",
            "messaging.operation.name": operation,
            "messaging.destination.name": topic_arn,
            "aws.sns.topic.arn": topic_arn,
        }
        if count > 1:
            attributes["messaging.batch.message_count"] = count
            context, links = _ROOT, [Link(s.get_span_context()) for s in delivery_spans]
        else:
            context, links = otel_trace.set_span_in_context(delivery_spans[0], _ROOT), None
        self.span = _get_tracer().start_span(
            f"{operation} {topic_arn.rpartition(':')[2]}",
            context=context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            links=links,
        )
        self._suppress = _SUPPRESS_ALL  # botocore's instrumentation checks the general key

    def answered(self, message_id: str | None) -> None:
        if message_id:
            self.span.set_attribute("messaging.message.id", message_id)


def sns_trace_attributes(
    delivery_span: Any, attributes: Mapping[str, Any], owner: str
) -> dict[str, Any] | None:
    """``attributes`` plus the delivery's trace context, or ``None`` to leave them as they are.

    Left as they are when a hook already set ``traceparent`` itself, and when the
    context would take the message past ten attributes: SQS subscriptions with raw
    message delivery silently discard such messages, a worse loss than the trace link.
    """
    if "traceparent" in attributes:
        return None
    carrier = _w3c(delivery_span.get_span_context())
    if len(attributes) + len(carrier) > SNS_MAX_ATTRIBUTES:
        _warn_full(owner)
        return None
    out = dict(attributes)
    for name, value in carrier.items():
        out[name] = {"DataType": "String", "StringValue": value}
    return out


def _w3c(span_context: Any) -> dict[str, str]:
    """W3C ``traceparent`` (and ``tracestate``) of a span, as TraceContextTextMapPropagator
    writes them, without building a context for it (this runs once per attempt)."""
    out = {
        "traceparent": f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-"
        f"{span_context.trace_flags:02x}"
    }
    state = span_context.trace_state
    if state:
        out["tracestate"] = state.to_header()
    return out


@functools.cache
def _warn_full(owner: str) -> None:
    # Once per target: every message of the hook would say the same.
    logger.warning(
        "signalhooks %s: messages already have %d attributes or close to it; the trace "
        "context (traceparent) is left out to stay within SNS's limit of %d",
        owner,
        SNS_MAX_ATTRIBUTES - 1,
        SNS_MAX_ATTRIBUTES,
    )


# -- URLs without secrets ------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _url_attributes(url: str) -> tuple[tuple[str, Any], ...]:
    """``server.address``, ``server.port`` and ``url.full`` without credentials or secrets.

    User info becomes ``REDACTED:REDACTED`` and every query value ``REDACTED`` (webhook
    URLs often carry tokens there); parameter names stay, the fragment goes.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{REDACTED}:{REDACTED}@{netloc}"
    query = "&".join(
        f"{quote(name, safe='')}={REDACTED}"
        for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    )
    full = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    return (("server.address", host), ("server.port", port), ("url.full", full))


def _with_params(url: str, params: Mapping[str, str]) -> str:
    added = "&".join(f"{quote(str(name), safe='')}={REDACTED}" for name in params)
    return f"{url}{'&' if '?' in url else '?'}{added}"
