"""Waking as many ``signalhooks_worker`` processes as a commit's rows need, not all of them.

PostgreSQL delivers a ``NOTIFY`` to every session listening on its channel, so a web
process cannot choose which worker hears it. It says how many rows its transaction
committed instead, with a random draw (``NOTIFY signalhooks_outbox, '<rows>:<draw>'``,
one statement per transaction), and each worker decides whether the notification is
its to claim:

* every listening worker holds a session advisory lock ``(LOCK_CLASS, <backend pid of
  its listening connection>)`` on that connection; PostgreSQL releases it with the
  connection, so the granted locks in ``pg_locks`` are exactly the listening workers;
* each worker reads them at most every :data:`REFRESH` seconds (on its database
  thread, before a claim) and knows its rank among them;
* ``ceil(rows / batch)`` workers claim a notification of ``rows`` rows (at least one,
  at most all; ``batch`` is the worker's ``--batch``): the ranks that follow the draw,
  round the circle. Commits draw anew, so small commits spread over the workers.

The other workers wake for a moment, read the payload and go back to waiting: no
query, no claim. A worker whose view is out of date (a worker started or stopped
within the last second) may claim when it need not, or a notification may be claimed
by nobody; its rows then wait for the next claim of any worker (the next
notification, or a poll: ``--poll``). A notification without a row count (sent by an
older release) is claimed by every worker.

A worker also wakes itself when rows that a rate limit deferred come due again
(:class:`Alarm`): they are spread one interval apart, and a poll would find them in
bunches that the limit would defer again.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
from collections.abc import Callable, Sequence

from django.db import connections

__all__ = [
    "ALARMS_MAX",
    "CHANNEL",
    "LOCK_CLASS",
    "NOTIFY",
    "REFRESH",
    "Alarm",
    "WakeGate",
    "listen_statements",
    "listening_workers",
    "notification",
    "notify",
]

logger = logging.getLogger("signalhooks")

#: The PostgreSQL channel that wakes ``signalhooks_worker`` when rows are committed.
CHANNEL = "signalhooks_outbox"
#: The first key of the workers' advisory locks ("SHK1"); the second is a backend pid.
LOCK_CLASS = 0x53484B31
#: Seconds a worker trusts its view of the listening workers.
REFRESH = 1.0


#: The statement that notifies, with the parameters of :func:`notification`.
NOTIFY = "SELECT pg_notify(%s, %s)"


def notification(rows: int) -> tuple[str, str]:
    """The channel and payload telling the workers that ``rows`` rows are due."""
    return CHANNEL, f"{max(int(rows), 1)}:{random.getrandbits(30)}"


def notify(using: str, rows: int) -> None:
    """Tell the workers listening on database ``using`` that ``rows`` rows are due.

    Inside a transaction the notification is delivered at its commit, and not at all
    after a rollback; elsewhere at once. Other databases have no NOTIFY: their workers
    poll.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(NOTIFY, list(notification(rows)))


def listen_statements() -> list[str]:
    """What a worker's listening connection runs: listen, and take its advisory lock."""
    return [f"LISTEN {CHANNEL}", f"SELECT pg_advisory_lock({LOCK_CLASS}, pg_backend_pid())"]


def listening_workers(using: str) -> list[int]:
    """The backend pids of the listening workers of database ``using`` (PostgreSQL)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [LOCK_CLASS],
        )
        return sorted(int(row[0]) for row in cursor.fetchall())


class WakeGate:
    """One worker's share of the notifications; see the module docstring.

    :meth:`joined` is called from the worker's loop, :meth:`refresh` from its database
    thread; :meth:`claims` reads one consistent ``(rank, size)`` pair.
    """

    def __init__(self, batch: int) -> None:
        self.batch = max(int(batch), 1)
        self.key: int | None = None  # our listening connection's backend pid
        self.view: tuple[int, int] | None = None  # (our rank, listening workers)
        self._checked = 0.0

    def joined(self, key: int) -> None:
        """We listen (again) on a connection whose backend pid is ``key``."""
        self.key = key
        self.view = None
        self._checked = 0.0

    def stale(self) -> bool:
        return self.key is not None and time.monotonic() >= self._checked + REFRESH

    def refresh(self, keys: Sequence[int]) -> None:
        """The listening workers are ``keys`` (sorted)."""
        self._checked = time.monotonic()
        view = (keys.index(self.key), len(keys)) if self.key in keys else None
        if view != self.view and view is not None:
            logger.info(
                "signalhooks worker: %d workers listen for commits; this one is number %d",
                view[1],
                view[0] + 1,
            )
        self.view = view

    def claims(self, payload: str) -> bool:
        """Whether the notification with ``payload`` is this worker's to claim."""
        view = self.view
        rows, _, draw = payload.partition(":")
        if view is None or not (rows.isdigit() and draw.isdigit()):
            return True
        rank, size = view
        share = min(size, max(1, -(-int(rows) // self.batch)))
        return (rank - int(draw)) % size < share


#: Most due times an :class:`Alarm` keeps (the poll finds rows beyond them).
ALARMS_MAX = 10_000


class Alarm:
    """Calls ``ring()`` on ``loop`` at each time added (epoch seconds), one timer at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ring: Callable[[], None]) -> None:
        self._loop = loop
        self._ring = ring
        self._times: list[float] = []  # a heap
        self._timer: asyncio.TimerHandle | None = None

    def add(self, times: Sequence[float]) -> None:
        if not times:
            return
        for when in times[:ALARMS_MAX]:
            heapq.heappush(self._times, when)
        del self._times[ALARMS_MAX:]  # a heap's prefix is still a heap
        self._arm()

    def _arm(self) -> None:
        now = time.time()
        due = False
        while self._times and self._times[0] <= now:
            heapq.heappop(self._times)
            due = True
        if due:
            self._loop.call_soon(self._ring)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._times:
            self._timer = self._loop.call_later(self._times[0] - now, self._rang)

    def _rang(self) -> None:
        self._timer = None
        self._arm()
