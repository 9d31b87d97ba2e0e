"""Shared fixtures: one real HTTP receiver and one moto server per session.

Servers are session-scoped because starting them costs far more than a test; per-test
isolation comes from ``RecordingServer.reset()`` (``http``) and from fresh, uniquely
named topics/queues (``sns_queue``). No fixture here imports ``signalhooks``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.aws import MakeSnsQueue, TopicQueue, aws_test_env, make_topic_with_queue, moto_server
from tests.otel_support import OtelSDK, TracingReceiver, install
from tests.support.recording import RecordingServer


@pytest.fixture(scope="session", autouse=True)
def otel_sdk() -> OtelSDK:
    """The OpenTelemetry SDK, configured for the whole session (see tests.otel_support)."""
    return install()


@pytest.fixture
def otel(otel_sdk: OtelSDK) -> OtelSDK:
    """The session's SDK with no spans recorded yet."""
    otel_sdk.clear()
    return otel_sdk


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[TracingReceiver]:
    with TracingReceiver() as server:
        yield server


@pytest.fixture
def receiver(receiver_server: TracingReceiver) -> TracingReceiver:
    """A receiving service that extracts the trace context and continues the trace."""
    receiver_server.reset()
    return receiver_server


@pytest.fixture(scope="session")
def http_server() -> Iterator[RecordingServer]:
    """The session's recording HTTP server; tests should use ``http`` instead."""
    with RecordingServer() as server:
        yield server


@pytest.fixture
def http(http_server: RecordingServer) -> RecordingServer:
    """The session server, reset: no records, default behaviour, peaks = current in-flight."""
    http_server.reset()
    return http_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Endpoint URL of a session moto server, with fake AWS credentials in the environment.

    werkzeug's per-request access log is silenced (errors still show) so failure reports
    are not buried under hundreds of ``POST / 200`` lines.
    """
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    try:
        with aws_test_env(), moto_server() as endpoint:
            yield endpoint
    finally:
        werkzeug_log.setLevel(level)


@pytest.fixture
def make_sns_queue(moto_endpoint: str, request: pytest.FixtureRequest) -> MakeSnsQueue:
    """Factory for fresh topic+queue pairs: ``make_sns_queue(fifo=True, raw=False, ...)``.

    Names carry the test name (for debugging) plus a random suffix (for isolation, since
    moto state lives for the whole session).
    """
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", request.node.name)[:40]

    def make(*, fifo: bool = False, raw: bool = False, content_dedup: bool = False) -> TopicQueue:
        name = f"{stem}-{uuid.uuid4().hex[:8]}"
        return make_topic_with_queue(
            moto_endpoint, name, fifo=fifo, raw=raw, content_dedup=content_dedup
        )

    return make


@pytest.fixture
def sns_queue(make_sns_queue: MakeSnsQueue) -> TopicQueue:
    """A fresh standard SNS topic with a non-raw SQS queue subscribed."""
    return make_sns_queue()


# --- signalhooks engine fixtures (lead) ---

Connected = list[tuple[object, object, object]]


@pytest.fixture
def connect() -> Iterator[Any]:
    """``connect(signal, receiver, sender=None)``, disconnected again after the test.

    After the test the engine is flushed so that no delivery of this test lands in
    the next test's records.
    """
    import signalhooks

    connected: Connected = []

    def _connect(signal: Any, receiver: Any, sender: Any = None) -> Any:
        signal.connect(receiver, sender=sender, weak=False)
        connected.append((signal, receiver, sender))
        return receiver

    yield _connect
    for signal, receiver, sender in connected:
        signal.disconnect(receiver, sender=sender)  # type: ignore[attr-defined]
    signalhooks.flush(timeout=10)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (``SIGNALHOOKS_FORBID_SKIPS=1``) a skipped test fails the run."""
    import os

    if not os.environ.get("SIGNALHOOKS_FORBID_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        print(f"\nSIGNALHOOKS_FORBID_SKIPS: {skipped} test(s) skipped; CI requires all to run")
        session.exitstatus = 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres`` tests need the real server; say how to enable them."""
    import os

    if os.environ.get("SIGNALHOOKS_TEST_POSTGRES") == "1":
        return
    skip = pytest.mark.skip(
        reason="PostgreSQL tests: set SIGNALHOOKS_TEST_POSTGRES=1 and run PostgreSQL on "
        "127.0.0.1:5432 (user postgres, trust auth)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
