"""Issue 2, points 3 and 9: save() never waits on the network; in-flight caps hold."""

from __future__ import annotations

import time

import pytest
from django.db.models.signals import post_save
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import fresh_engine, unique_path
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = 0.3  # seconds each slow target takes to answer


def test_save_returns_at_once_while_ten_slow_targets_run_concurrently(http, connect):
    path = unique_path("slow10")
    http.behave(path, delay=SLOW)
    hooks = [
        connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza) for _ in range(10)
    ]
    Pizza.objects.create(name="warm-up")  # engine start and first connections: not measured
    assert signalhooks.flush(5)
    http.reset()
    http.behave(path, delay=SLOW)

    started = time.perf_counter()
    Pizza.objects.create(name="measured")
    took = time.perf_counter() - started

    requests = http.wait_for(10, path, timeout=5)
    assert took < 0.1, f"save() took {took * 1000:.0f} ms with {len(hooks)} slow hooks"
    assert http.peak_in_flight(path) == 10
    # All ten arrived within one response time of each other: concurrent, not sequential.
    arrivals = [r.received_at for r in requests]
    assert max(arrivals) - min(arrivals) < SLOW
    assert signalhooks.flush(5)


def test_per_target_cap_limits_one_hook(http, connect):
    path = unique_path("cap")
    http.behave(path, delay=0.1)
    signal = Signal()
    connect(signal, HTTPSignalHook(request_url=http.url(path), event="capped", max_in_flight=2))
    for n in range(6):
        signal.send(sender=None, n=n)
    http.wait_for(6, path, timeout=5)
    assert signalhooks.flush(5)
    assert http.peak_in_flight(path) == 2


def test_global_cap_limits_all_hooks_together(http):
    path = unique_path("global")
    http.behave(path, delay=0.1)
    signal = Signal()
    hooks = [HTTPSignalHook(request_url=http.url(path), event="global") for _ in range(4)]
    with fresh_engine(MAX_IN_FLIGHT=3):
        for hook in hooks:
            signal.connect(hook, weak=False)
        try:
            for n in range(3):
                signal.send(sender=None, n=n)
            http.wait_for(12, path, timeout=5)
            assert signalhooks.flush(5)
        finally:
            for hook in hooks:
                signal.disconnect(hook)
    assert http.peak_in_flight(path) == 3
