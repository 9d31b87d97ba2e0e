"""Waiting on a condition that nothing can notify (database state, another process)."""

from __future__ import annotations

import time
from collections.abc import Callable

#: How often a condition is tried again: short against the waits it ends, long enough
#: that the polling costs nothing next to what it waits for.
INTERVAL = 0.05


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Return once ``predicate()`` is true; ``AssertionError`` naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(INTERVAL)
