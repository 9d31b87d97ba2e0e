"""Where a delivery goes, decided in one place.

A hook's delivery goes to the outbox table (durable: a row in the caller's
transaction), and to the engine: after the commit when the caller is inside
``transaction.atomic()``, at once otherwise. A durable row is sent by this process
first (``DURABLE_INLINE``, the default), or only written and handed over to the
fleet at commit (:mod:`.handover`): a NOTIFY that wakes ``signalhooks_worker``
(``DURABLE_INLINE=False``), or a Django task (``TASKS_BACKEND``). The decision is
taken once per dispatch, by its first hook (:func:`route_for`); on cold caches every
call a further hook saves counts in ``save()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

from asgiref.sync import sync_to_async
from django.db import DEFAULT_DB_ALIAS, transaction

from .. import conf
from ..engine.bridge import get_engine
from ..outbox.inline import write_queued_rows, write_row, write_rows
from ..snapshot.events import Event
from ..targets.base import Delivery
from .atomic import in_atomic_block
from .handover import hand_over, hand_over_now

__all__ = [
    "FLEET",
    "INLINE",
    "TASKS",
    "Route",
    "accept",
    "accept_all",
    "accept_all_awaited",
    "accept_awaited",
    "route_for",
]

#: Who sends a durable row: this process first, signalhooks_worker, or a Django task.
INLINE, FLEET, TASKS = "inline", "fleet", "tasks"


class Route(NamedTuple):
    """What every hook of one dispatch shares about where its deliveries go."""

    #: ``SIGNALHOOKS["DURABLE"]``: the default of hooks created with ``durable=None``.
    durable_default: bool
    #: The database alias whose open transaction the deliveries wait for, or ``None``.
    on_commit: str | None
    #: The engine's ``accept`` (never blocks, never raises).
    engine_accept: Callable[[Delivery], bool]
    #: Who sends durable rows: :data:`INLINE`, :data:`FLEET` or :data:`TASKS`.
    durable_mode: str


def route_for(event: Event) -> Route:
    using = event.using or DEFAULT_DB_ALIAS
    atomic = using if in_atomic_block(using) else None
    return Route(conf.get("DURABLE"), atomic, get_engine().accept, durable_mode())


def durable_mode() -> str:
    if conf.get("TASKS_BACKEND") is not None:
        return TASKS
    return INLINE if conf.get("DURABLE_INLINE") else FLEET


def _to_fleet(deliveries: Sequence[Delivery], mode: str, on_commit: bool) -> None:
    """Store rows that the fleet sends (workers, or Django tasks) and hand them over."""
    # An enqueued task has a lease's time to claim its row before the sweep takes it.
    after = float(conf.get("DURABLE_LEASE")) if mode == TASKS else 0.0
    for using, row_id, due in write_queued_rows(deliveries, after):
        if due:
            hand_over(using, row_id, mode is TASKS, on_commit)


async def _to_fleet_awaited(deliveries: Sequence[Delivery], mode: str) -> None:
    after = float(conf.get("DURABLE_LEASE")) if mode == TASKS else 0.0
    for using, row_id, due in await sync_to_async(write_queued_rows)(deliveries, after):
        if due:
            await sync_to_async(hand_over_now)(using, row_id, mode is TASKS)


def _durable(durable: bool | None, default: bool) -> bool:
    return bool(durable) or (durable is None and default)


def accept(delivery: Delivery, durable: bool | None, route: Route) -> None:
    """The caller's thread: store the row if durable, then hand over (on commit if atomic).

    Raises only what the database raises for a durable row (the transaction must not
    commit without it).
    """
    # Inline, not through accept_all: this is every hook's path in save().
    if durable or (durable is None and route.durable_default):
        if route.durable_mode is not INLINE:  # the row is the fleet's: hand it over
            _to_fleet((delivery,), route.durable_mode, route.on_commit is not None)
            return
        stored = write_row(delivery)  # joins the caller's transaction
        if stored is None:  # left to the workers
            return
        delivery = stored
    if route.on_commit is not None:
        on_commit = partial(route.engine_accept, delivery)
        transaction.on_commit(on_commit, using=route.on_commit, robust=True)
    else:
        route.engine_accept(delivery)


def accept_all(deliveries: Sequence[Delivery], durable: bool | None, route: Route) -> None:
    """:func:`accept` for the deliveries of one event to several targets (an ``EndpointsHook``).

    Durable: one bulk insert in the caller's transaction for all rows, not one per row.
    """
    if _durable(durable, route.durable_default):
        if route.durable_mode is not INLINE:
            _to_fleet(deliveries, route.durable_mode, route.on_commit is not None)
            return
        deliveries = write_rows(deliveries)
    for delivery in deliveries:
        _to_engine(delivery, route)


def _to_engine(delivery: Delivery, route: Route) -> None:
    if route.on_commit is not None:
        on_commit = partial(route.engine_accept, delivery)
        transaction.on_commit(on_commit, using=route.on_commit, robust=True)
    else:
        route.engine_accept(delivery)


async def accept_awaited(delivery: Delivery, durable: bool | None) -> None:
    """``async_receiver``: the same decision from an event loop.

    ``asend`` is not used inside ``transaction.atomic()`` (Django's async ORM has none),
    so the delivery is handed over at once; the outbox row is written off the loop.
    """
    await accept_all_awaited((delivery,), durable)


async def accept_all_awaited(deliveries: Sequence[Delivery], durable: bool | None) -> None:
    """:func:`accept_awaited` for several deliveries of one event (one bulk insert)."""
    if _durable(durable, conf.get("DURABLE")):
        mode = durable_mode()
        if mode is not INLINE:
            await _to_fleet_awaited(deliveries, mode)
            return
        deliveries = await sync_to_async(write_rows)(deliveries)
    engine = get_engine()
    for delivery in deliveries:
        engine.accept_from_loop(delivery)
