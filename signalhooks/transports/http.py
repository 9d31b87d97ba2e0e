"""HTTP transports behind one tiny interface: ``request()`` and ``aclose()``.

``AiohttpTransport`` is the default, and the fastest (docs/performance.md). The
httpx-compatible transports (a user's own ``http_client=``, ``HTTP_TRANSPORT =
"httpx"``) are in :mod:`~signalhooks.transports.httpx_compat` and
:mod:`~signalhooks.transports.httpx_paths`. None follows redirects: a 3xx is a failed
delivery, as in the Standard Webhooks world.

TLS certificates are verified by default. A hook's ``ssl_context=`` (a CA bundle,
a client certificate) is passed to aiohttp per request; for a user's own httpx
client, configure ``verify=`` / ``cert=`` on that client.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from yarl import URL

from ..exceptions import BlockedAddressError, TransportError
from .guard import GuardedResolver, check_host

__all__ = [
    "AiohttpTransport",
    "BoundSSLTransport",
    "HTTPResponse",
    "HTTPTransport",
    "TransportError",
]

USER_AGENT = "signalhooks/1.0"


@dataclass(frozen=True, slots=True)
class HTTPResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes  # at most the configured body limit


class HTTPTransport(Protocol):
    """What a delivery needs from an HTTP client."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        content: bytes,
        timeout: float,
        body_limit: int,
    ) -> HTTPResponse: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """One pooled ``aiohttp.ClientSession`` per process (created lazily on the loop).

    With ``block_private=True`` the session resolves through
    :class:`~signalhooks.transports.guard.GuardedResolver` and IP-literal URLs are
    checked too: loopback/private/link-local/metadata targets fail, not retried.
    """

    def __init__(self, *, limit: int, block_private: bool = False) -> None:
        self._limit = limit
        self._block_private = block_private
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                limit_per_host=0,
                ttl_dns_cache=300,
                resolver=GuardedResolver() if self._block_private else None,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": USER_AGENT}, trust_env=False
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        content: bytes,
        timeout: float,
        body_limit: int,
        ssl_context: ssl.SSLContext | None = None,
    ) -> HTTPResponse:
        client_timeout = self._timeouts.get(timeout)
        if client_timeout is None:
            client_timeout = self._timeouts[timeout] = aiohttp.ClientTimeout(total=timeout)
        try:
            if self._block_private:
                check_host(URL(url).host or "")
            async with self._get_session().request(
                method,
                url,
                params=params or None,
                headers=headers,
                data=content,
                timeout=client_timeout,
                allow_redirects=False,
                ssl=ssl_context if ssl_context is not None else True,
            ) as response:
                # read(n) may return less than is there; loop up to the cap, never beyond
                # (and not once more at EOF: an extra await per request, measurable).
                body = b""
                while len(body) < body_limit and not response.content.at_eof():
                    chunk = await response.content.read(body_limit - len(body))
                    if not chunk:
                        break
                    body += chunk
                return HTTPResponse(response.status, response.headers, body)
        except BlockedAddressError as exc:
            raise TransportError(str(exc), retryable=False) from None
        except TimeoutError:
            raise TransportError(f"timed out after {timeout:g}s") from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, BlockedAddressError):
                raise TransportError(str(exc.os_error), retryable=False) from None
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        except aiohttp.ClientError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class BoundSSLTransport:
    """The shared aiohttp transport, with one hook's ``ssl_context`` on every request.

    Owns nothing: closing the shared transport is its owner's job.
    """

    def __init__(self, inner: AiohttpTransport, ssl_context: ssl.SSLContext) -> None:
        self._inner = inner
        self._ssl_context = ssl_context

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        content: bytes,
        timeout: float,
        body_limit: int,
    ) -> HTTPResponse:
        return await self._inner.request(
            method,
            url,
            params=params,
            headers=headers,
            content=content,
            timeout=timeout,
            body_limit=body_limit,
            ssl_context=self._ssl_context,
        )

    async def aclose(self) -> None:
        pass
