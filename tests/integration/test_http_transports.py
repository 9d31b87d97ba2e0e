"""Issue 2, "HTTP client choice" and point 9: both transports deliver, fail and pool alike.

Each test runs three ways: the default (aiohttp), a user's own ``httpx.AsyncClient``
passed as ``http_client=``, and ``SIGNALHOOKS["HTTP_TRANSPORT"] = "httpx"``. httpx
announces ``Connection: keep-alive`` and aiohttp does not, which tells them apart
on the receiving side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import fresh_engine, outcomes, unique_path
from tests.support.ports import free_port

MODES = ["aiohttp-default", "httpx-client", "httpx-setting"]


@pytest.fixture(params=MODES)
def make_hook(request: pytest.FixtureRequest) -> Iterator[Callable[..., HTTPSignalHook]]:
    """``make_hook(url, **options)`` for the transport under test, plus its check."""
    mode = request.param
    with ExitStack() as stack:
        if mode == "httpx-setting":
            stack.enter_context(fresh_engine(HTTP_TRANSPORT="httpx"))

        def make(url: str, **options: Any) -> HTTPSignalHook:
            if mode == "httpx-client":
                options["http_client"] = httpx.AsyncClient(headers={"X-Client": "users-own"})
            return HTTPSignalHook(request_url=url, event="transport", **options)

        make.mode = mode  # type: ignore[attr-defined]
        yield make


def check_client(mode: str, headers: Any) -> None:
    httpx_sent = headers.get("Connection") == "keep-alive"
    assert httpx_sent == (mode != "aiohttp-default"), dict(headers)
    assert (headers.get("X-Client") == "users-own") == (mode == "httpx-client")
    assert headers["User-Agent"] == "signalhooks/1.0"


def test_delivers_body_headers_and_params(http, connect, make_hook):
    path = unique_path("deliver")
    hook = make_hook(http.url(path) + "?token=abc", headers={"X-Extra": "1"})
    signal = Signal()
    connect(signal, hook)
    with outcomes() as seen:
        signal.send(sender=None, n=1)
        [result] = seen.wait(hook)
    assert result.ok and result.status == 200 and result.response == "ok"
    assert "abc" not in result.target  # query strings often carry tokens: not in logs
    [request] = http.requests(path)
    assert request.json()["Data"] == {"n": 1}
    assert request.query == {"token": "abc"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Extra"] == "1"
    check_client(make_hook.mode, request.headers)


def test_connections_are_pooled_and_reused(http, connect, make_hook):
    path = unique_path("pool")
    hook = make_hook(http.url(path))
    signal = Signal()
    connect(signal, hook)
    for n in range(3):
        signal.send(sender=None, n=n)
        assert signalhooks.flush(5)
    ports = {r.client_port for r in http.requests(path)}
    assert len(ports) == 1, ports


def test_retries_5xx_and_fails_on_timeout_and_refusal(http, connect, make_hook):
    flaky, slow = unique_path("flaky"), unique_path("slow")
    http.behave(flaky, statuses=[502, 200])
    http.behave(slow, delay=1.0)
    hooks = {
        "flaky": make_hook(http.url(flaky)),
        "slow": make_hook(http.url(slow), timeout=0.1, max_attempts=1),
        "refused": make_hook(f"http://127.0.0.1:{free_port()}/", max_attempts=1),
    }
    signal = Signal()
    for hook in hooks.values():
        connect(signal, hook)
    with outcomes() as seen:
        signal.send(sender=None)
        results = {name: seen.wait(hook)[0] for name, hook in hooks.items()}
    assert (results["flaky"].ok, results["flaky"].attempts) == (True, 2)
    assert (results["slow"].ok, results["slow"].error) == (False, "timed out after 0.1s")
    assert not results["refused"].ok and results["refused"].status is None
    assert results["refused"].error
