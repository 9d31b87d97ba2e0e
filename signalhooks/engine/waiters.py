"""The waiter of ``async_receiver``: a result handed to a future of the caller's loop.

When one ``asend`` reaches many hooks, a ``concurrent.futures.Future`` per call (a
``threading.Condition`` and its locks) with ``asyncio.wrap_future`` is most of the
caller loop's own work, and a self-pipe write per result wakes the caller's loop once
per result. :class:`LoopWaiter` has no lock, and results for one loop travel in
batches, one wake-up per burst. What remains of the fan-out's cost is two event loops
sharing the GIL (see docs/performance.md). Cancelling the awaiting task leaves the
delivery running; its result is then dropped.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

from ..outcome.results import DeliveryResult

__all__ = ["LoopWaiter"]


class LoopWaiter:
    """Created on the awaiting loop; ``set_result`` may be called from any thread, once."""

    __slots__ = ("_loop", "future")

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.future: asyncio.Future[DeliveryResult] = self._loop.create_future()

    def set_result(self, result: DeliveryResult) -> None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:  # e.g. rejected before it reached the engine
            _settle(self.future, result)
            return
        with _lock:
            batch = _pending.setdefault(self._loop, [])
            first = not batch
            batch.append((self.future, result))
        if first:
            if running is not None:
                # From the engine's loop: wake the caller once this loop iteration
                # (often a burst of responses) has settled everything it can.
                running.call_soon(_wake, self._loop)
            else:
                _wake(self._loop)


def _wake(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.call_soon_threadsafe(_resolve, loop)
    except RuntimeError:  # that loop is closed: nobody is waiting any more
        with _lock:
            _pending.pop(loop, None)


_lock = threading.Lock()
_pending: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, list[tuple[asyncio.Future[DeliveryResult], Any]]
] = weakref.WeakKeyDictionary()


def _resolve(loop: asyncio.AbstractEventLoop) -> None:
    with _lock:
        batch = _pending.pop(loop, [])
    for future, result in batch:
        _settle(future, result)


def _settle(future: asyncio.Future[DeliveryResult], result: DeliveryResult) -> None:
    if not future.done():  # done: the awaiting task was cancelled
        future.set_result(result)
