"""The token bucket of rate-limited lanes: arithmetic on a clock the test passes."""

from __future__ import annotations

import pytest

from signalhooks.engine.bucket import TokenBucket


def test_starts_full_then_refills_at_the_rate():
    bucket = TokenBucket(4)
    for _ in range(4):  # a burst of one second's worth
        assert bucket.wait(10.0) == 0
        bucket.take(10.0)
    assert bucket.wait(10.0) == pytest.approx(0.25)
    assert bucket.wait(10.1) == pytest.approx(0.15)
    assert bucket.wait(10.25) == 0
    bucket.take(10.25)
    assert bucket.wait(100.0) == 0 and bucket.tokens <= 4  # never more than the capacity


def test_slow_rates_keep_a_burst_of_one():
    bucket = TokenBucket(0.5)
    assert bucket.capacity == 1 and bucket.wait(0.0) == 0
    bucket.take(0.0)
    assert bucket.wait(0.0) == pytest.approx(2.0)


def test_a_batch_takes_one_token_per_delivery():
    bucket = TokenBucket(10)
    bucket.take(0.0, 10)
    assert bucket.wait(0.0) == pytest.approx(0.1)


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        TokenBucket(0)
