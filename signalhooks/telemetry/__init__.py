"""OpenTelemetry in one place: whether it is on, the trace context, spans and metrics.

Everything here goes through ``opentelemetry-api`` only (the ``signalhooks[otel]``
extra) and does nothing, cheaply, when that package is missing, when
``SIGNALHOOKS["OPENTELEMETRY"]`` is ``False``, or while no SDK is configured. The
stages call small functions: :func:`~signalhooks.telemetry.tracing.capture` at signal
time, the span helpers on the delivery loop, and :mod:`~signalhooks.telemetry.metrics`
from the outcome report.
"""
