"""The benchmarks' sink: the one HTTP sink in a process of its own, counting requests.

It answers ``200 {}`` at once, after ``--delay``, or never (``blackhole``), and as
``sns`` speaks SNS's query API (``Publish``, ``PublishBatch``). It remembers counts only,
so that it never sets the ceiling a benchmark measures. Control paths (``GET /__count``,
``/__stats``, ``/__reset``) are answered on the same port and are not counted.

    python -m tests.support.sink_process http --port 0 --delay 0.05

prints the port (or ports, with ``--listeners``) on stdout and serves until killed;
:class:`SinkProcess` starts one and knows its URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
import time
from collections.abc import Sequence
from urllib.parse import unquote_plus

from tests.support.http_sink import HOST, OK, Connection, Sink, response
from tests.support.processes import Process

SNS_NS = "http://sns.amazonaws.com/doc/2010-03-31/"
ACTION_RE = re.compile(rb"(?:^|&)Action=([A-Za-z]+)")
BATCH_ID_RE = re.compile(rb"PublishBatchRequestEntries\.member\.\d+\.Id=([^&]*)")


class CountingSink(Sink):
    """State shared by all connections (and listeners) of one sink process."""

    def __init__(self, delay: float = 0.0, stall: bool = False) -> None:
        super().__init__()
        self.delay = delay
        self.stall = stall
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
            return response(200, str(self.count).encode(), content_type="text/plain")
        body = json.dumps(self.snapshot()).encode()
        if path == b"/__reset":
            self.reset()
        return response(200, body, content_type="application/json")

    def handle(self, connection: Connection, head: bytes, body: bytes) -> None:
        path = head.split(b" ", 2)[1]
        if path.startswith(b"/__"):
            connection.transport.write(self.control(path))
        else:
            self.answer(connection, body)

    def answer(self, connection: Connection, body: bytes) -> None:
        """A plain HTTP request: 200 now, after ``delay``, or never (stall)."""
        self.hit()
        if self.stall:
            return
        if self.delay:
            connection.answer_later(self.delay, OK)
        else:
            connection.transport.write(OK)


class SnsSink(CountingSink):
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

    def answer(self, connection: Connection, body: bytes) -> None:
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
            connection.transport.write(response(400, err.encode(), content_type="text/xml"))
            return
        name = action.decode()
        xml = (
            f'<{name}Response xmlns="{SNS_NS}">{result}'
            f"<ResponseMetadata><RequestId>{self._mid()}</RequestId></ResponseMetadata>"
            f"</{name}Response>"
        )
        connection.transport.write(response(200, xml.encode(), content_type="text/xml"))

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


async def serve(args: argparse.Namespace) -> None:
    if args.kind == "sns":
        fail_every = round(1 / args.fail_fraction) if args.fail_fraction > 0 else 0
        sink: Sink = SnsSink(fail_every)
    else:
        sink = CountingSink(delay=args.delay, stall=args.kind == "blackhole" or args.delay < 0)
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(sink.connection, args.host, port, backlog=4096)
        for port in [args.port] + [0] * (args.listeners - 1)
    ]
    ports = [str(s.sockets[0].getsockname()[1]) for s in servers]
    sys.stdout.write(" ".join(ports) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.sink_process",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", choices=["http", "blackhole", "sns"])
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--listeners", type=int, default=1, help="extra ports sharing counts")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds; <0 never answers")
    parser.add_argument("--fail-fraction", type=float, default=0.0, help="SNS batch entries")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


class SinkProcess(Process):
    """``python -m tests.support.sink_process KIND ARGS``, returned once it listens.

    ``prefix`` goes before the interpreter (``taskset -c 0`` pins it to a core);
    ``url`` is ``http://127.0.0.1:PORT`` of its first listener.
    """

    def __init__(
        self,
        kind: str,
        *args: str,
        prefix: Sequence[str] = (),
        env: dict[str, str] | None = None,
        timeout: float = 15.0,
    ) -> None:
        command = [*prefix, sys.executable, "-m", "tests.support.sink_process", kind, *args]
        super().__init__(command, env=env)
        try:
            self.ports = [int(p) for p in self.wait_for_output("", timeout).split()]
        except AssertionError:
            self.stop()
            raise
        self.url = f"http://{HOST}:{self.ports[0]}"


if __name__ == "__main__":
    main()
