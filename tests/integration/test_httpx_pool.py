"""``HTTP_TRANSPORT = "httpx"``: deliveries spread over a pool of one-connection clients."""

from __future__ import annotations

import pytest
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import fresh_engine

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_deliveries_use_up_to_max_in_flight_connections(http, connect):
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
        assert len(ports) == 8  # one connection per client, eight clients, each reused
        signal.send(sender=None, n=16)
        assert signalhooks.flush(10)
        assert http.requests("/pool")[-1].client_port in ports  # kept alive, reused


def test_each_origin_keeps_its_connection(http, connect):
    # Two origins served by one server. One-connection clients that went to whichever
    # origin came next would reconnect on every switch; the pool hands each request to
    # a client already connected to its origin.
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
