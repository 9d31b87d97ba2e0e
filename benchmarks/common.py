"""Helpers shared by the phase processes: Django setup, payloads, sink control, output.

Every phase prints exactly one JSON line on stdout (``emit``) so the orchestrator can
parse results without caring which phase produced them; diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import resource
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from benchmarks.benchapp.models import Item

# Chosen so that Django's JSON serialization of one Item is about 1 KB.
BODY_CHARS = 940
_LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. "


def postgres(name: str) -> dict[str, Any]:
    """Django's settings of the database ``name`` on the benchmarks' PostgreSQL server
    (``BENCH_OUTBOX_HOST``, ``BENCH_OUTBOX_PORT``, ``BENCH_OUTBOX_USER``)."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "HOST": os.environ.get("BENCH_OUTBOX_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_OUTBOX_PORT", "5432"),
        "USER": os.environ.get("BENCH_OUTBOX_USER", "postgres"),
    }


def ensure_database(name: str) -> dict[str, Any]:
    """Create the PostgreSQL database ``name`` if it is missing; its Django settings."""
    import psycopg

    db = postgres(name)
    server = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": "postgres"}
    with psycopg.connect(**server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return db


def setup_django() -> None:
    """Configure Django and create the tables (file DB, so every thread sees them)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bench_settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)


def setup_otel() -> None:
    """Configure the OpenTelemetry SDK as an application would: a ``BatchSpanProcessor``
    (spans exported from its own thread, here to an exporter that discards them) and a
    meter provider. Called before Django is set up, like ``opentelemetry-instrument``.
    """
    from collections.abc import Sequence

    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def request_span() -> Any:
    """A current span standing for the web request that saves the models (or a no-op)."""
    from opentelemetry import trace

    return trace.get_tracer("benchmarks").start_as_current_span("request")


def make_item(i: int) -> Item:
    """An unsaved Item with a primary key: enough for ``post_save`` receivers to serialize."""
    from benchmarks.benchapp.models import Item

    body = (_LOREM * (BODY_CHARS // len(_LOREM) + 1))[:BODY_CHARS]
    return Item(pk=i, name=f"item-{i}", body=body)


def serialized_size(item: Item) -> int:
    from django.core.serializers import serialize

    return len(serialize("json", [item]).encode())


def webhook_body(item: Item) -> bytes:
    """The HTTP body signalhooks sends, built once, for the raw-client ceilings."""
    from django.core.serializers import serialize

    instance = serialize("json", [item], ensure_ascii=False)[1:-1].encode()
    meta = item._meta
    return json.dumps(
        {
            "Event": f"{meta.app_label}.{meta.model_name}:created",
            "InstanceId": str(item.pk),
            "Instance": base64.b64encode(instance).decode(),
        }
    ).encode()


def cpu_seconds() -> float:
    """User + system CPU of this whole process (all threads, including delivery threads).

    ``getrusage`` rather than ``os.times``: microsecond resolution instead of clock ticks.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> tuple[float, float]:
    """Current and peak resident set size in MB, from /proc (Linux)."""
    fields: dict[str, float] = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def sink_call(url: str, path: str) -> bytes:
    """One control request on a fresh connection, so it never queues behind deliveries."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().read()
    finally:
        conn.close()


def sink_stats(url: str, reset: bool = False) -> dict[str, float]:
    stats: dict[str, float] = json.loads(sink_call(url, "/__reset" if reset else "/__stats"))
    return stats


def wait_for_count(url: str, expected: int, timeout: float, interval: float = 0.005) -> int:
    """Poll the sink until it has counted ``expected`` requests (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = int(sink_call(url, "/__count"))
        if count >= expected:
            break
        time.sleep(interval)
    return count


def base_parser(description: str | None, modes: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=modes, required=True)
    parser.add_argument("--sink-url", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument(
        "--otel", action="store_true", help="with the OpenTelemetry SDK configured (traced)"
    )
    return parser


def emit(result: dict[str, Any]) -> None:
    """Print the phase's single JSON result line and flush (the parent reads stdout)."""
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


def library_stats() -> dict[str, Any]:
    import signalhooks

    return dict(signalhooks.stats())
