"""Local sinks the benchmarks deliver to: a bare HTTP/1.1 sink and an SNS query-API sink.

Why hand-written on ``asyncio.Protocol``: a framework server (aiohttp.web, uvicorn) spends
more CPU per request than the clients under test, and then the sink, not the client, sets
the ceiling that every ratio is measured against. Parsing is deliberately minimal: find
the end of the head, read Content-Length, answer. Control paths (``GET /__count``,
``/__stats``, ``/__reset``) are answered on the same port and are not counted.

Run as a process: ``python -m benchmarks.sinks http --port 0 --delay 0.05`` prints the
port (or ports, with ``--listeners``) on stdout and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
import time
from urllib.parse import unquote_plus

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
SNS_NS = "http://sns.amazonaws.com/doc/2010-03-31/"
ACTION_RE = re.compile(rb"(?:^|&)Action=([A-Za-z]+)")
BATCH_ID_RE = re.compile(rb"PublishBatchRequestEntries\.member\.\d+\.Id=([^&]*)")


def http_response(body: bytes, status: str = "200 OK", ctype: bytes = b"text/plain") -> bytes:
    """Build a complete keep-alive response; used for control paths and SNS replies."""
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n".encode()
    return head + b"Content-Type: " + ctype + b"\r\n\r\n" + body


class Sink:
    """State shared by all connections (and listeners) of one sink process."""

    def __init__(self, delay: float = 0.0, stall: bool = False) -> None:
        self.delay = delay
        self.stall = stall
        self.loop = asyncio.get_running_loop()
        self.reset()

    def reset(self) -> None:
        self.count = 0  # requests (HTTP) or successfully published messages (SNS)
        self.failed = 0
        self.requests = 0
        self.first_ns = 0
        self.last_ns = 0
        self.cpu0 = time.process_time()

    def hit(self, n: int = 1) -> None:
        """Record arrivals with a CLOCK_MONOTONIC stamp, comparable across processes."""
        now = time.monotonic_ns()
        if not self.first_ns:
            self.first_ns = now
        self.count += n
        self.requests += 1
        self.last_ns = now

    def snapshot(self) -> dict[str, float]:
        return {
            "count": self.count,
            "failed": self.failed,
            "requests": self.requests,
            "first_ns": self.first_ns,
            "last_ns": self.last_ns,
            "cpu_s": time.process_time() - self.cpu0,
        }

    def control(self, path: bytes) -> bytes:
        if path == b"/__count":
            return http_response(str(self.count).encode())
        body = json.dumps(self.snapshot()).encode()
        if path == b"/__reset":
            self.reset()
        return http_response(body, ctype=b"application/json")

    def handle(self, proto: SinkProtocol, path: bytes, body: bytes) -> None:
        """Answer one plain HTTP request: 200 now, after ``delay``, or never (stall)."""
        self.hit()
        if self.stall:
            return
        if self.delay:
            self.loop.call_later(self.delay, proto.reply, OK)
        else:
            proto.transport.write(OK)


class SnsSink(Sink):
    """Answers AWS query-protocol ``Publish`` / ``PublishBatch`` with botocore-valid XML.

    Every ``fail_every``-th batch entry is reported in ``Failed`` with SenderFault=false,
    which a correct client retries; ``count`` only includes successful messages.
    """

    def __init__(self, fail_every: int = 0) -> None:
        super().__init__()
        self.fail_every = fail_every
        self.seq = 0
        self.entries = 0

    def _mid(self) -> str:
        self.seq += 1
        return f"{self.seq:08x}-5e5e-4a4a-8b8b-{self.seq:012x}"

    def handle(self, proto: SinkProtocol, path: bytes, body: bytes) -> None:
        match = ACTION_RE.search(body)
        action = match.group(1) if match else b""
        if action == b"Publish":
            self.hit()
            result = f"<PublishResult><MessageId>{self._mid()}</MessageId></PublishResult>"
        elif action == b"PublishBatch":
            result = self._batch(BATCH_ID_RE.findall(body))
        else:
            err = (
                f'<ErrorResponse xmlns="{SNS_NS}"><Error><Type>Sender</Type>'
                f"<Code>InvalidAction</Code><Message>unsupported {action!r}</Message></Error>"
                f"<RequestId>{self._mid()}</RequestId></ErrorResponse>"
            )
            proto.transport.write(http_response(err.encode(), "400 Bad Request", b"text/xml"))
            return
        name = action.decode()
        xml = (
            f'<{name}Response xmlns="{SNS_NS}">{result}'
            f"<ResponseMetadata><RequestId>{self._mid()}</RequestId></ResponseMetadata>"
            f"</{name}Response>"
        )
        proto.transport.write(http_response(xml.encode(), ctype=b"text/xml"))

    def _batch(self, raw_ids: list[bytes]) -> str:
        ok: list[str] = []
        failed: list[str] = []
        for raw in raw_ids:
            entry_id = unquote_plus(raw.decode())
            self.entries += 1
            if self.fail_every and self.entries % self.fail_every == 0:
                failed.append(
                    f"<member><Id>{entry_id}</Id><Code>InternalError</Code>"
                    "<Message>injected failure</Message><SenderFault>false</SenderFault></member>"
                )
            else:
                ok.append(
                    f"<member><Id>{entry_id}</Id><MessageId>{self._mid()}</MessageId></member>"
                )
        self.hit(len(ok))
        self.failed += len(failed)
        return (
            f"<PublishBatchResult><Successful>{''.join(ok)}</Successful>"
            f"<Failed>{''.join(failed)}</Failed></PublishBatchResult>"
        )


class SinkProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive framing only: head up to CRLFCRLF, then Content-Length bytes."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buf = bytearray()
        self.transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def reply(self, data: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            start = end + 4
            pos = head.find(b"content-length:")
            if pos >= 0:
                eol = head.find(b"\r\n", pos)
                stop = start + int(head[pos + 15 : eol if eol >= 0 else None])
            elif b"transfer-encoding: chunked" in head:
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
            first = head[: head.find(b"\r\n")].split(b" ")
            path = first[1] if len(first) > 1 else b"/"
            if path.startswith(b"/__"):
                self.transport.write(self.sink.control(path))
            else:
                self.sink.handle(self, path, body)
            if b"connection: close" in head and not self.sink.delay:
                self.transport.close()
                return


async def serve(kind: str, host: str, port: int, listeners: int, args: argparse.Namespace) -> None:
    if kind == "sns":
        fail_every = round(1 / args.fail_fraction) if args.fail_fraction > 0 else 0
        sink: Sink = SnsSink(fail_every)
    else:
        sink = Sink(delay=args.delay, stall=kind == "blackhole" or args.delay < 0)
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(
            lambda: SinkProtocol(sink), host, port if i == 0 else 0, backlog=4096
        )
        for i in range(listeners)
    ]
    ports = [str(s.sockets[0].getsockname()[1]) for s in servers]
    sys.stdout.write(" ".join(ports) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sinks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", choices=["http", "blackhole", "sns"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--listeners", type=int, default=1, help="extra ports sharing counts")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds; <0 never answers")
    parser.add_argument("--fail-fraction", type=float, default=0.0, help="SNS batch entries")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.kind, args.host, args.port, args.listeners, args))


if __name__ == "__main__":
    main()
