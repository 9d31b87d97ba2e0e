"""A request as the tests' receiver saw it, parsed from the sink's head and body."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl, unquote

from multidict import CIMultiDict, CIMultiDictProxy

#: The event id of the seed format's body (``{"EventId": ...}``, as the library writes it).
EVENT_ID = re.compile(rb'"EventId":"([^"]+)"')


@dataclasses.dataclass(frozen=True)
class ReceivedRequest:
    """One request as the server saw it.

    ``headers`` is a read-only case-insensitive multidict, so ``headers["content-type"]``
    and ``headers["Content-Type"]`` both work, as they would for a real receiver.
    ``responded_at`` is ``None`` while the answer is held (a delay, a stall, or a client
    that went away first); both timestamps are ``time.monotonic()`` values, comparable
    with timestamps taken in the test thread. ``client_port`` identifies the TCP
    connection: equal ports mean a reused connection. ``event_id`` is the body's
    ``EventId`` (``""`` if it has none).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes
    status: int
    client_port: int
    received_at: float
    event_id: str = ""
    responded_at: float | None = None

    def json(self) -> Any:
        """Decode the body as JSON (raises if it is not JSON, which a test should see)."""
        return json.loads(self.body)


def parse_request(head: bytes, body: bytes, client_port: int) -> ReceivedRequest:
    """The request line, headers and body of one request (the status is set later)."""
    received_at = time.monotonic()
    request_line, *lines = head.decode("utf-8", "surrogateescape").split("\r\n")
    method, target = request_line.split(" ")[:2]
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = dechunk(body)
    path, _, query = target.partition("?")
    match = EVENT_ID.search(body)
    return ReceivedRequest(
        method=method,
        path=unquote(path),
        query=dict(parse_qsl(query, keep_blank_values=True)),
        headers=CIMultiDictProxy(headers),
        body=body,
        status=0,
        client_port=client_port,
        received_at=received_at,
        event_id=match.group(1).decode() if match else "",
    )


def dechunk(raw: bytes) -> bytes:
    """The body of a ``Transfer-Encoding: chunked`` message (trailers are dropped)."""
    body, pos = bytearray(), 0
    while True:
        eol = raw.index(b"\r\n", pos)
        size = int(raw[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(body)
        body += raw[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2
