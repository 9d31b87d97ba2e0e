"""The real OpenTelemetry SDK for the tests, in memory, and a receiving service.

OpenTelemetry's global providers can be set once per process, so the SDK is installed
once for the whole session (``conftest.otel_sdk``): every test's deliveries are traced,
which also checks that tracing never disturbs them. Spans go to an in-memory exporter
through a ``SimpleSpanProcessor`` (exported as each span ends), metrics to an
in-memory reader. A process without an SDK is tested in a subprocess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.propagate import extract
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.support.received import ReceivedRequest
from tests.support.recording import RecordingServer


class OtelSDK:
    """What the session's SDK recorded."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.tracer = self.tracer_provider.get_tracer("tests")

    def clear(self) -> None:
        self.exporter.clear()

    def spans(self, *, name: str | None = None, kind: SpanKind | None = None) -> list[ReadableSpan]:
        return [
            span
            for span in self.exporter.get_finished_spans()
            if (name is None or span.name == name) and (kind is None or span.kind == kind)
        ]

    def children(self, parent: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
        span_id = parent.context.span_id
        return [s for s in spans if s.parent is not None and s.parent.span_id == span_id]

    def points(self, name: str) -> list[Any]:
        """Data points of the metric ``name`` (collected now), from every scope."""
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found


_sdk: OtelSDK | None = None


def install() -> OtelSDK:
    """Set the SDK as the global tracer and meter provider (once per process)."""
    global _sdk
    if _sdk is None:
        _sdk = OtelSDK()
        trace.set_tracer_provider(_sdk.tracer_provider)
        metrics.set_meter_provider(_sdk.meter_provider)
    return _sdk


class TracingReceiver(RecordingServer):
    """A receiving service that continues the caller's trace, as an instrumented one would.

    Each request, as it arrives, gets a SERVER span whose parent is the context the
    global OpenTelemetry propagator extracts from the request headers.
    """

    def received(self, request: ReceivedRequest) -> None:
        assert _sdk is not None
        context = extract(dict(request.headers))
        with _sdk.tracer.start_as_current_span(
            f"receive {request.path}", context=context, kind=SpanKind.SERVER
        ):
            pass
