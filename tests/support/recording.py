"""The tests' HTTP receiver: the one sink, in this process, recording every request.

Why a real server and not a mock transport: the library's timeouts, connection pooling,
keep-alive, concurrency limits and retry-on-status logic only show up against real
sockets. The server runs its own asyncio loop in a daemon thread, so it keeps answering
while the test thread (or the engine's own loop) blocks, and a slow answer never stalls
the caller. It records fast enough for the tests that send 20,000 deliveries.

All state shared with the test thread sits behind one ``threading.Condition``: a request
notifies it when it arrives and when it is answered, so tests *wait on a condition*
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tests.support.http_sink import HOST, Connection, Sink, response
from tests.support.received import ReceivedRequest, parse_request

#: One step of a status script: a bare status, or a status with its own extra headers.
StatusStep = int | tuple[int, Mapping[str, str]]


@dataclasses.dataclass
class _Behaviour:
    """How one path answers; ``statuses`` is consumed one step per request, the last repeats."""

    delay: float = 0.0
    statuses: list[StatusStep] = dataclasses.field(default_factory=lambda: [200])
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b"ok"
    stall: bool = False
    trickle: float = 0.0
    answer: Callable[[ReceivedRequest], StatusStep] | None = None
    served: int = 0

    def next_step(self, request: ReceivedRequest) -> tuple[int, dict[str, str]]:
        """Return (status, headers) for this request and advance the script."""
        if self.answer is not None:
            step = self.answer(request)
        else:
            step = self.statuses[min(self.served, len(self.statuses) - 1)]
        self.served += 1
        if isinstance(step, tuple):
            status, extra = step
            return status, {**self.headers, **extra}
        return step, dict(self.headers)


class RecordingServer(Sink):
    """HTTP/1.1 keep-alive server on ``127.0.0.1:<ephemeral>`` that records every request.

    Any method and any path is accepted. Unconfigured paths answer ``200 ok`` at once.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._records: list[ReceivedRequest] = []
        self._behaviours: dict[str, _Behaviour] = {}
        self._in_flight: dict[str | None, int] = {}
        self._peak: dict[str | None, int] = {}
        self._generation = 0  # bumped by reset() so late answers don't touch new records
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> RecordingServer:
        """Listen on an ephemeral port and serve from a background loop; returns ``self``."""
        if self._thread is not None:
            raise RuntimeError("RecordingServer already started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, daemon=True)
        self._thread.start()
        self.up()
        assert self._server is not None
        self._port = self._server.sockets[0].getsockname()[1]
        self._thread.name = f"RecordingServer:{self._port}"
        return self

    def stop(self) -> None:
        """Close the listener and open connections, then end the loop thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self.down()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def down(self) -> None:
        """Stop listening and drop every connection: connections are refused from now on."""

        async def close() -> None:
            if self._server is not None:
                self._server.close()
                self.drop_connections()
                await self._server.wait_closed()
                self._server = None

        self._call(close())

    def up(self) -> None:
        """Listen again, on the same port (after :meth:`down`)."""

        async def listen() -> None:
            if self._server is None:
                self._server = await asyncio.get_running_loop().create_server(
                    self.connection, HOST, self._port or 0, backlog=1024, reuse_address=True
                )

        self._call(listen())

    def _call(self, coro: Any) -> Any:
        assert self._loop is not None, "RecordingServer not started"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
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
        path: str = "/hook",
        *,
        delay: float = 0.0,
        statuses: Sequence[StatusStep] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"ok",
        stall: bool = False,
        trickle: float = 0.0,
        answer: Callable[[ReceivedRequest], StatusStep] | None = None,
    ) -> None:
        """Script how ``path`` answers from now on (replaces earlier behaviour for it).

        ``statuses`` e.g. ``[503, 503, 200]`` or ``[(429, {"Retry-After": "0.2"}), 200]``:
        one step per request, the last one repeating; or ``answer``, a function that
        picks each request's step (it runs on the server's thread). ``headers`` go on
        every response; a step's own headers are added (and win) only for that step.
        ``delay`` holds each answer that long after the request is recorded, so
        ``wait_for`` sees slow requests as they arrive; ``stall`` never answers;
        ``trickle`` writes the answer one byte every so many seconds.
        """
        steps: list[StatusStep] = list(statuses) if statuses else [200]
        behaviour = _Behaviour(delay, steps, dict(headers or {}), body, stall, trickle, answer)
        with self._cond:
            self._behaviours[path] = behaviour

    def reset(self) -> None:
        """Forget requests, behaviours and peaks (requests in flight still finish)."""
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

    def count(self, path: str | None = None) -> int:
        return len(self.requests(path))

    def event_ids(self) -> list[str]:
        """The ``EventId`` of every request's body, in arrival order (``""`` if none)."""
        with self._cond:
            return [r.event_id for r in self._records]

    def distinct(self) -> set[str]:
        return set(self.event_ids())

    def duplicates(self) -> Counter[str]:
        """The event ids that arrived more than once, with how often."""
        return Counter({k: n for k, n in Counter(self.event_ids()).items() if n > 1})

    def in_flight(self, path: str | None = None) -> int:
        """Requests received and not answered yet (overall or per path)."""
        with self._cond:
            return self._in_flight.get(path, 0)

    def peak_in_flight(self, path: str | None = None) -> int:
        """Most requests handled at the same time since the last reset (overall or per path)."""
        with self._cond:
            return self._peak.get(path, 0)

    def wait(self, predicate: Callable[[RecordingServer], bool], timeout: float, what: str) -> None:
        """Block until ``predicate(self)`` holds; ``AssertionError`` naming ``what`` if not."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError(f"server: timed out after {timeout}s waiting for {what}")

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

    def received(self, request: ReceivedRequest) -> None:
        """Called for each request as it arrives, before it is recorded (a subclass's hook)."""

    def handle(self, connection: Connection, head: bytes, body: bytes) -> None:
        peer = connection.transport.get_extra_info("peername")
        request = parse_request(head, body, peer[1] if peer else 0)
        self.received(request)
        path = request.path
        with self._cond:
            behaviour = self._behaviours.setdefault(path, _Behaviour())
            status, headers = behaviour.next_step(request)
            request = dataclasses.replace(request, status=status)
            generation, index = self._generation, len(self._records)
            self._records.append(request)
            for key in (None, path):
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
                self._peak[key] = max(self._peak.get(key, 0), self._in_flight[key])
            self._cond.notify_all()
            delay, stall, trickle = behaviour.delay, behaviour.stall, behaviour.trickle
        answer = b"" if request.method == "HEAD" else behaviour.body
        data = response(status, answer, headers)

        def done(written: bool) -> None:
            with self._cond:
                # Records are only appended or cleared (which bumps the generation), so
                # the index is still ours unless reset() ran while the answer was held.
                if written and generation == self._generation:
                    self._records[index] = dataclasses.replace(
                        request, responded_at=time.monotonic()
                    )
                for key in (None, path):
                    self._in_flight[key] -= 1
                self._cond.notify_all()

        if stall:
            connection.never_answer(done)
        elif trickle:
            connection.trickle(trickle, data, done)
        elif delay:
            connection.answer_later(delay, data, done)
        else:
            done(True)
            connection.reply(data)
