"""The one HTTP/1.1 sink of the tests and the benchmarks, written on ``asyncio.Protocol``.

Why hand-written: a framework server (aiohttp.web, uvicorn) spends more CPU per request
than the clients under test, and then the sink, not the client, sets the ceiling every
benchmark ratio is measured against; the tests' 20,000-delivery runs need thousands of
requests per second too. The framing is minimal: the head up to CRLFCRLF, then
Content-Length bytes (or a chunked body up to its last chunk), keep-alive, answers in
the order the requests came (no client under test pipelines).

A :class:`Sink` decides what to remember and what to answer: the tests'
:class:`~tests.support.recording.RecordingServer` records every request and answers as
scripted, in this process; the benchmarks' counting sink
(:mod:`tests.support.sink_process`) only counts, in a process of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from http import HTTPStatus

HOST = "127.0.0.1"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


def response(
    status: int,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/octet-stream",
) -> bytes:
    """A complete keep-alive response (``headers`` may replace the content type)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    fields = dict(headers or {})
    if not any(name.lower() == "content-type" for name in fields):
        fields["Content-Type"] = content_type
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return head.encode() + b"\r\n" + body


class Sink:
    """What the connections of one sink share; subclasses say what a request does."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()

    def handle(self, connection: Connection, head: bytes, body: bytes) -> None:
        """One whole request: ``head`` is the request line and headers (without the final
        CRLFCRLF), ``body`` the bytes after it (still chunked if it was sent so)."""
        raise NotImplementedError

    def connection(self) -> Connection:
        """The protocol factory of ``loop.create_server``."""
        return Connection(self)

    def drop_connections(self) -> None:
        """Abort every open connection (their unanswered requests are abandoned)."""
        for connection in list(self.connections):
            connection.transport.abort()


#: Called as a held answer is written (True: just before, so that a client that has
#: its answer sees it counted) or when its connection is gone first (False).
Done = Callable[[bool], None]


class Connection(asyncio.Protocol):
    """One client connection: HTTP/1.1 keep-alive framing, and answers now, later or never."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buf = bytearray()
        self.transport: asyncio.Transport
        self.pending: dict[object, Done | None] = {}  # answers not written yet
        self.close_when_answered = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.sink.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.sink.connections.discard(self)
        pending, self.pending = self.pending, {}
        for key, done in pending.items():
            if isinstance(key, asyncio.TimerHandle):
                key.cancel()
            if done is not None:
                done(False)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end])
            lower = head.lower()
            start = end + 4
            pos = lower.find(b"content-length:")
            if pos >= 0:
                eol = lower.find(b"\r\n", pos)
                stop = start + int(lower[pos + 15 : eol if eol >= 0 else None])
            elif b"transfer-encoding: chunked" in lower:
                term = buf.find(b"\r\n0\r\n\r\n", end + 2)
                if term < 0:
                    return
                stop = term + 7
            else:
                stop = start
            if len(buf) < stop:
                return
            body = bytes(buf[start:stop])
            del buf[:stop]
            self.sink.handle(self, head, body)
            if b"connection: close" in lower:
                self.close_when_answered = True
                if not self.pending:
                    self.transport.close()
                    return

    def reply(self, data: bytes) -> None:
        """Write an answer now (unless the client has gone)."""
        if not self.transport.is_closing():
            self.transport.write(data)

    def answer_later(self, delay: float, data: bytes, done: Done | None = None) -> None:
        """Write ``data`` after ``delay`` seconds; ``done`` says whether it was written."""

        def write() -> None:
            self.pending.pop(timer, None)
            if done is not None:
                done(True)
            self.reply(data)
            if self.close_when_answered and not self.pending:
                self.transport.close()

        timer = asyncio.get_running_loop().call_later(delay, write)
        self.pending[timer] = done

    def trickle(self, interval: float, data: bytes, done: Done | None = None) -> None:
        """Write ``data`` one byte every ``interval`` seconds: a client that applies its
        timeout per read, not per request, would wait ``len(data) * interval`` seconds."""
        key = object()
        self.pending[key] = done
        loop = asyncio.get_running_loop()

        def write(pos: int) -> None:
            if key not in self.pending:  # the connection is gone
                return
            if pos == len(data) - 1:
                del self.pending[key]
                if done is not None:
                    done(True)
            self.reply(data[pos : pos + 1])
            if pos < len(data) - 1:
                loop.call_later(interval, write, pos + 1)

        loop.call_later(interval, write, 0)

    def never_answer(self, done: Done | None = None) -> None:
        """Hold the request unanswered until the connection goes (``done(False)`` then)."""
        self.pending[object()] = done
