"""Helpers for the durable outbox tests: a fast recording sink, worker processes, rows.

The sink is a bare ``asyncio.Protocol`` HTTP/1.1 server (like ``benchmarks/sinks.py``)
because the 20,000-delivery tests need thousands of requests per second, which the
aiohttp-based ``RecordingServer`` does not reach. It records every request's event id
(``EventId`` from the JSON body) and body, and can answer 200, answer 503, stall
(never answer) or be down (port closed: connection refused).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
EVENT_ID = re.compile(rb'"EventId":"([^"]+)"')
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"


class _Protocol(asyncio.Protocol):
    def __init__(self, sink: FastSink) -> None:
        self.sink = sink
        self.buf = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.sink._transports.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.sink._transports.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buf[:end]).lower()
            pos = head.find(b"content-length:")
            length = int(head[pos + 15 :].split(b"\r\n", 1)[0]) if pos >= 0 else 0
            stop = end + 4 + length
            if len(self.buf) < stop:
                return
            body = bytes(self.buf[end + 4 : stop])
            del self.buf[:stop]
            reply = self.sink._record(body)
            if reply and self.sink.delay:
                asyncio.get_running_loop().call_later(self.sink.delay, self._reply, reply)
            elif reply:
                self.transport.write(reply)

    def _reply(self, reply: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(reply)
            self.sink._answered()


class FastSink:
    """``mode``: ``"ok"`` (200), ``"fail"`` (503), ``"stall"`` (no answer), ``"down"``.

    ``delay`` > 0 answers ``ok``/``fail`` that many seconds late (``answered_late`` counts).
    ``fail_first_every`` = n > 0: in ``ok`` mode, the first attempt of every n-th new
    event is answered 503; every attempt of the events in ``fail_ids`` too. ``times``
    holds each request's arrival (``time.monotonic()``).
    """

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 0.0  # seconds before a (delayed) answer is written
        self.fail_first_every = 0
        self.fail_ids: set[str] = set()
        self.times: list[float] = []
        self.answered_late = 0
        self.bodies: list[bytes] = []
        self.ids: list[str] = []
        self._seen: set[str] = set()
        self._cond = threading.Condition()
        self._transports: set[asyncio.Transport] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self._listen(0))
        assert self._server is not None
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/outbox"

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _listen(self, port: int) -> None:
        self._server = await self._loop.create_server(
            lambda: _Protocol(self), "127.0.0.1", port, backlog=1024
        )

    def _record(self, body: bytes) -> bytes:
        match = EVENT_ID.search(body)
        event_id = match.group(1).decode() if match else ""
        with self._cond:
            new = event_id not in self._seen
            self._seen.add(event_id)
            self.bodies.append(body)
            self.ids.append(event_id)
            self.times.append(time.monotonic())
            self._cond.notify_all()
            if new and self.fail_first_every and len(self._seen) % self.fail_first_every == 0:
                return UNAVAILABLE
            if event_id in self.fail_ids:
                return UNAVAILABLE
        return {"ok": OK, "fail": UNAVAILABLE}.get(self.mode, b"")

    def _answered(self) -> None:
        with self._cond:
            self.answered_late += 1
            self._cond.notify_all()

    def set_mode(self, mode: str) -> None:
        """Switch behaviour; ``down`` closes the port and every connection, ``up`` reopens."""

        async def switch() -> None:
            if mode == "down" and self._server is not None:
                self._server.close()
                for transport in list(self._transports):
                    transport.abort()
                await self._server.wait_closed()
                self._server = None
            elif mode != "down" and self._server is None:
                await self._listen(self.port)

        self._call(switch())
        self.mode = mode

    def count(self) -> int:
        with self._cond:
            return len(self.ids)

    def distinct(self) -> set[str]:
        with self._cond:
            return set(self.ids)

    def duplicates(self) -> Counter[str]:
        with self._cond:
            return Counter({k: v for k, v in Counter(self.ids).items() if v > 1})

    def wait(self, predicate: Callable[[FastSink], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"sink: timed out after {timeout}s waiting for {what}")
                self._cond.wait(left)

    def close(self) -> None:
        self.set_mode("down")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@contextmanager
def fast_sink() -> Iterator[FastSink]:
    sink = FastSink()
    try:
        yield sink
    finally:
        sink.close()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition that nothing can notify us about (database state, a process)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def subprocess_env(
    alias: str, hooks: list[str] | list[Any], signalhooks: dict[str, Any]
) -> dict[str, str]:
    """Environment for ``tests.outbox_settings``: the alias's (test) database, hooks, settings."""
    db = connections[alias].settings_dict
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.outbox_settings",
        "SIGNALHOOKS_OUTBOX_DB": json.dumps(
            {k: db[k] for k in ("ENGINE", "NAME", "HOST", "PORT", "USER", "PASSWORD")}
        ),
        "SIGNALHOOKS_OUTBOX_HOOKS": json.dumps(hooks),
        "SIGNALHOOKS_OUTBOX_SETTINGS": json.dumps(signalhooks),
    }


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """``manage.py signalhooks_worker`` in its own process, returned once it is running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", "signalhooks_worker", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()  # printed by the command just before it starts
    if not banner.startswith("signalhooks_worker "):
        raise AssertionError(f"worker did not start: {banner}{stop_worker(proc)}")
    proc.args = banner.split()[1]  # type: ignore[misc]  # its lease-holder id
    return proc


def stop_worker(proc: subprocess.Popen[str], timeout: float = 20) -> str:
    """SIGTERM, then wait for the graceful exit; returns stdout+stderr."""
    if proc.poll() is None:
        proc.terminate()
    out, err = proc.communicate(timeout=timeout)
    return out + err


def make_rows(hook: Any, count: int, using: str, *, due_in: float = 0.0) -> list[str]:
    """Insert ``count`` due outbox rows for ``hook`` in bulk; returns their event ids."""
    from signalhooks.outbox.models import OutboxDelivery
    from signalhooks.outbox.rows import build_row
    from signalhooks.snapshot.events import custom_event
    from signalhooks.targets.base import Delivery

    now = timezone.now() + timedelta(seconds=due_in)
    rows = []
    for i in range(count):
        event = custom_event("bench:item", {"i": i})
        delivery = Delivery(event, hook.target, hook)
        rows.append(build_row(delivery, now, lease=None, locked_by="", delay=0))
    OutboxDelivery.objects.using(using).bulk_create(rows, batch_size=2000)
    return [row.event_id for row in rows]


@contextmanager
def worker_thread(**options: Any) -> Iterator[Any]:
    """An in-process :class:`~signalhooks.outbox.worker.Worker` on its own loop thread.

    Stopped gracefully (``stop()``) on exit; its database thread closes its connections.
    """
    from signalhooks.outbox.worker import Worker

    worker = Worker(**options)
    started = threading.Event()
    errors: list[BaseException] = []

    async def main() -> None:
        worker_loop.append(asyncio.get_running_loop())
        started.set()
        await worker.run()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced in the test thread
            errors.append(exc)
            started.set()

    worker_loop: list[asyncio.AbstractEventLoop] = []
    thread = threading.Thread(target=run, name="outbox-test-worker", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield worker
    finally:
        if worker_loop:
            worker_loop[0].call_soon_threadsafe(worker.stop)
        thread.join(30)
        assert not thread.is_alive(), "worker did not stop"
        if errors:
            raise errors[0]


@pytest.fixture
def retire_durable_hooks() -> Iterator[None]:
    """Hooks live as long as the process; make this test's durable hooks plain afterwards.

    Otherwise they would still count as durable hooks for tests that run later (the
    system checks' E008/W002 tests look at every hook in the process).
    """
    from signalhooks.registry import all_hooks

    before = {id(hook) for hook in all_hooks()}
    yield
    for hook in all_hooks():
        if id(hook) not in before and hook.durable:
            hook.durable = False
            hook._order = None  # an ordered hook that is not durable is an error (E016)
