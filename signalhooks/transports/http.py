"""HTTP transports behind one tiny interface: ``request()`` and ``aclose()``.

``AiohttpTransport`` is the default: it sustains several times the throughput of
httpx's pool under concurrency (docs/performance.md has the figures).
``HttpxPoolTransport`` is ``HTTP_TRANSPORT = "httpx"``: deliveries spread over many
one-connection ``httpx.AsyncClient`` objects, because one client's pool rescans all of
its connections for every request (encode/httpcore#1035) and slows down as
concurrency grows. ``HttpxTransport`` serves users who pass their own configured
``httpx.AsyncClient`` (proxies, mTLS, auth, test transports). None follows
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
from urllib.parse import urlsplit

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
    "HttpxPoolTransport",
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
        return await _httpx_request(
            self._get_client(), method, url, params, headers, content, timeout, body_limit
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _httpx_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str],
    content: bytes,
    timeout: float,
    body_limit: int,
) -> HTTPResponse:
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


class _Shard:
    __slots__ = ("busy", "client")

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.busy = 0


class HttpxPoolTransport:
    """``HTTP_TRANSPORT = "httpx"``: up to ``size`` clients of one connection each.

    httpcore's pool rescans every connection for each request, so one client with
    ``size`` connections spends most of its time in that scan under concurrency; many
    one-connection clients do not (docs/performance.md). Clients are created as
    concurrency needs them, share one SSL context, and each request goes to an idle
    client whose connection is to the same origin when there is one, so connections
    are reused, not replaced. With more concurrent requests than clients (a worker with
    a larger ``--concurrency``), requests share clients round-robin and wait there.
    """

    def __init__(self, size: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._size = size
        self._ssl_context = ssl_context
        self._shards: list[_Shard] = []
        self._idle: dict[str, list[_Shard]] = {}  # by the origin of the last request
        self._origins: dict[str, str] = {}
        self._turn = 0

    def _origin(self, url: str) -> str:
        origin = self._origins.get(url)
        if origin is None:
            if len(self._origins) > 10_000:  # URLs come from hooks; bounded all the same
                self._origins.clear()
            parts = urlsplit(url)
            origin = self._origins[url] = f"{parts.scheme}://{parts.netloc}"
        return origin

    def _acquire(self, origin: str) -> _Shard:
        idle = self._idle.get(origin)
        if idle:
            shard = idle.pop()
        elif len(self._shards) < self._size:
            shard = self._new_shard()
        else:
            shard = next((s.pop() for s in self._idle.values() if s), None) or self._shared()
        shard.busy += 1
        return shard

    def _new_shard(self) -> _Shard:
        if self._ssl_context is None:  # one context for all: each is costly to build
            self._ssl_context = httpx.create_ssl_context(trust_env=False)
        shard = _Shard(default_httpx_client(1, self._ssl_context))
        self._shards.append(shard)
        return shard

    def _shared(self) -> _Shard:
        self._turn = (self._turn + 1) % len(self._shards)
        return self._shards[self._turn]

    def _release(self, shard: _Shard, origin: str) -> None:
        shard.busy -= 1
        if not shard.busy:
            self._idle.setdefault(origin, []).append(shard)

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
        origin = self._origin(url)
        shard = self._acquire(origin)
        try:
            return await _httpx_request(
                shard.client, method, url, params, headers, content, timeout, body_limit
            )
        finally:
            self._release(shard, origin)

    async def aclose(self) -> None:
        shards, self._shards = self._shards, []
        self._idle.clear()
        for shard in shards:
            await shard.client.aclose()


def default_httpx_client(
    limit: int, ssl_context: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    """One client of the ``HTTP_TRANSPORT = "httpx"`` pool (``limit`` connections)."""
    # trust_env=False, as for the aiohttp session: proxy variables of the environment
    # are not used (pass your own http_client= for a proxy).
    return httpx.AsyncClient(
        limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        verify=ssl_context if ssl_context is not None else True,
        trust_env=False,
    )
