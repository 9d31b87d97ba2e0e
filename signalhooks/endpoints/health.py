"""Endpoint health: 410 Gone disables at once; failing for ``ENDPOINT_DISABLE_AFTER`` disables.

Every attempt to an endpoint is noted by its target on the delivery loop
(:meth:`EndpointState.note`), in memory: nothing is written while an endpoint stays
healthy, or stays failing without reaching the limit. Changes (first failure after a
success, first success after failures, 410, the limit reached) are written by one
background thread, at most once a second per endpoint, never on the loop (Django
forbids the ORM there). So a process writes O(changes), not O(deliveries).

An endpoint is *failing* from its first failed attempt after a success
(``Endpoint.failing_since``, shared by every process through the database); an
attempt that fails ``ENDPOINT_DISABLE_AFTER`` seconds after that, with no success in
between, disables it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import close_old_connections, router

from .. import conf
from ..outcome.results import Attempt

if TYPE_CHECKING:
    from .models import Endpoint

__all__ = ["EndpointState", "HealthWriter", "writer"]

logger = logging.getLogger("signalhooks")

#: Seconds a health change may wait to be written together with others (410: at once).
INTERVAL = 1.0


class EndpointState:
    """What this process knows of one endpoint's health; shared by its targets.

    ``blocked`` (a reason) makes its targets fail every attempt at once, without a
    request: the endpoint is disabled, answered 410, or was deleted.
    """

    __slots__ = (
        "blocked",
        "dirty",
        "failed_at",
        "failing_since",
        "gone",
        "id",
        "ok",
        "tracked",
        "url",
    )

    def __init__(self, endpoint_id: int, url: str = "", *, tracked: bool = True) -> None:
        self.id = endpoint_id
        self.url = url
        self.tracked = tracked  # False: a test event's target, which writes nothing
        self.blocked: str | None = None
        self.failing_since: float | None = None  # unix time, as the database has it
        self.dirty = False  # changes wait for the writer
        self.ok = False
        self.failed_at: float | None = None
        self.gone = False

    def sync(self, endpoint: Endpoint, url: str) -> None:
        """Take the database's view (the index was loaded)."""
        self.url = url
        since = endpoint.failing_since
        self.failing_since = None if since is None else since.timestamp()
        if endpoint.is_active:
            self.blocked = None
            self.gone = False
        else:
            reason = endpoint.disabled_reason or "no reason given"
            self.blocked = f"endpoint {self.id} is disabled: {reason}"

    def forget_failures(self) -> None:
        """The endpoint was enabled again: no failure history, nothing blocked."""
        self.blocked = self.failing_since = self.failed_at = None
        self.gone = False

    def note(self, attempts: Sequence[Attempt]) -> None:
        """Delivery loop: the attempts just made. Cheap unless the health changes."""
        if not self.tracked:
            return
        for attempt in attempts:
            if attempt.ok:
                if self.failing_since is not None or self.failed_at is not None:
                    writer.mark(self, ok=True)
            elif attempt.status == 410:
                self.blocked = f"endpoint {self.id} answered 410 Gone: disabled"
                writer.mark(self, gone=True)
            elif self.failing_since is None:
                if not self.dirty:
                    writer.mark(self, failed=True)
            elif time.time() - self.failing_since >= conf.settings().endpoint_disable_after:
                writer.mark(self, failed=True)


class HealthWriter:
    """One daemon thread writing health changes; started on the first change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dirty: dict[int, EndpointState] = {}
        self._pending = threading.Event()
        self._urgent = threading.Event()
        self._thread: threading.Thread | None = None

    def mark(
        self, state: EndpointState, *, ok: bool = False, failed: bool = False, gone: bool = False
    ) -> None:
        with self._lock:
            if ok:
                state.ok = True
            if failed and state.failed_at is None:
                state.failed_at = time.time()
            if gone:
                state.gone = True
            state.dirty = True
            self._dirty[state.id] = state
        self._pending.set()
        if gone:
            self._urgent.set()
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="signalhooks-endpoint-health", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._pending.wait()
            self._urgent.wait(INTERVAL)  # gather a second's changes; 410 goes at once
            self.write_now()

    def write_now(self) -> None:
        """Write what is pending (the thread's loop; tests call it to skip the wait)."""
        with self._lock:
            self._pending.clear()
            self._urgent.clear()
            batch, self._dirty = self._dirty, {}
            changes = []
            for state in batch.values():
                changes.append((state, state.ok, state.failed_at, state.gone))
                state.ok, state.failed_at, state.gone, state.dirty = False, None, False, False
        for state, ok, failed_at, gone in changes:
            try:
                _apply(state, ok, failed_at, gone)
            except Exception:  # never let the thread die: the next change may succeed
                logger.exception(
                    "signalhooks: recording the health of endpoint %s failed", state.id
                )
        # Like the end of a request: an idle process holds no connection.
        close_old_connections()


def _apply(state: EndpointState, ok: bool, failed_at: float | None, gone: bool) -> None:
    from .models import Endpoint, disable

    using = router.db_for_write(Endpoint)
    rows = Endpoint.objects.using(using).filter(pk=state.id)
    if gone:
        when = datetime.now(UTC).isoformat(timespec="seconds")
        disable(state.id, f"410 Gone from {state.url} at {when}", using)
        return
    if ok:  # a success: whatever failed before, the endpoint works
        rows.filter(failing_since__isnull=False).update(failing_since=None)
        state.failing_since = None
        return
    if failed_at is None:
        return
    limit = conf.settings().endpoint_disable_after
    if state.failing_since is not None and time.time() - state.failing_since >= limit:
        # About to disable: the database has the last word (the endpoint may have been
        # enabled again, or have succeeded in another process, since this one read it).
        known = rows.values_list("failing_since", flat=True).first()
        state.failing_since = None if known is None else known.timestamp()
    if state.failing_since is None:
        since = datetime.fromtimestamp(failed_at, UTC)
        if not rows.filter(failing_since__isnull=True).update(failing_since=since):
            since = rows.values_list("failing_since", flat=True).first() or since
        state.failing_since = since.timestamp()
    if time.time() - state.failing_since >= limit:
        since_text = datetime.fromtimestamp(state.failing_since, UTC).isoformat(timespec="seconds")
        reason = f"every delivery failed since {since_text} (ENDPOINT_DISABLE_AFTER = {limit:g} s)"
        if disable(state.id, reason, using) is not None:
            state.blocked = f"endpoint {state.id} is disabled: {reason}"


writer = HealthWriter()


def _after_fork_in_child() -> None:
    global writer
    writer = HealthWriter()


os.register_at_fork(after_in_child=_after_fork_in_child)
