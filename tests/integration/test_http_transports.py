"""Issue 2, "HTTP client choice" and point 9: every transport delivers, fails and pools alike.

Each test runs with the default (aiohttp), a user's own ``httpx.AsyncClient`` and
``httpx2.AsyncClient`` passed as ``http_client=``, and ``SIGNALHOOKS["HTTP_TRANSPORT"] =
"httpx"`` on each of its paths (``tests.httpx_support``). httpx and httpx2 announce
``Connection: keep-alive`` and aiohttp does not, which tells them apart on the receiving
side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import fresh_engine, outcomes, unique_path
from tests.httpx_support import CLIENT_PACKAGES, PATH_NAMES, client_class, use_path
from tests.support.ports import free_port

MODES = [
    "aiohttp-default",
    *(f"{package}-client" for package in CLIENT_PACKAGES),
    *(f"setting:{path}" for path in PATH_NAMES),
]


@pytest.fixture(params=MODES)
def make_hook(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., HTTPSignalHook]]:
    """``make_hook(url, **options)`` for the transport under test, plus its check."""
    mode = request.param
    with ExitStack() as stack:
        if mode.startswith("setting:"):
            use_path(monkeypatch, mode.removeprefix("setting:"))
            stack.enter_context(fresh_engine(HTTP_TRANSPORT="httpx"))

        def make(url: str, **options: Any) -> HTTPSignalHook:
            if mode.endswith("-client"):
                client = client_class(mode.removesuffix("-client"))
                options["http_client"] = client(headers={"X-Client": "users-own"})
            return HTTPSignalHook(request_url=url, event="transport", **options)

        make.mode = mode  # type: ignore[attr-defined]
        yield make


def check_client(mode: str, headers: Any) -> None:
    httpx_sent = headers.get("Connection") == "keep-alive"
    assert httpx_sent == (mode != "aiohttp-default"), dict(headers)
    assert (headers.get("X-Client") == "users-own") == mode.endswith("-client")
    assert headers["User-Agent"] == "signalhooks/1.0"


def test_delivers_body_headers_and_params(http, connect, make_hook):
    path = unique_path("deliver")
    hook = make_hook(http.url(path) + "?token=not-in-logs", headers={"X-Extra": "1"})
    signal = Signal()
    connect(signal, hook)
    with outcomes() as seen:
        signal.send(sender=None, n=1)
        [result] = seen.wait(hook)
    assert result.ok and result.status == 200 and result.response == "ok"
    # Query strings often carry tokens: they stay out of logs.
    assert "not-in-logs" not in result.target and "?" not in result.target
    [request] = http.requests(path)
    assert request.json()["Data"] == {"n": 1}
    assert request.query == {"token": "not-in-logs"}
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
    # httpx-aiohttp maps a refused connection to ConnectTimeout: it must not read as one.
    assert "timed out" not in results["refused"].error, results["refused"].error
