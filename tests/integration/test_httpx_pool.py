"""``HTTP_TRANSPORT = "httpx"``, on each of its paths: connections pooled up to
``MAX_IN_FLIGHT``, kept alive and reused per origin (one-connection clients, httpx's
interface on aiohttp's pool)."""

from __future__ import annotations

import pytest
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import fresh_engine
from tests.httpx_support import PATH_NAMES, use_path

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("path", PATH_NAMES),
]


def test_concurrent_deliveries_use_up_to_max_in_flight_connections(
    http, connect, monkeypatch, path
):
    use_path(monkeypatch, path)
    http.behave("/pool", delay=0.2)
    signal = Signal()
    with fresh_engine(HTTP_TRANSPORT="httpx", MAX_IN_FLIGHT=8):
        connect(signal, HTTPSignalHook(http.url("/pool"), max_in_flight=8))
        for n in range(16):
            signal.send(sender=None, n=n)
        assert signalhooks.flush(10)
        burst = http.requests("/pool")
        assert len(burst) == 16
        assert http.peak_in_flight("/pool") == 8
        ports = {r.client_port for r in burst}
        assert len(ports) == 8  # eight connections (one per client when sharded), reused
        signal.send(sender=None, n=16)
        assert signalhooks.flush(10)
        assert http.requests("/pool")[-1].client_port in ports  # kept alive, reused


def test_each_origin_keeps_its_connection(http, connect, monkeypatch, path):
    # Two origins served by one server. One-connection clients that went to whichever
    # origin came next would reconnect on every switch; the pool hands each request to
    # a client already connected to its origin.
    use_path(monkeypatch, path)
    signal_a, signal_b = Signal(), Signal()
    with fresh_engine(HTTP_TRANSPORT="httpx"):
        connect(signal_a, HTTPSignalHook(http.url("/a")))
        connect(signal_b, HTTPSignalHook(http.localhost_url("/b")))
        for n in range(6):
            (signal_a if n % 2 else signal_b).send(sender=None, n=n)
            assert signalhooks.flush(10)
    a_ports = {r.client_port for r in http.requests("/a")}
    b_ports = {r.client_port for r in http.requests("/b")}
    assert len(http.requests("/a")) == len(http.requests("/b")) == 3
    assert len(a_ports) == len(b_ports) == 1 and a_ports != b_ports
