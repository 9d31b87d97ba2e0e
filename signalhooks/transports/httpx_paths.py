"""``HTTP_TRANSPORT = "httpx"``: the fastest httpx-compatible path that is installed.

Each :class:`HttpxPath` is one way to send through httpx's interface: a package
(``httpx2`` or ``httpx``) and what carries its requests (the aiohttp pool through the
``httpx-aiohttp`` transport, the package's own pool, or many one-connection clients).
:data:`PATHS` lists them fastest first, as the benchmark's httpx phase ranks them
(``python -m benchmarks --phases httpx``; docs/performance.md); :func:`httpx_transport`
builds the first whose modules import. Nothing is imported before that.

Why shards: httpcore's pool rescans every connection for each request
(encode/httpcore#1035), so one client with many connections slows down as
concurrency grows; many clients of one connection each do not.
"""

from __future__ import annotations

import importlib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from urllib.parse import urlsplit

from ..exceptions import TransportError
from .http import HTTPTransport
from .httpx_compat import AsyncClient, HttpxRequests, HttpxTransport

__all__ = ["PATHS", "HttpxPath", "ShardedTransport", "httpx_path", "httpx_transport"]


@dataclass(frozen=True)
class HttpxPath:
    """One httpx-compatible way to send, and the extra that installs it."""

    name: str
    modules: tuple[str, ...]  # the package first, then what its transport needs
    extra: str
    sharded: bool
    build_client: Callable[[tuple[ModuleType, ...], int, ssl.SSLContext], AsyncClient]

    def available(self) -> bool:
        try:
            for name in self.modules:
                importlib.import_module(name)
        except ImportError:
            return False
        return True

    def transport(self, limit: int, ssl_context: ssl.SSLContext | None = None) -> HTTPTransport:
        """A transport of up to ``limit`` connections (call only if :meth:`available`)."""
        modules = tuple(importlib.import_module(name) for name in self.modules)
        package = modules[0]
        # One SSL context for every client: each is costly to build. trust_env=False
        # everywhere, as for the aiohttp session: proxy variables of the environment are
        # not used (pass your own http_client= for a proxy).
        context = ssl_context or package.create_ssl_context(trust_env=False)
        if self.sharded:
            return ShardedTransport(limit, package, lambda: self.build_client(modules, 1, context))
        return HttpxTransport(lambda: self.build_client(modules, limit, context))


def _limits(package: ModuleType, limit: int) -> object:
    return package.Limits(max_connections=limit, max_keepalive_connections=limit)


def _own_pool(modules: tuple[ModuleType, ...], limit: int, context: ssl.SSLContext) -> AsyncClient:
    package = modules[0]
    return package.AsyncClient(limits=_limits(package, limit), verify=context, trust_env=False)


def _over_aiohttp(
    modules: tuple[ModuleType, ...], limit: int, context: ssl.SSLContext
) -> AsyncClient:
    package, bridge = modules[0], modules[-1]
    limits = _limits(package, limit)  # aiohttp's connector limit, where the pool is
    transport = bridge.AiohttpTransport(verify=context, trust_env=False, limits=limits)
    return package.AsyncClient(transport=transport, trust_env=False)


#: Fastest first, by the benchmark's httpx phase. ``NAME+aiohttp``: the package's client
#: on the httpx-aiohttp transport; ``-sharded``: one-connection clients (the benchmark
#: also measures one client of ``limit`` connections instead, which is slower).
PATHS = (
    HttpxPath("httpx2+aiohttp", ("httpx2", "httpx_aiohttp.httpx2"), "httpx2", False, _over_aiohttp),
    HttpxPath("httpx+aiohttp", ("httpx", "httpx_aiohttp"), "httpx", False, _over_aiohttp),
    HttpxPath("httpx2-sharded", ("httpx2",), "httpx2", True, _own_pool),
    HttpxPath("httpx-sharded", ("httpx",), "httpx", True, _own_pool),
)


def httpx_path() -> HttpxPath | None:
    """The first of :data:`PATHS` that is installed, or ``None``."""
    return next((path for path in PATHS if path.available()), None)


def httpx_transport(limit: int, ssl_context: ssl.SSLContext | None = None) -> HTTPTransport:
    """The fastest installed path's transport; one that fails every request if none is."""
    path = httpx_path()
    if path is None:
        return HttpxTransport(_no_package)
    return path.transport(limit, ssl_context)


def _no_package() -> AsyncClient:
    # Not retried (installing a package needs a restart); ``manage.py check`` reports it
    # before traffic does (signalhooks.E004).
    raise TransportError(
        "SIGNALHOOKS['HTTP_TRANSPORT'] is 'httpx' but neither httpx2 nor httpx can be "
        "imported: pip install 'signalhooks[httpx2]'",
        retryable=False,
    )


class _Shard:
    __slots__ = ("busy", "client")

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.busy = 0


class ShardedTransport(HttpxRequests):
    """Up to ``size`` clients of one connection each, made by ``new_client``.

    Clients are created as concurrency needs them, and each request goes to an idle
    client whose connection is to the same origin when there is one, so connections
    are reused, not replaced. With more concurrent requests than clients (a worker with
    a larger ``--concurrency``), requests share clients round-robin and wait there.
    """

    def __init__(
        self, size: int, package: ModuleType, new_client: Callable[[], AsyncClient]
    ) -> None:
        self._size = size
        self._package = package
        self._new_client = new_client
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
            shard = _Shard(self._new_client())
            self._shards.append(shard)
        else:
            shard = next((s.pop() for s in self._idle.values() if s), None) or self._shared()
        shard.busy += 1
        return shard

    def _shared(self) -> _Shard:
        self._turn = (self._turn + 1) % len(self._shards)
        return self._shards[self._turn]

    def _release(self, shard: _Shard, origin: str) -> None:
        shard.busy -= 1
        if not shard.busy:
            self._idle.setdefault(origin, []).append(shard)

    @contextmanager
    def client_for(self, url: str) -> Iterator[tuple[AsyncClient, ModuleType]]:
        origin = self._origin(url)
        shard = self._acquire(origin)
        try:
            yield shard.client, self._package
        finally:
            self._release(shard, origin)

    async def aclose(self) -> None:
        shards, self._shards = self._shards, []
        self._idle.clear()
        for shard in shards:
            await shard.client.aclose()
