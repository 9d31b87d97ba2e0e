"""The set of network clients owned by one delivery loop."""

from __future__ import annotations

from typing import Any

from .. import conf
from .http import AiohttpTransport, BoundSSLTransport, HTTPTransport
from .httpx_compat import HttpxTransport
from .httpx_paths import httpx_transport
from .sns import ClientKey, SNSClients

__all__ = ["Clients"]


class Clients:
    """Created on the loop, used only there, closed by :meth:`aclose` there."""

    def __init__(self) -> None:
        settings = conf.settings()
        # Keyed by BLOCK_PRIVATE_ADDRESSES: a guarded pool never shares connections
        # (or DNS cache entries) with an unguarded one, so flipping the setting (as
        # tests do with override_settings) cannot reuse an unchecked connection.
        self._default_http: dict[bool, HTTPTransport] = {}
        self._custom_http: dict[object, HTTPTransport] = {}
        self._keepalive: list[Any] = []
        self.sns = SNSClients(max_pool_connections=settings.max_in_flight, timeout=settings.timeout)

    def http(self, owner: object, client: Any = None) -> HTTPTransport:
        """The shared pool, or the transport wrapping ``client`` (one per owning target).

        An owner with an ``ssl_context`` attribute (not ``None``) gets the shared
        aiohttp pool with that context per request, or its own httpx-compatible transport
        when ``HTTP_TRANSPORT = "httpx"``. An owner whose ``block_private_addresses`` is true
        gets the guarded aiohttp pool whatever ``BLOCK_PRIVATE_ADDRESSES`` says.
        """
        if client is None:
            # An owner may ask for the guard itself (endpoints stored in the database).
            settings = conf.settings()
            guard = bool(
                settings.block_private_addresses or getattr(owner, "block_private_addresses", 0)
            )
            httpx_default = settings.http_transport == "httpx" and not guard
            limit = settings.max_in_flight
            shared = self._default_http.get(guard)
            if shared is None:
                if httpx_default:
                    shared = httpx_transport(limit)
                else:
                    shared = AiohttpTransport(limit=limit, block_private=guard)
                self._default_http[guard] = shared
            ssl_context = getattr(owner, "ssl_context", None)
            if ssl_context is None:
                return shared
            key = (id(owner), guard)
            transport = self._custom_http.get(key)
            if transport is None:
                if isinstance(shared, AiohttpTransport):
                    transport = BoundSSLTransport(shared, ssl_context)
                else:
                    transport = httpx_transport(limit, ssl_context)
                self._custom_http[key] = transport
                self._keepalive.append(owner)  # keeps id(owner) from being reused
            return transport
        transport = self._custom_http.get(id(owner))
        if transport is None:
            transport = self._custom_http[id(owner)] = HttpxTransport(client)
            self._keepalive.append(owner)  # keeps id(owner) from being reused
        return transport

    async def sns_client(self, key: ClientKey) -> Any:
        return await self.sns.get(key)

    async def aclose(self) -> None:
        transports = [*self._custom_http.values(), *self._default_http.values()]
        for transport in transports:
            await transport.aclose()
        await self.sns.aclose()
        self._default_http.clear()
        self._custom_http.clear()
