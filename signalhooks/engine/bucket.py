"""A token bucket: at most ``rate`` sends per second, with a burst of one second's worth.

Pure arithmetic on a clock the caller passes (the delivery loop's ``loop.time()``);
the engine's lanes ask :meth:`TokenBucket.wait` before starting a send and park the
lane with ``call_later`` while it is empty, so a rate-limited lane waits without
holding a concurrency slot.
"""

from __future__ import annotations

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` tokens per second, up to ``capacity`` (default: ``max(rate, 1)``); starts full."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, not {rate!r}")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(self.rate, 1.0))
        self.tokens = self.capacity
        self.stamp: float | None = None

    def _refill(self, now: float) -> None:
        if self.stamp is not None and now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        if self.stamp is None or now > self.stamp:
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0: one is available now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float, count: int = 1) -> None:
        """Spend ``count`` tokens (the lane checked :meth:`wait` first)."""
        self._refill(now)
        self.tokens -= count
