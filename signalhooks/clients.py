"""The set of network clients owned by one delivery loop."""

from __future__ import annotations

from typing import Any

from . import conf
from .transports.http import AiohttpTransport, HTTPTransport, HttpxTransport, default_httpx_client
from .transports.sns import ClientKey, SNSClients

__all__ = ["Clients"]


class Clients:
    """Created on the loop, used only there, closed by :meth:`aclose` there."""

    def __init__(self) -> None:
        limit = conf.get("MAX_IN_FLIGHT")
        self._default_http: HTTPTransport | None = None
        self._custom_http: dict[int, HTTPTransport] = {}
        self._keepalive: list[Any] = []
        self.sns = SNSClients(max_pool_connections=limit, timeout=conf.get("TIMEOUT"))

    def http(self, owner: object, client: Any = None) -> HTTPTransport:
        """The shared pool, or the transport wrapping ``client`` (one per owning target)."""
        if client is None:
            if self._default_http is None:
                limit = conf.get("MAX_IN_FLIGHT")
                if conf.get("HTTP_TRANSPORT") == "httpx":
                    self._default_http = HttpxTransport(lambda: default_httpx_client(limit))
                else:
                    self._default_http = AiohttpTransport(limit=limit)
            return self._default_http
        transport = self._custom_http.get(id(owner))
        if transport is None:
            transport = self._custom_http[id(owner)] = HttpxTransport(client)
            self._keepalive.append(owner)  # keeps id(owner) from being reused
        return transport

    async def sns_client(self, key: ClientKey) -> Any:
        return await self.sns.get(key)

    async def aclose(self) -> None:
        transports = list(self._custom_http.values())
        if self._default_http is not None:
            transports.append(self._default_http)
        for transport in transports:
            await transport.aclose()
        await self.sns.aclose()
        self._default_http = None
        self._custom_http.clear()
