"""The one bridge between the caller's threads and the delivery event loop.

A per-process background thread runs an asyncio loop that owns every network
client. Callers hand deliveries over with :meth:`Engine.accept`, which never
blocks and never raises: a thread-safe deque plus at most one pending wake-up
of the loop (one ``call_soon_threadsafe`` for a burst, not one per event).

Lifecycle, following sentry-python's worker:

* started lazily on first use, and again in a forked child (``pid`` check and
  ``os.register_at_fork``): a child never reuses its parent's loop or sockets;
* bounded: at most ``MAX_QUEUE`` deliveries pending; beyond that new ones are
  dropped, counted and logged (rate-limited) — memory stays bounded;
* drained at interpreter exit by a *threading* atexit hook, which runs before
  ``concurrent.futures`` shuts its executors down (``atexit`` would run after,
  when DNS lookups through the default executor already fail); the executor's
  thread is started with the loop, since Python 3.12 starts no thread at exit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures.thread
import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from .. import conf
from .._internals import register_exit_hook
from ..outcome.report import counters, report
from ..outcome.results import Attempt
from ..targets.base import Delivery
from ..transports.pool import Clients
from .lanes import Lanes

__all__ = ["Engine", "aflush", "flush", "get_engine", "stats"]

logger = logging.getLogger("signalhooks")

#: Seconds between the first accept of a burst and the start of its sends.
DRAIN_DELAY = 0.002

# The caller loop (per thread) that already has an engine wake-up scheduled.
_kick_scheduled = threading.local()


class Engine:
    """The delivery loop thread of this process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.max_queue = conf.settings().max_queue
        self._inbox: deque[Delivery] = deque()
        self._wakeup_pending = False  # set by callers, cleared by the loop when idle
        self._drain_timer: asyncio.TimerHandle | None = None  # loop side only
        self._last_drop_log = 0.0
        self._drops_since_log = 0
        self.loop = asyncio.new_event_loop()
        self.lanes: Lanes | None = None
        self.closed = False  # set by shutdown(): later deliveries are dropped, not lost
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name="signalhooks-engine", daemon=True
        )
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self.lanes = Lanes(Clients())
            # Start the loop's default executor (DNS lookups, TLS setup) now: from
            # Python 3.12 no thread may start during interpreter shutdown, when the exit
            # flush may make the first lookup; an idle worker thread is reused then.
            await self.loop.run_in_executor(None, int)

        self.loop.run_until_complete(start())
        ready.set()
        self.loop.run_forever()

    # -- caller side (any thread) ------------------------------------------------

    def accept(self, delivery: Delivery) -> bool:
        """Queue ``delivery``; ``False`` (and a failed outcome) if the queue is full."""
        if _intercept is not None:  # signalhooks.testing is capturing or waiting
            return _intercept(self, delivery)
        return self.enqueue(delivery)

    def enqueue(self, delivery: Delivery) -> bool:
        """:meth:`accept` without the test interceptor (the real queue)."""
        if self.closed:
            # E.g. a non-daemon thread still saving at interpreter exit: threading's
            # atexit hooks (our flush) run before such threads are joined.
            self._drop(delivery, "engine shut down (interpreter exit)")
            return False
        pending = counters.pending
        if pending >= self.max_queue:
            self._drop(delivery, f"queue full (MAX_QUEUE={self.max_queue}), {pending} pending")
            return False
        counters.accept()
        self._inbox.append(delivery)
        if not self._wakeup_pending:
            self._wakeup_pending = True
            self.loop.call_soon_threadsafe(self._drain_later)
        return True

    def accept_from_loop(self, delivery: Delivery) -> bool:
        """:meth:`accept` for a caller on an event loop (``async_receiver``).

        Such a caller awaits the outcome, so there is nothing to gain from
        ``DRAIN_DELAY``: sending starts as soon as the caller's loop has finished its
        current iteration, in which ``asend`` prepares all of its receivers (one
        wake-up of this loop per iteration, however many receivers).
        """
        accepted = self.accept(delivery)
        caller = asyncio.get_running_loop()
        if getattr(_kick_scheduled, "loop", None) is not caller:
            _kick_scheduled.loop = caller
            caller.call_soon(self._kick, caller)
        return accepted

    def _kick(self, caller: asyncio.AbstractEventLoop) -> None:
        if getattr(_kick_scheduled, "loop", None) is caller:
            _kick_scheduled.loop = None
        with contextlib.suppress(RuntimeError):  # this engine's loop is closed
            self.loop.call_soon_threadsafe(self._drain_now)

    def _drop(self, delivery: Delivery, reason: str) -> None:
        counters.drop()
        counters.accept()
        error = f"dropped: {reason}"
        result = delivery.result(Attempt(ok=False, error=error, error_type="dropped"))
        # One warning per second at most: a full queue must not also flood the logs.
        self._drops_since_log += 1
        now = time.monotonic()
        if now - self._last_drop_log >= 1.0:
            logger.warning(
                "signalhooks %s: dropped %d deliveries, latest %s to %s",
                reason,
                self._drops_since_log,
                delivery.event.id,
                delivery.target.name,
            )
            self._last_drop_log = now
            self._drops_since_log = 0
        if delivery.waiter is not None:
            delivery.waiter.set_result(result)
        report(result, delivery.owner, log=False)

    # -- loop side --------------------------------------------------------------

    def _drain_later(self) -> None:
        # Start sending a moment after the first accept instead of at once: the
        # accepting thread is usually in the middle of a request, and a burst of sends
        # on this thread would take the GIL from it until the request ends. Events of
        # the next DRAIN_DELAY seconds join this wake-up. examples/asgi_shop/loadtest.py
        # shows the difference in the view's latency (docs/performance.md).
        if self._drain_timer is None:
            self._drain_timer = self.loop.call_later(DRAIN_DELAY, self._drain)

    def _drain_now(self) -> None:
        if self._drain_timer is not None:
            self._drain_timer.cancel()
        self._drain()  # re-arms the polling timer while deliveries are in flight

    def _drain(self) -> None:
        self._drain_timer = None
        inbox = self._inbox
        assert self.lanes is not None
        while inbox:
            self.lanes.enqueue(inbox.popleft())
        if counters.pending or inbox:
            # Work in flight: keep polling the inbox every DRAIN_DELAY, so callers
            # need not wake the loop. Waking it is a write to its self-pipe, a system
            # call that releases the GIL, after which the caller (inside save()) waits
            # for this thread to give the GIL back, on every save.
            self._drain_timer = self.loop.call_later(DRAIN_DELAY, self._drain)
        else:
            self._wakeup_pending = False
            if inbox:  # accepted between the loop above and the flag: don't strand it
                self._wakeup_pending = True
                self._drain_timer = self.loop.call_later(DRAIN_DELAY, self._drain)

    # -- waiting ---------------------------------------------------------------

    def flush(self, timeout: float | None) -> bool:
        """Block until every delivery accepted so far has finished, or ``timeout``."""
        if threading.current_thread() is self.thread:
            raise RuntimeError("signalhooks.flush() cannot be called on the delivery loop")
        if self.closed:  # shut down: nothing is pending, and the loop no longer runs
            return True
        assert self.lanes is not None
        waiting = asyncio.run_coroutine_threadsafe(
            self.lanes.wait_finished(counters.accepted), self.loop
        )
        try:
            waiting.result(timeout)
        except concurrent.futures.TimeoutError:
            waiting.cancel()
            return False
        return True

    async def aflush(self, timeout: float | None) -> bool:
        if self.closed:
            return True
        assert self.lanes is not None
        waiting = asyncio.run_coroutine_threadsafe(
            self.lanes.wait_finished(counters.accepted), self.loop
        )
        try:
            await asyncio.wait_for(asyncio.wrap_future(waiting), timeout)
        except TimeoutError:
            return False
        return True

    def shutdown(self, timeout: float) -> bool:
        """Flush, close the clients on their loop, stop the loop. Returns flush's verdict."""
        if self.closed:
            return True
        flushed = self.flush(timeout)
        self.closed = True
        if not flushed:
            logger.error(
                "signalhooks: %d deliveries still pending after %.1fs at shutdown; they are lost",
                counters.pending,
                timeout,
            )
        if self.lanes is not None:
            closing = asyncio.run_coroutine_threadsafe(self.lanes.aclose(), self.loop)
            try:
                closing.result(5.0)
            except Exception:  # closing is best effort; the process is going away
                logger.debug("signalhooks: error while closing clients", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5.0)
        return flushed


_engine: Engine | None = None
#: Set only by :mod:`signalhooks.testing` (``capture_hooks`` / ``deliver_synchronously``):
#: sees every delivery instead of the queue. A global, not a context variable, so that
#: deliveries accepted in other threads (``sync_to_async``, a live server) are seen too.
_intercept: Callable[[Engine, Delivery], bool] | None = None
_engine_lock = threading.Lock()
_exit_hook_registered = False


def get_engine() -> Engine:
    """The engine of this process, started on first use (and anew after ``fork``)."""
    engine = _engine
    if engine is not None:  # reset in a forked child (no getpid() system call per save)
        return engine
    return _start()


def _start() -> Engine:
    global _engine, _exit_hook_registered
    with _engine_lock:
        if _engine is None or _engine.pid != os.getpid():
            _engine = Engine()
            if not _exit_hook_registered:
                register_exit_hook(_at_exit)
                _exit_hook_registered = True
        return _engine


def _at_exit() -> None:
    engine = _engine
    if engine is None or engine.pid != os.getpid():
        return
    engine.shutdown(conf.settings().shutdown_timeout)


def _after_fork_in_child() -> None:
    global _engine, _engine_lock
    from ..outcome.report import reset_after_fork

    # The parent's loop thread does not exist here; its exit hook (inherited) checks
    # the pid, so only the child's own engine is flushed at the child's exit.
    _engine = None
    _engine_lock = threading.Lock()
    reset_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def flush(timeout: float | None = 10.0) -> bool:
    """Wait until every delivery accepted so far has finished (delivered or failed).

    Returns ``False`` if ``timeout`` seconds passed first. Deliveries waiting for a
    transaction to commit are not accepted yet and are not waited for.
    """
    engine = _engine
    if engine is None or engine.pid != os.getpid():
        return True
    return engine.flush(timeout)


async def aflush(timeout: float | None = 10.0) -> bool:
    """:func:`flush` for async code: waits without blocking the caller's loop."""
    engine = _engine
    if engine is None or engine.pid != os.getpid():
        return True
    return await engine.aflush(timeout)


def stats() -> dict[str, int]:
    """Counters since process start: accepted, delivered, failed, dropped, retried, pending."""
    return counters.snapshot()
