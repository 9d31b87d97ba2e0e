"""OpenTelemetry's on/off decision, and what tracing leaves out of spans (no network here).

The session has an SDK configured (``tests.otel_support``); processes without one, or
without OpenTelemetry at all, run as subprocesses.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from django.test import override_settings

from signalhooks.telemetry import state, tracing
from tests.support.processes import ROOT


def run_python(code: str) -> str:
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_without_an_sdk_nothing_is_captured_until_one_is_configured():
    out = run_python(
        """
        import time
        import django

        django.setup()
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from signalhooks.snapshot.dispatch import Dispatch
        from signalhooks.telemetry import state

        state.RECHECK = 0.05
        with trace.get_tracer("app").start_as_current_span("request"):
            assert Dispatch(None, None, {}).trace is None
        assert not state.tracing_on() and not state.metrics_on()
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        assert not state.tracing_on()  # the "no provider" answer holds for RECHECK
        deadline = time.monotonic() + 10
        while not state.tracing_on():
            assert time.monotonic() < deadline, "the provider was never noticed"
        with provider.get_tracer("app").start_as_current_span("request") as span:
            captured = Dispatch(None, None, {}).trace
        assert captured.trace_id == span.get_span_context().trace_id
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_without_opentelemetry_installed_everything_still_works():
    out = run_python(
        """
        import sys

        sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
        import django

        django.setup()
        from signalhooks.outbox.codec import decode, encode
        from signalhooks.snapshot.dispatch import Dispatch
        from signalhooks.snapshot.events import Event
        from signalhooks.telemetry import state, tracing

        assert state.otel_trace is None and not state.tracing_on()
        assert Dispatch(None, None, {}).trace is None
        row = encode(Event("x"), None).replace('"request":null', '"request":null,"trace":'
            '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}')
        assert decode(row)[0].trace is None  # a traced row is still delivered
        assert tracing.to_carrier(None) is None
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_the_setting_switches_tracing_off_and_back():
    assert state.tracing_on()  # the session's SDK
    with override_settings(SIGNALHOOKS={"OPENTELEMETRY": False}):
        assert not state.tracing_on() and not state.metrics_on()
        assert tracing.capture() is None
    assert state.tracing_on() and state.metrics_on()


@pytest.mark.parametrize(
    ("url", "full"),
    [
        ("https://hooks.example.com/in", "https://hooks.example.com/in"),
        ("https://u:p@hooks.example.com:8443/in?k=v#f", "https://REDACTED:REDACTED@hooks.example.com:8443/in?k=REDACTED"),
        ("http://[::1]:8080/h?a=1&a=2&b", "http://[::1]:8080/h?a=REDACTED&a=REDACTED&b=REDACTED"),
    ],
)  # fmt: skip
def test_url_attributes_keep_names_and_drop_secrets(url, full):
    attributes = dict(tracing._url_attributes(url))
    assert attributes["url.full"] == full
    assert attributes["server.port"] == (8443 if ":8443" in url else 8080 if "8080" in url else 443)


def test_error_types_are_short_and_stable():
    from signalhooks.exceptions import TransportError

    try:
        try:
            raise ConnectionResetError("reset")
        except OSError as exc:
            raise TransportError("ConnectionResetError: reset") from exc
    except TransportError as exc:
        assert tracing.error_type(exc) == "builtins.ConnectionResetError"
    assert tracing.error_type(TransportError("timed out after 5s")) == "timeout"
    assert tracing.error_type(TimeoutError()) == "timeout"
