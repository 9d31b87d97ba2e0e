"""HTTP transports behind one tiny interface: ``request()`` and ``aclose()``.

``AiohttpTransport`` is the default: on this project's benchmark it sustains
several times the throughput of httpx 0.28's pool under concurrency (see the
README). ``HttpxTransport`` serves users who pass their own configured
``httpx.AsyncClient`` (proxies, mTLS, auth, test transports). Neither follows
redirects: a 3xx is a failed delivery, as in the Standard Webhooks world.

TLS certificates are verified by default. A hook's ``ssl_context=`` (a CA bundle,
a client certificate) is passed to aiohttp per request; for a user's own httpx
client, configure ``verify=`` / ``cert=`` on that client.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx
from django.core.exceptions import ImproperlyConfigured
from yarl import URL

from ..exceptions import BlockedAddressError, TransportError
from .guard import GuardedResolver, check_host

__all__ = [
    "AiohttpTransport",
    "BoundSSLTransport",
    "HTTPResponse",
    "HTTPTransport",
    "HttpxTransport",
    "TransportError",
    "check_http_client",
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


def check_http_client(owner: str, client: object) -> None:
    """``http_client=``: ``None``, an ``httpx.AsyncClient``, or a zero-argument factory."""
    if client is None or isinstance(client, httpx.AsyncClient):
        return
    if isinstance(client, httpx.Client):
        raise ImproperlyConfigured(
            f"{owner}: http_client= must be an httpx.AsyncClient (or a factory returning one); "
            "httpx.Client is synchronous"
        )
    if not callable(client):
        raise ImproperlyConfigured(
            f"{owner}: http_client= must be an httpx.AsyncClient or a zero-argument callable "
            f"returning one, not {client!r}"
        )


class HttpxTransport:
    """Wraps an ``httpx.AsyncClient``, given as an instance or a zero-argument factory.

    A factory is called on the delivery loop (and again in a forked child), which
    is the safest way to hand over a loop-bound client.
    """

    def __init__(self, client: httpx.AsyncClient | Callable[[], httpx.AsyncClient]) -> None:
        self._factory: Callable[[], httpx.AsyncClient] | None = None
        self._client: httpx.AsyncClient | None = None
        if isinstance(client, httpx.AsyncClient):
            self._client = client
        else:
            self._factory = client

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            assert self._factory is not None
            try:
                client = self._factory()
            except Exception as exc:
                raise TransportError(
                    f"http_client factory raised {type(exc).__name__}: {exc}", retryable=False
                ) from exc
            if not isinstance(client, httpx.AsyncClient):
                raise TransportError(
                    f"http_client factory returned {type(client).__name__}, "
                    "not an httpx.AsyncClient",
                    retryable=False,
                )
            self._client = client
        return self._client

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
        client = self._get_client()
        try:
            # httpx applies its timeout per read: the attempt's total deadline is the
            # target's (an outer asyncio.timeout), which also covers this body loop.
            async with client.stream(
                method,
                url,
                params=params or None,
                headers={"User-Agent": USER_AGENT, **headers},
                content=content,
                timeout=timeout,
                follow_redirects=False,
            ) as response:
                body = b""
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) >= body_limit:
                        break
                return HTTPResponse(response.status_code, response.headers, body[:body_limit])
        except httpx.TimeoutException:
            raise TransportError(f"timed out after {timeout:g}s") from None
        except httpx.HTTPError as exc:  # connection, protocol, and a user client's own errors
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        except TimeoutError:
            raise TransportError(f"timed out after {timeout:g}s") from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def default_httpx_client(
    limit: int, ssl_context: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """The client used when ``HTTP_TRANSPORT = "httpx"`` and none was given."""
    # trust_env=False, as for the aiohttp session: proxy variables of the environment
    # are not used (pass your own http_client= for a proxy).
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=limit),
        verify=ssl_context if ssl_context is not None else True,
        trust_env=False,
    )
