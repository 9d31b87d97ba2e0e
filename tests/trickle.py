"""A server that answers too slowly to be waited for: one byte at a time.

The tests' ordinary receiver is :class:`~tests.support.recording.RecordingServer`.
"""

from __future__ import annotations

import asyncio
import threading

from tests.support.ports import HOST


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
