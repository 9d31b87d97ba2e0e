"""Issue 2, point 8: retries with backoff, Retry-After, and one event id for every attempt."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_save
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import outcomes, unique_path
from tests.testapp.models import Pizza


@pytest.mark.django_db(transaction=True)
def test_503_503_200_is_delivered_on_the_third_attempt_with_one_event_id(http, connect):
    path = unique_path("flaky")
    http.behave(path, statuses=[503, 503, 200])
    hook = connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    before = signalhooks.stats()
    with outcomes() as seen:
        Pizza.objects.create(name="flaky")
        [result] = seen.wait(hook)
    assert (result.ok, result.status, result.attempts) == (True, 200, 3)
    requests = http.requests(path)
    assert [r.status for r in requests] == [503, 503, 200]
    bodies = [r.json() for r in requests]
    assert bodies[0] == bodies[1] == bodies[2]  # same EventId, same Timestamp, same snapshot
    assert result.event_id == bodies[0]["EventId"]
    assert signalhooks.stats()["retried"] - before["retried"] == 2


@pytest.mark.django_db(transaction=True)
def test_429_retry_after_is_honoured(http, connect):
    # The suite's backoff is at most 0.05 s, so a gap >= 0.4 s can only be Retry-After.
    path = unique_path("429")
    http.behave(path, statuses=[(429, {"Retry-After": "0.4"}), 200])
    hook = connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    with outcomes() as seen:
        Pizza.objects.create(name="throttled")
        [result] = seen.wait(hook)
    first, second = http.requests(path)
    assert first.status == 429 and second.status == 200
    assert second.received_at - first.received_at >= 0.4
    assert (result.ok, result.attempts) == (True, 2)


def test_timeouts_are_retried_with_the_same_event_id(http, connect):
    path = unique_path("slow-retry")
    http.behave(path, delay=1.0)
    hook = HTTPSignalHook(request_url=http.url(path), event="slow", timeout=0.1, max_attempts=2)
    signal = Signal()
    connect(signal, hook)
    with outcomes() as seen:
        signal.send(sender=None)
        [result] = seen.wait(hook)
    assert (result.ok, result.attempts, result.error) == (False, 2, "timed out after 0.1s")
    first, second = http.requests(path)
    assert first.json()["EventId"] == second.json()["EventId"] == result.event_id
