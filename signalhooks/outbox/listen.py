"""Wake ``signalhooks_worker`` when rows are committed: PostgreSQL ``LISTEN``.

Web processes that leave durable rows to the workers (``DURABLE_INLINE=False``) send a
``NOTIFY`` with each commit that wrote rows (:func:`signalhooks.outbox.wake.notify`).
The worker keeps one extra connection (psycopg 3, async, autocommit) listening on
that channel, which also holds the advisory lock that counts it among the listening
workers (:mod:`.wake`), and claims at once when a notification is its to claim,
instead of waiting for its poll interval.
The poll stays as the fallback: a notification sent while the listening connection
was down is not repeated, and other databases have no NOTIFY.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from django.db import connections

from .wake import listen_statements

__all__ = ["listen"]

logger = logging.getLogger("signalhooks")

#: Keys of Django's connection parameters that only Django's own connection understands.
_DJANGO_ONLY = ("context", "cursor_factory", "prepare_threshold", "server_side_binding")


def _conninfo(using: str) -> dict[str, Any] | None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    try:
        import psycopg  # noqa: F401  (psycopg2 has no asyncio connection)
    except ImportError:
        return None
    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if k not in _DJANGO_ONLY}


async def listen(
    using: str,
    wake: Callable[[str], None],
    joined: Callable[[int], None] | None = None,
    retry: float = 1.0,
) -> None:
    """Call ``wake(payload)`` for every notification on ``using``'s channel, until cancelled.

    ``joined(backend pid)`` is called once listening (and holding the lock) on a new
    connection. Returns at once on a database that cannot notify. A lost connection is
    opened again after ``retry`` seconds, with one ``wake("")`` for what may have been
    missed.
    """
    loop = asyncio.get_running_loop()
    params = await loop.run_in_executor(None, _conninfo, using)
    if params is None:
        return
    import psycopg

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(**params, autocommit=True) as conn:
                for statement in listen_statements():
                    await conn.execute(statement)
                if joined is not None:
                    joined(conn.info.backend_pid)
                wake("")  # rows committed while we were not listening
                async for notification in conn.notifies():
                    wake(notification.payload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("signalhooks worker: LISTEN on %r failed (%s); polling", using, exc)
        await asyncio.sleep(retry)
