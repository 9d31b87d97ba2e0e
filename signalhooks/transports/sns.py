"""aiobotocore SNS clients: one session per process, one client per account/endpoint.

A session and a client are slow to create (botocore loads its service models and
endpoint rules), so both are created once, on the delivery loop, and closed there.
botocore's own retries are switched off: the engine retries (with the hook's policy)
and releases its slot while waiting.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session

from .http import USER_AGENT
from .query import encode_query_body

__all__ = ["ClientKey", "SNSClients"]

#: (region, access key, secret key, endpoint URL); ``None`` means "botocore decides".
ClientKey = tuple[str, str | None, str | None, str | None]


class SNSClients:
    """Lazily created SNS clients keyed by :data:`ClientKey`."""

    def __init__(self, *, max_pool_connections: int, timeout: float) -> None:
        self._max_pool = max_pool_connections
        self._timeout = timeout
        self._session: AioSession | None = None
        self._clients: dict[ClientKey, Any] = {}
        self._locks: dict[ClientKey, asyncio.Lock] = {}
        self._stack = AsyncExitStack()

    async def get(self, key: ClientKey) -> Any:
        client = self._clients.get(key)
        if client is not None:
            return client
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._clients:
                self._clients[key] = await self._create(key)
        return self._clients[key]

    async def _create(self, key: ClientKey) -> Any:
        region, access_key, secret_key, endpoint_url = key
        if self._session is None:
            self._session = get_session()
        config = AioConfig(
            max_pool_connections=self._max_pool,
            connect_timeout=self._timeout,
            read_timeout=self._timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            # We build the parameters ourselves (and check the size limits first);
            # botocore's validation is a sizeable part of the delivery thread's time.
            parameter_validation=False,
            # A fixed User-Agent: botocore otherwise re-assembles and sanitizes its
            # default one on every request.
            user_agent=f"{USER_AGENT} aiobotocore",
        )
        creator = self._session.create_client(
            "sns",
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            endpoint_url=endpoint_url,
            config=config,
        )
        client = await self._stack.enter_async_context(creator)
        # Before the signer (also a request-created handler): encode the body once.
        client.meta.events.register_first("request-created.sns", encode_query_body)
        return client

    async def aclose(self) -> None:
        await self._stack.aclose()
        self._clients.clear()
