"""Outcome reporting: counters, one log line per final outcome, outcome signals.

The engine's lanes call :func:`report` on the delivery loop. Logging is cheap when
disabled; Django signals are handed to a separate thread only when somebody
listens, because user receivers may block or use the ORM (which Django forbids
on a thread that runs an event loop).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from typing import Any

from ..signals import delivery_failed, delivery_succeeded
from ..telemetry import metrics
from .results import DeliveryResult

__all__ = ["Counters", "counters", "report", "report_rejected"]

logger = logging.getLogger("signalhooks")
#: What metrics count endpoint deliveries without a hook (test events) under.
ENDPOINTS = "endpoints"


class Counters:
    """Process-wide delivery counters, safe to bump from any thread.

    ``itertools.count`` increments atomically under the GIL without a lock, which
    keeps the caller's path cheap.
    """

    def __init__(self) -> None:
        self._accepted = itertools.count()
        self._finished = itertools.count()
        self._delivered = itertools.count()
        self._failed = itertools.count()
        self._dropped = itertools.count()
        self._retried = itertools.count()
        self.accepted = self.finished = self.delivered = 0
        self.failed = self.dropped = self.retried = 0

    def accept(self) -> int:
        self.accepted = next(self._accepted) + 1
        return self.accepted

    def finish(self, ok: bool) -> None:
        self.finished = next(self._finished) + 1
        if ok:
            self.delivered = next(self._delivered) + 1
        else:
            self.failed = next(self._failed) + 1

    def drop(self) -> int:
        self.dropped = next(self._dropped) + 1
        return self.dropped

    def retry(self) -> None:
        self.retried = next(self._retried) + 1

    def hand_off(self) -> None:
        """A durable delivery failed in process and was left to the outbox worker.

        It is finished for this process (``flush`` stops waiting) but neither
        delivered nor failed: the worker reports its final outcome.
        """
        self.finished = next(self._finished) + 1
        self.retried = next(self._retried) + 1

    @property
    def pending(self) -> int:
        return max(self.accepted - self.finished, 0)

    def snapshot(self) -> dict[str, int]:
        return {
            "accepted": self.accepted,
            "delivered": self.delivered,
            "failed": self.failed,
            "dropped": self.dropped,
            "retried": self.retried,
            "pending": self.pending,
        }


counters = Counters()
metrics.set_counter_source(counters.snapshot)

_outbox: queue.SimpleQueue[tuple[DeliveryResult, Any] | None] = queue.SimpleQueue()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def _run_outcome_thread() -> None:
    while (item := _outbox.get()) is not None:
        result, hook = item
        signal = delivery_succeeded if result.ok else delivery_failed
        for receiver, response in signal.send_robust(sender=type(hook), result=result, hook=hook):
            if isinstance(response, Exception):
                logger.error("delivery outcome receiver %r raised %r", receiver, response)


def _emit(result: DeliveryResult, hook: Any) -> None:
    signal = delivery_succeeded if result.ok else delivery_failed
    if not signal.has_listeners():
        return
    global _thread
    if _thread is None or not _thread.is_alive():
        with _thread_lock:
            if _thread is None or not _thread.is_alive():
                thread = threading.Thread(
                    target=_run_outcome_thread, name="signalhooks-outcomes", daemon=True
                )
                try:
                    thread.start()
                except RuntimeError:  # interpreter shutdown (Python 3.12+): logged only
                    logger.debug("signalhooks: no outcome signal at interpreter shutdown")
                    return
                _thread = thread
    _outbox.put((result, hook))


def report(result: DeliveryResult, hook: Any, *, log: bool = True) -> None:
    """Count, log and signal one final outcome (called once per event and target)."""
    # Measured before it is counted as finished: flush() returns with the metrics written.
    metrics.record_outcome(
        _counted_as(result, hook), result.ok, result.duration, result.endpoint_id
    )
    counters.finish(result.ok)
    if not log:
        pass
    elif result.ok:
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "delivered %s %s to %s status=%s attempts=%d latency=%.1fms",
                result.event,
                result.event_id,
                result.target,
                result.status,
                result.attempts,
                result.duration * 1000,
                extra={"signalhooks": _as_extra(result)},
            )
    else:
        logger.warning(
            "failed %s %s to %s status=%s attempts=%d latency=%.1fms error=%s",
            result.event,
            result.event_id,
            result.target,
            result.status,
            result.attempts,
            result.duration * 1000,
            result.error,
            extra={"signalhooks": _as_extra(result)},
        )
    _emit(result, hook)


def _counted_as(result: DeliveryResult, hook: Any) -> str:
    """The target name metrics count ``result`` under: an endpoint's delivery under its
    hook's (an ``EndpointsHook``'s "endpoints"), so that metrics carry no URL per endpoint."""
    if result.endpoint_id is None:
        return result.target
    return str(getattr(getattr(hook, "target", None), "name", ENDPOINTS))


def report_rejected(result: DeliveryResult, hook: Any) -> None:
    """An event that never reached the queue (unserializable, oversize, queue full)."""
    counters.accept()
    report(result, hook)


def _as_extra(result: DeliveryResult) -> dict[str, Any]:
    return {
        "event": result.event,
        "event_id": result.event_id,
        "target": result.target,
        "ok": result.ok,
        "status": result.status,
        "error": result.error,
        "attempts": result.attempts,
        "duration": result.duration,
    }


def reset_after_fork() -> None:
    """The child starts with fresh counters and no outcome thread."""
    global _thread, _outbox
    _thread = None
    _outbox = queue.SimpleQueue()
    counters.__init__()  # type: ignore[misc]  # in place: other modules hold a reference
