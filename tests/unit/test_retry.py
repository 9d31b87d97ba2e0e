"""When the next attempt happens: in-process backoff, the durable schedule, retryable answers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from signalhooks.engine.retry import RetryPolicy, decide
from signalhooks.outcome.results import Attempt
from signalhooks.targets.http import is_retryable_status, parse_retry_after
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("made", "attempt", "status", "error"),
    [
        (1, Attempt(ok=True, status=200), "delivered", ""),
        (1, Attempt(ok=False, status=404, error="HTTP 404"), "dead", "HTTP 404 (not retryable)"),
        (3, Attempt(False, True, 503, "HTTP 503"), "dead", "HTTP 503 (gave up after 3 attempts)"),
        (1, Attempt(False, True, None, "refused"), "pending", "refused"),
    ],
)
def test_decide(settings, made, attempt, status, error):
    settings.SIGNALHOOKS = {"DURABLE_RETRY_SCHEDULE": [0, 10, 100]}
    decision = decide(made, attempt, NOW)
    assert (decision.status, decision.error) == (status, error)
    if status == "pending":
        assert decision.next_attempt_at is not None
        assert 9 <= (decision.next_attempt_at - NOW).total_seconds() <= 11  # 10 s +-10%


def test_decide_waits_at_least_retry_after_capped_by_retry_after_max(settings):
    settings.SIGNALHOOKS = {"DURABLE_RETRY_SCHEDULE": [0, 1, 1], "RETRY_AFTER_MAX": 60}
    for retry_after, expected in ((30, 30), (3600, 60), (0, 1)):
        decision = decide(1, Attempt(False, True, 429, retry_after=retry_after), NOW)
        assert decision.next_attempt_at is not None
        wait = (decision.next_attempt_at - NOW).total_seconds()
        assert expected * 0.9 <= wait <= expected * 1.1


@pytest.mark.parametrize(
    ("most", "made", "status"),
    [
        (2, 1, "pending"),
        (2, 2, "dead"),
        (1, 1, "dead"),
        (None, 2, "pending"),  # None, or more than the schedule has: the whole schedule
        (None, 3, "dead"),
        (10, 2, "pending"),
        (10, 3, "dead"),
    ],
)
def test_decide_keeps_the_first_max_attempts_steps_of_the_schedule(settings, most, made, status):
    settings.SIGNALHOOKS = {"DURABLE_RETRY_SCHEDULE": [0, 10, 100]}
    decision = decide(made, Attempt(False, True, 503, "HTTP 503"), NOW, most)
    assert decision.status == status
    if status == "dead":
        assert decision.error == f"HTTP 503 (gave up after {made} attempts)"


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retryable(status):
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 409, 410, 422])
def test_other_statuses_are_final(status):
    assert not is_retryable_status(status)


def test_backoff_is_exponential_with_full_jitter_and_bounded():
    policy = RetryPolicy(max_attempts=4, backoff=0.5, backoff_max=1.5, retry_after_max=10.0)
    for attempts_made, ceiling in ((1, 0.5), (2, 1.0), (3, 1.5)):
        delays = [policy.delay(attempts_made) for _ in range(200)]
        assert all(d is not None and 0 <= d <= ceiling for d in delays)
        assert max(d for d in delays if d is not None) > ceiling / 2  # jitter spans the range
    assert policy.delay(4) is None  # attempts exhausted
    assert policy.delay(1, retry_after=3.0) == 3.0
    assert policy.delay(1, retry_after=99.0) == 10.0  # capped by RETRY_AFTER_MAX


def test_retry_after_parses_seconds_and_http_dates():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    in_ten = parse_retry_after(formatdate(time.time() + 10, usegmt=True))
    assert in_ten is not None and 8 <= in_ten <= 10
    assert parse_retry_after(formatdate(time.time() - 60, usegmt=True)) == 0.0
