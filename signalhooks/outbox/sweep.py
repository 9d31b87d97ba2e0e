"""``signalhooks_worker --sweep``: Django Tasks mode's safety net.

In tasks mode every committed row is enqueued as a task, and the row says when it is
overdue: when no task claimed it within ``DURABLE_LEASE`` seconds (its process died
between commit and enqueue, the broker was down or lost the task, a worker was killed
mid-task), or when a failed attempt's next time came on a backend that cannot defer.
The sweep finds such rows (``FOR UPDATE SKIP LOCKED``, so sweeps and workers may run
side by side) and enqueues them again, pushing each one's overdue time a lease further
so that a task lost again is found again. A plain ``signalhooks_worker`` instead
delivers overdue rows itself.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.db import connections

from .. import conf
from .enqueue import enqueue
from .store import hand_out_overdue

__all__ = ["Sweeper"]

logger = logging.getLogger("signalhooks")


class Sweeper:
    """Enqueues overdue rows of database ``using`` every ``poll`` seconds until stopped."""

    def __init__(self, *, using: str = "default", batch: int = 1000, poll: float = 1.0) -> None:
        self.using = using
        self.batch = batch
        self.poll = poll
        self.stats = {"swept": 0, "enqueued": 0}
        self._stop = threading.Event()

    def sweep_once(self) -> int:
        """Enqueue every row overdue now; how many were found."""
        hold = conf.settings().durable_lease
        found = 0
        while items := hand_out_overdue(self.using, self.batch, hold):
            found += len(items)
            self.stats["swept"] += len(items)
            self.stats["enqueued"] += enqueue(self.using, items)
            if len(items) < self.batch:
                break
        if found:
            logger.info("signalhooks sweep: %d overdue rows enqueued again", found)
        return found

    def run(self, once: bool = False) -> dict[str, int]:
        handled = self._install_signal_handlers()
        try:
            while not self._stop.is_set():
                try:
                    self.sweep_once()
                except Exception as exc:  # database down: keep the process, try again later
                    logger.error("signalhooks sweep failed: %s", exc)
                    connections[self.using].close()
                if once:
                    break
                self._stop.wait(self.poll)
        finally:
            for sig, previous in handled:
                signal.signal(sig, previous)
            connections.close_all()
        return self.stats

    def stop(self, *args: object) -> None:
        self._stop.set()

    def _install_signal_handlers(self) -> list[tuple[int, Any]]:
        if threading.current_thread() is not threading.main_thread():
            return []
        handled: list[tuple[int, Any]] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            handled.append((sig, signal.signal(sig, self.stop)))
        return handled
