"""Rate limits that hold across processes: one row per limit, one statement per grant.

A target with a ``rate_limit`` (``Endpoint.rate_limit``, ``HTTPSignalHook(rate_limit=)``)
gets a :class:`RateLimit` row on the outbox's database, keyed ``endpoint:<id>`` or
``hook:<hook key>``. Whoever is about to send durable rows of that target (a
``signalhooks_worker``, a task) asks for a grant first (:func:`grant`): one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` that applies GCRA (the generic cell
rate algorithm) to the row under its row lock and says how many of the deliveries
asked for may go now, and when the others may.

GCRA keeps one number per limit, the *theoretical arrival time* ``tat``: with an
interval ``T = 1 / rate`` and a burst of ``B`` deliveries, ``g`` deliveries may go at
time ``now`` when ``max(tat, now) + g·T - now <= B·T``, and ``tat`` then moves to
``max(tat, now) + g·T``. So at most ``B + rate·t`` deliveries go in any window of ``t``
seconds, whatever the number of processes: ``B`` (:func:`burst`) is a tenth of a
second's worth, at least two. Two, because a limit of one would lose capacity to
every delivery that asks a little late (GCRA moves ``tat`` to ``now`` then); with two,
deliveries up to one interval late keep the full rate. Time is the database's
(``statement_timestamp()`` on PostgreSQL), so the clocks of the machines that send do
not matter.

The deliveries not granted take places in the limit's queue, one interval apart after
those deferred before them (``queued``): their rows are released, due at their place
(plus :data:`SLACK`), and ask again then. Rows deferred by several processes at once
so come back one at a time, at the rate they can go, rather than all together.

PostgreSQL and SQLite (one machine; its database lock serialises the processes) are
supported. On other databases a grant allows everything and each process keeps its
own limit (the engine's token bucket); a warning is logged once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

from django.db import connections, models

from .codec import hook_key

__all__ = ["SLACK", "Grant", "RateLimit", "admit", "burst", "grant", "limit_of"]

logger = logging.getLogger("signalhooks")
#: Seconds a deferred row comes back after its place: it then finds its token free
#: even when the clocks of the claimer and of the database differ a little.
SLACK = 0.01


class RateLimit(models.Model):
    """The shared state of one rate limit (see the module docstring)."""

    key: models.CharField[str, str] = models.CharField(max_length=255, primary_key=True)
    #: The theoretical arrival time: seconds since the epoch, on the database's clock.
    tat: models.FloatField[float, float] = models.FloatField(default=0.0)
    #: How many deliveries the last grant allowed (read back by the same statement).
    granted: models.IntegerField[int, int] = models.IntegerField(default=0)
    #: When the deliveries deferred so far may all have gone: the next ones queue after.
    queued: models.FloatField[float, float] = models.FloatField(default=0.0)

    objects: ClassVar[models.Manager[RateLimit]] = models.Manager()

    class Meta:
        app_label = "signalhooks"
        verbose_name = "rate limit"

    def __str__(self) -> str:
        return self.key


class Grant(NamedTuple):
    """How many deliveries may go now; the others go ``wait`` seconds from now, one per
    ``interval`` (a place in the limit's queue, not a promise: they ask again then)."""

    granted: int
    #: Seconds from ``now`` until the first deliveries not granted may go.
    wait: float
    #: The database's time of the grant (seconds since the epoch).
    now: float
    #: Seconds between two deliveries at this rate.
    interval: float


def burst(rate: float) -> int:
    """Deliveries that may go at once after a pause: a tenth of a second's worth, >= 2."""
    return max(2, math.ceil(rate / 10))


def limit_of(hook: Any, target: Any) -> tuple[str, float] | None:
    """``(key, deliveries per second)`` of ``target``'s shared limit, or ``None``."""
    rate = getattr(target, "rate_limit", None)
    if not rate:
        return None
    endpoint_id = getattr(target, "endpoint_id", None)
    key = f"endpoint:{endpoint_id}" if endpoint_id is not None else f"hook:{hook_key(hook)}"
    return key[:255], float(rate)


_TABLE = "signalhooks_ratelimit"


def _statement(now: str, greatest: str, least: str, floor: str) -> str:
    """The grant statement in one database's words (see :func:`grant` for the columns)."""
    granted = (  # G: how many of ``want`` may go now, from the row's current tat
        f"{greatest}(0, {least}(%(want)s, {floor}((%(burst)s * %(interval)s"
        f" - {greatest}({_TABLE}.tat - {now}, 0)) / %(interval)s + 1e-9)))"
    )
    tat = f"{greatest}({_TABLE}.tat, {now}) + {granted} * %(interval)s"
    # The deferred ones queue after the last deferred before them, from the next token.
    start = f"{greatest}({_TABLE}.queued, {tat} - (%(burst)s - 1) * %(interval)s, {now})"
    first = f"{now} + %(first)s * %(interval)s"
    return f"""
INSERT INTO {_TABLE} (key, tat, granted, queued)
VALUES (%(key)s, {first}, %(first)s, {greatest}({first} - (%(burst)s - 1) * %(interval)s, {now})
    + (%(want)s - %(first)s) * %(interval)s)
ON CONFLICT (key) DO UPDATE SET
    granted = {granted},
    tat = {tat},
    queued = {start} + (%(want)s - {granted}) * %(interval)s
RETURNING granted, queued, {now}
"""


_POSTGRESQL = _statement(
    "EXTRACT(EPOCH FROM statement_timestamp())::float8", "GREATEST", "LEAST", "FLOOR"
)
#: SQLite: the clock of the one machine, passed in; CAST AS INTEGER floors (>= 0 here).
_SQLITE = _statement("%(now)s", "MAX", "MIN", "CAST").replace("1e-9)))", "1e-9 AS INTEGER)))")
_warned: set[str] = set()


def grant(using: str, key: str, rate: float, want: int) -> Grant:
    """Ask the limit ``key`` (``rate`` per second) for ``want`` deliveries, in autocommit.

    One statement; raises what the database raises (the caller decides what then).
    """
    interval = 1.0 / rate
    size = burst(rate)
    connection = connections[using]
    params: dict[str, Any] = {
        "key": key,
        "want": want,
        "burst": size,
        "interval": interval,
        "first": min(want, size),
        "now": time.time(),
    }
    if connection.vendor == "postgresql":
        sql = _POSTGRESQL
    elif connection.vendor == "sqlite":
        sql = _SQLITE
    else:
        if connection.vendor not in _warned:
            _warned.add(connection.vendor)
            logger.warning(
                "signalhooks: rate limits are shared between processes on PostgreSQL and "
                "SQLite only; on %s each process keeps its own",
                connection.vendor,
            )
        return Grant(want, 0.0, time.time(), interval)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        granted, queued, now = cursor.fetchone()
    granted, queued, now = int(granted), float(queued), float(now)
    wait = max(0.0, queued - (want - granted) * interval - now) if granted < want else 0.0
    return Grant(granted, wait, now, interval)


Rebuilt = TypeVar("Rebuilt", bound=tuple[Any, tuple[Any, Any, Any, Any]])


def admit(
    using: str, owner: str, rebuilt: Sequence[Rebuilt], *, grace: float = 0.0
) -> tuple[list[Rebuilt], list[tuple[Any, float]]]:
    """The claimed rows their targets' shared limits let go now, and the others.

    ``rebuilt`` pairs each claimed row with its ``(hook, target, event, request)``
    (:func:`~signalhooks.outbox.codec.rebuild_rows`). A row that may not go now is
    released at once (:func:`~signalhooks.outbox.store.release`): due again when the
    limit will let it go (plus ``grace`` seconds), its attempts unchanged, out of the
    claimer's hands. The rows of one limit are spread one interval apart, so that they
    come back at the rate they can go. Returns ``(sendable, [(row, when), ...])`` with
    ``when`` in seconds since the epoch. A grant that fails is logged and its rows go:
    the engine's per-process bucket still holds them back.
    """
    from .store import release

    waiting: dict[tuple[str, float], list[int]] = {}
    for index, (_, (hook, target, _, _)) in enumerate(rebuilt):
        limit = limit_of(hook, target)
        if limit is not None:
            waiting.setdefault(limit, []).append(index)
    if not waiting:
        return list(rebuilt), []
    held: dict[int, float] = {}
    for (key, rate), indexes in waiting.items():
        try:
            allowed = grant(using, key, rate, len(indexes))
        except Exception as exc:
            logger.error("signalhooks: rate limit %s could not be asked (%s); sending", key, exc)
            continue
        start = allowed.now + allowed.wait + SLACK
        for n, index in enumerate(indexes[allowed.granted :]):
            held[index] = start + n * allowed.interval
    deferred = [(rebuilt[index][0], when) for index, when in held.items()]
    release(
        using,
        owner,
        [(row.id, datetime.fromtimestamp(when + grace, UTC)) for row, when in deferred],
    )
    return [pair for index, pair in enumerate(rebuilt) if index not in held], deferred
