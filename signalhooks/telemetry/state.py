"""Is OpenTelemetry on? Decided once and cached, so that the caller's path stays cheap.

On means: ``opentelemetry-api`` is importable, ``SIGNALHOOKS["OPENTELEMETRY"]`` is true
(the default), and the application has configured an SDK provider (anything but the
API's proxy and no-op providers). Without a provider every span and instrument of the
API is a no-op anyway; checking for one up front spares even the no-op calls.

An application may configure OpenTelemetry after the first signal (in ``wsgi.py``
after Django's setup, say), so a "no provider yet" answer is looked at again at most
once a second; "on", "not installed" and "switched off" hold until the setting changes.
"""

from __future__ import annotations

import functools
import time
from importlib import metadata
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from .. import conf

__all__ = ["metrics_on", "otel_metrics", "otel_trace", "reset", "tracing_on", "version"]

try:
    from opentelemetry import metrics as otel_metrics
    from opentelemetry import trace as otel_trace
except ImportError:  # the otel extra is not installed
    otel_metrics = None  # type: ignore[assignment]
    otel_trace = None  # type: ignore[assignment]

#: Seconds between two looks for a provider while there is none.
RECHECK = 1.0
_NEVER = float("inf")

# (on, monotonic time of the next check); _NEVER: decided until the setting changes.
_trace_on = False
_trace_next = 0.0
_metrics_on = False
_metrics_next = 0.0


def tracing_on() -> bool:
    """Whether spans are made and the trace context is captured and sent."""
    return _trace_on or (_trace_next != _NEVER and _decide_tracing())


def metrics_on() -> bool:
    """Whether delivery metrics are recorded."""
    return _metrics_on or (_metrics_next != _NEVER and _decide_metrics())


def _enabled() -> bool | None:
    """``False`` for good (not installed, switched off); ``None``: look at the provider."""
    if otel_trace is None:
        return False
    try:
        on = conf.settings().opentelemetry
    except ImproperlyConfigured:
        # An invalid SIGNALHOOKS: off until it changes. Each hook that meets it reports a
        # failed delivery naming the setting; telemetry must not raise in its place.
        return False
    return None if on else False


def _decide_tracing() -> bool:
    global _trace_on, _trace_next
    now = time.monotonic()
    if now < _trace_next:
        return False
    if _enabled() is False:
        _trace_on, _trace_next = False, _NEVER
        return False
    provider = otel_trace.get_tracer_provider()
    configured = not isinstance(
        provider, otel_trace.ProxyTracerProvider | otel_trace.NoOpTracerProvider
    )
    _trace_on, _trace_next = configured, (_NEVER if configured else now + RECHECK)
    return configured


def _decide_metrics() -> bool:
    global _metrics_on, _metrics_next
    now = time.monotonic()
    if now < _metrics_next:
        return False
    if _enabled() is False:
        _metrics_on, _metrics_next = False, _NEVER
        return False
    provider: Any = otel_metrics.get_meter_provider()
    # The API's own providers (its proxy before set_meter_provider(), and the no-op one)
    # live in opentelemetry.metrics; an SDK's or a vendor's live elsewhere.
    configured = not type(provider).__module__.startswith("opentelemetry.metrics")
    _metrics_on, _metrics_next = configured, (_NEVER if configured else now + RECHECK)
    return configured


@functools.cache
def version() -> str | None:
    """signalhooks' version, for the instrumentation scope of spans and metrics."""
    try:
        return metadata.version("signalhooks")
    except metadata.PackageNotFoundError:  # running from a source tree
        return None


def reset(**kwargs: Any) -> None:
    """Forget the decisions (``SIGNALHOOKS`` changed, or a test configured a provider)."""
    global _trace_on, _trace_next, _metrics_on, _metrics_next
    if kwargs.get("setting", "SIGNALHOOKS") == "SIGNALHOOKS":
        _trace_on, _trace_next, _metrics_on, _metrics_next = False, 0.0, False, 0.0


setting_changed.connect(reset, dispatch_uid="signalhooks.telemetry.state")
