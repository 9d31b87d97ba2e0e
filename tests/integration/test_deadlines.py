"""``timeout`` is a total deadline per attempt on every transport (issue 12, point 1).

The recording server answers with a valid response one byte every 0.2 s, so the whole
answer would take ~20 s; every transport must give up at the deadline.
"""

from __future__ import annotations

import time

import pytest
from django.dispatch import Signal

from signalhooks.hooks import HTTPSignalHook, SNSSignalHook
from tests.helpers import fresh_engine, outcomes
from tests.httpx_support import CLIENT_PACKAGES, PATH_NAMES, client_class, use_path

TIMEOUT = 0.5
#: Generous: the point is "about the deadline", against ~20 s without one.
BOUND = TIMEOUT + 2.5


@pytest.fixture
def trickle(http):
    """The recording server, trickling its answers (a body that makes ~100 bytes)."""
    for path in ("/trickle", "/"):
        http.behave(path, trickle=0.2, body=b"x" * 20)
    return http


def _deliver_once(hook, connect) -> tuple[object, float]:
    signal = Signal()
    connect(signal, hook)
    with outcomes() as seen:
        started = time.monotonic()
        signal.send(sender=None, n=1)
        [result] = seen.wait(hook, timeout=30)
    return result, time.monotonic() - started


TRANSPORTS = [
    "aiohttp",
    *(f"setting:{path}" for path in PATH_NAMES),
    *(f"{package}-client" for package in CLIENT_PACKAGES),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_http_attempt_ends_at_the_deadline_when_the_answer_trickles(
    trickle, connect, monkeypatch, transport
):
    options: dict[str, object] = {"timeout": TIMEOUT, "max_attempts": 1}
    if transport.endswith("-client"):
        options["http_client"] = client_class(transport.removesuffix("-client"))
    setting = "aiohttp"
    if transport.startswith("setting:"):
        use_path(monkeypatch, transport.removeprefix("setting:"))
        setting = "httpx"
    with fresh_engine(HTTP_TRANSPORT=setting):
        hook = HTTPSignalHook(request_url=trickle.url("/trickle"), **options)
        result, elapsed = _deliver_once(hook, connect)
    assert not result.ok
    assert result.error == f"timed out after {TIMEOUT:g}s"
    assert elapsed < BOUND, elapsed


def test_sns_attempt_ends_at_the_deadline_when_the_answer_trickles(trickle, connect):
    hook = SNSSignalHook(
        "arn:aws:sns:us-east-1:123456789012:trickle",
        "AKIDEXAMPLE",
        "secret",
        endpoint_url=trickle.url("/"),
        timeout=TIMEOUT,
        max_attempts=1,
    )
    result, elapsed = _deliver_once(hook, connect)
    assert not result.ok
    assert result.error == f"timed out after {TIMEOUT:g}s"
    assert elapsed < BOUND, elapsed
