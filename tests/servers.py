"""A real HTTP endpoint for webhook tests: records what arrives and answers as scripted.

Why a real server and not a mock transport: the library's timeouts, connection pooling,
keep-alive, concurrency limits and retry-on-status logic only show up against real sockets.
The server runs its own asyncio loop in a daemon thread, so it keeps answering while the
test thread (or the engine's own loop) blocks, and a slow response never stalls the caller.

All state shared with the test thread sits behind one ``threading.Condition``: handlers
notify it when a request arrives, so tests *wait on a condition* instead of sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

HOST = "127.0.0.1"

#: One step of a status script: a bare status, or a status with its own extra headers.
StatusStep = int | tuple[int, Mapping[str, str]]


@dataclasses.dataclass(frozen=True)
class ReceivedRequest:
    """One request as the server saw it.

    ``headers`` is a read-only case-insensitive multidict, so ``headers["content-type"]``
    and ``headers["Content-Type"]`` both work, as they would for a real receiver.
    ``responded_at`` is ``None`` while the handler is still delaying (or if the client went
    away and the handler was cancelled); both timestamps are ``time.monotonic()`` values,
    comparable with timestamps taken in the test thread.
    ``client_port`` identifies the TCP connection: equal ports mean a reused connection.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes
    status: int
    client_port: int
    received_at: float
    responded_at: float | None = None

    def json(self) -> Any:
        """Decode the body as JSON (raises if it is not JSON, which a test should see)."""
        return json.loads(self.body)


@dataclasses.dataclass
class _Behaviour:
    """How one path answers; ``statuses`` is consumed one step per request, the last repeats."""

    delay: float = 0.0
    statuses: list[StatusStep] = dataclasses.field(default_factory=lambda: [200])
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b"ok"
    served: int = 0

    def next_step(self) -> tuple[int, dict[str, str]]:
        """Return (status, headers) for the next request and advance the script."""
        step = self.statuses[min(self.served, len(self.statuses) - 1)]
        self.served += 1
        if isinstance(step, tuple):
            status, extra = step
            return status, {**self.headers, **extra}
        return step, dict(self.headers)


class RecordingServer:
    """HTTP/1.1 keep-alive server on ``127.0.0.1:<ephemeral>`` that records every request.

    Any method and any path is accepted. Unconfigured paths answer ``200 ok`` at once.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._records: list[ReceivedRequest] = []
        self._behaviours: dict[str, _Behaviour] = {}
        self._in_flight: dict[str | None, int] = {}
        self._peak: dict[str | None, int] = {}
        self._generation = 0  # bumped by reset() so late finishers don't touch new records
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.ServerRunner | None = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> RecordingServer:
        """Bind an ephemeral port and serve from a background loop; returns ``self``."""
        if self._thread is not None:
            raise RuntimeError("RecordingServer already started")
        # Binding here (not inside aiohttp) gives us the real port without private APIs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self._port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name=f"RecordingServer:{self._port}", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(sock), loop).result(timeout=10)
        return self

    async def _serve(self, sock: socket.socket) -> None:
        # A short shutdown_timeout: stop() must not wait for a test's 30 s "slow" response.
        self._runner = web.ServerRunner(web.Server(self._handle), shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    def stop(self) -> None:
        """Close the listener and open connections, then end the loop thread."""
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("RecordingServer not started")
        return self._port

    def url(self, path: str = "/hook") -> str:
        """Absolute URL on the IP address, e.g. ``http://127.0.0.1:PORT/hook``."""
        return f"http://{HOST}:{self.port}{path}"

    def localhost_url(self, path: str = "/hook") -> str:
        """Same endpoint via the host name ``localhost``, to exercise name resolution."""
        return f"http://localhost:{self.port}{path}"

    # -- configuration (test thread) -----------------------------------------------------

    def behave(
        self,
        path: str,
        *,
        delay: float = 0.0,
        statuses: Sequence[StatusStep] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"ok",
    ) -> None:
        """Script how ``path`` answers from now on (replaces earlier behaviour for it).

        ``statuses`` e.g. ``[503, 503, 200]`` or ``[(429, {"Retry-After": "0.2"}), 200]``:
        one step per request, the last one repeating. ``headers`` go on every response;
        a step's own headers are added (and win) only for that step. ``delay`` is applied
        after the request is recorded, so ``wait_for`` sees slow requests as they arrive.
        """
        steps: list[StatusStep] = list(statuses) if statuses else [200]
        with self._cond:
            self._behaviours[path] = _Behaviour(
                delay=delay, statuses=steps, headers=dict(headers or {}), body=body
            )

    def reset(self) -> None:
        """Forget requests, behaviours and peaks (in-flight requests still finish)."""
        with self._cond:
            self._records.clear()
            self._behaviours.clear()
            self._peak = {key: n for key, n in self._in_flight.items() if n}
            self._generation += 1

    # -- inspection (test thread) --------------------------------------------------------

    def requests(self, path: str | None = None) -> list[ReceivedRequest]:
        """Snapshot of recorded requests in arrival order, optionally for one path."""
        with self._cond:
            return [r for r in self._records if path is None or r.path == path]

    def peak_in_flight(self, path: str | None = None) -> int:
        """Most requests handled at the same time since the last reset (overall or per path)."""
        with self._cond:
            return self._peak.get(path, 0)

    def wait_for(
        self, count: int, path: str | None = None, timeout: float = 10.0
    ) -> list[ReceivedRequest]:
        """Block until at least ``count`` requests (to ``path``) have arrived; return them all.

        Raises ``AssertionError`` naming how many did arrive, and where, on timeout.
        """
        with self._cond:
            arrived = self._cond.wait_for(
                lambda: len(self.requests(path)) >= count, timeout=timeout
            )
            if not arrived:
                got = self.requests(path)
                seen = sorted({f"{r.method} {r.path}" for r in self._records})
                raise AssertionError(
                    f"expected {count} request(s) to {path or 'any path'} within {timeout}s, "
                    f"got {len(got)}; all requests seen: {seen or 'none'}"
                )
            return self.requests(path)

    # -- server side (loop thread) -------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.Response:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        path = request.path
        with self._cond:
            behaviour = self._behaviours.setdefault(path, _Behaviour())
            status, headers = behaviour.next_step()
            delay, reply = behaviour.delay, behaviour.body
            record = ReceivedRequest(
                method=request.method,
                path=path,
                query=dict(request.query),
                headers=CIMultiDictProxy(CIMultiDict(request.headers)),
                body=body,
                status=status,
                client_port=peer[1] if peer else 0,
                received_at=time.monotonic(),
            )
            generation, index = self._generation, len(self._records)
            self._records.append(record)
            for key in (None, path):
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
                self._peak[key] = max(self._peak.get(key, 0), self._in_flight[key])
            self._cond.notify_all()
        try:
            if delay:
                await asyncio.sleep(delay)
            with self._cond:
                # Records are only appended or cleared (which bumps the generation), so the
                # index is still ours unless reset() ran while we were delaying.
                if generation == self._generation:
                    self._records[index] = dataclasses.replace(
                        record, responded_at=time.monotonic()
                    )
            return web.Response(status=status, headers=headers, body=reply)
        finally:
            with self._cond:
                for key in (None, path):
                    self._in_flight[key] -= 1
                self._cond.notify_all()


def unused_tcp_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, for "connection refused" tests.

    The port is released before returning; another process *could* grab it, but the
    kernel hands out ephemeral ports round-robin, so in practice it stays closed.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class TrickleServer:
    """Answers every request with a valid HTTP response, one byte every ``interval`` seconds.

    The status line, headers and body all trickle: a client that applies its timeout
    per read (not per request) would wait ``len(response) * interval`` seconds.
    """

    RESPONSE = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
        b"Connection: close\r\n\r\n" + b"x" * 20
    )

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.requests = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, HOST, 0), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def url(self, path: str = "/trickle") -> str:
        return f"http://{HOST}:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            self.requests += 1
            for byte in self.RESPONSE:
                if writer.is_closing() or reader.at_eof():
                    break  # the client gave up
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(self.interval)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)
