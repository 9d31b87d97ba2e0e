"""httpx-compatible clients: ``httpx2`` and ``httpx``, imported only when used.

Two packages offer httpx's interface: ``httpx`` (whose project has stalled) and
``httpx2``, its maintained continuation (on ``httpcore2``). signalhooks depends on
neither (the extras ``signalhooks[httpx2]`` and ``signalhooks[httpx]`` install them)
and imports neither here: a user's ``http_client=`` is recognised among the packages
already imported (an ``httpx2.AsyncClient`` exists only once ``httpx2`` is), and
``HTTP_TRANSPORT = "httpx"`` imports the path it picks on first use
(:mod:`~signalhooks.transports.httpx_paths`).

:class:`HttpxRequests` sends one request with a client of either package and turns
its errors into :class:`~signalhooks.exceptions.TransportError`; :class:`HttpxTransport`
is one client, given as an instance or a zero-argument factory.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from types import ModuleType
from typing import Any

import aiohttp
from django.core.exceptions import ImproperlyConfigured

from ..exceptions import TransportError
from .http import USER_AGENT, HTTPResponse

__all__ = ["PACKAGES", "HttpxRequests", "HttpxTransport", "check_http_client", "package_of"]

#: The packages whose ``AsyncClient`` is accepted, the maintained one first.
PACKAGES = ("httpx2", "httpx")

#: An ``httpx2.AsyncClient`` or an ``httpx.AsyncClient`` (neither is imported to type it).
AsyncClient = Any


def _imported() -> list[ModuleType]:
    # A None entry in sys.modules marks a package as not importable: skip it too.
    return [module for name in PACKAGES if (module := sys.modules.get(name)) is not None]


def package_of(client: object) -> ModuleType | None:
    """The package (``httpx2`` or ``httpx``) whose ``AsyncClient`` ``client`` is, or ``None``."""
    for module in _imported():
        if isinstance(client, module.AsyncClient):
            return module
    return None


def check_http_client(owner: str, client: object) -> None:
    """``http_client=``: ``None``, an ``httpx2``/``httpx`` ``AsyncClient``, or a factory."""
    if client is None or package_of(client) is not None:
        return
    for module in _imported():
        if isinstance(client, module.Client):
            name = module.__name__
            raise ImproperlyConfigured(
                f"{owner}: http_client= must be an {name}.AsyncClient (or a factory returning "
                f"one); {name}.Client is synchronous"
            )
    if not callable(client):
        raise ImproperlyConfigured(
            f"{owner}: http_client= must be an httpx2.AsyncClient or httpx.AsyncClient, or a "
            f"zero-argument callable returning one, not {client!r}"
        )


class HttpxRequests:
    """``request()`` for the transports that send with httpx2/httpx clients.

    A subclass lends one client (and its package) per request with :meth:`client_for`.
    """

    def client_for(self, url: str) -> AbstractContextManager[tuple[AsyncClient, ModuleType]]:
        raise NotImplementedError

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
        with self.client_for(url) as (client, package):
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
            except package.TimeoutException as exc:
                cause = exc.__cause__
                # The httpx-aiohttp transport maps aiohttp's connection errors (refused,
                # reset) to ConnectTimeout: name what happened, not a timeout.
                if isinstance(cause, aiohttp.ClientError) and not isinstance(cause, TimeoutError):
                    raise TransportError(f"{type(cause).__name__}: {cause}") from cause
                raise TransportError(f"timed out after {timeout:g}s") from None
            except package.HTTPError as exc:  # connection, protocol, a user client's own
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            except TimeoutError:
                raise TransportError(f"timed out after {timeout:g}s") from None
            except aiohttp.ClientError as exc:  # what the httpx-aiohttp transport does not map
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc


class HttpxTransport(HttpxRequests):
    """Sends with one ``AsyncClient`` of ``httpx2`` or ``httpx``, or a factory's.

    A factory is called on the delivery loop (and again in a forked child), which
    is the safest way to hand over a loop-bound client. A factory that raises
    :class:`~signalhooks.exceptions.TransportError` fails the request with it as is.
    """

    def __init__(self, client: AsyncClient | Callable[[], AsyncClient]) -> None:
        self._factory: Callable[[], AsyncClient] | None = None
        self._client: AsyncClient | None = None
        self._package = package_of(client)
        if self._package is not None:
            self._client = client
        else:
            self._factory = client

    @contextmanager
    def client_for(self, url: str) -> Iterator[tuple[AsyncClient, ModuleType]]:
        if self._client is None or self._package is None:
            assert self._factory is not None
            try:
                client = self._factory()
            except TransportError:
                raise
            except Exception as exc:
                raise TransportError(
                    f"http_client factory raised {type(exc).__name__}: {exc}", retryable=False
                ) from exc
            package = package_of(client)
            if package is None:
                raise TransportError(
                    f"http_client factory returned {type(client).__name__}, "
                    "not an httpx2.AsyncClient or httpx.AsyncClient",
                    retryable=False,
                )
            self._client, self._package = client, package
        yield self._client, self._package

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
