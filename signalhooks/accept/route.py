"""Where a delivery goes, decided in one place.

A hook's delivery goes to the outbox table (durable: a row in the caller's
transaction, then the in-process attempt), and to the engine: after the commit when
the caller is inside ``transaction.atomic()``, at once otherwise. The decision is
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
from ..outbox.inline import write_row, write_rows
from ..snapshot.events import Event
from ..targets.base import Delivery
from .atomic import in_atomic_block

__all__ = ["Route", "accept", "accept_all", "accept_all_awaited", "accept_awaited", "route_for"]


class Route(NamedTuple):
    """What every hook of one dispatch shares about where its deliveries go."""

    #: ``SIGNALHOOKS["DURABLE"]``: the default of hooks created with ``durable=None``.
    durable_default: bool
    #: The database alias whose open transaction the deliveries wait for, or ``None``.
    on_commit: str | None
    #: The engine's ``accept`` (never blocks, never raises).
    engine_accept: Callable[[Delivery], bool]


def route_for(event: Event) -> Route:
    using = event.using or DEFAULT_DB_ALIAS
    atomic = using if in_atomic_block(using) else None
    return Route(conf.get("DURABLE"), atomic, get_engine().accept)


def accept(delivery: Delivery, durable: bool | None, route: Route) -> None:
    """The caller's thread: store the row if durable, then hand over (on commit if atomic).

    Raises only what the database raises for a durable row (the transaction must not
    commit without it).
    """
    if durable or (durable is None and route.durable_default):
        stored = write_row(delivery)  # joins the caller's transaction
        if stored is None:  # left to the workers
            return
        delivery = stored
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
    if durable or (durable is None and conf.get("DURABLE")):
        stored = await sync_to_async(write_row)(delivery)
        if stored is None:
            return
        delivery = stored
    get_engine().accept_from_loop(delivery)


def accept_all(deliveries: Sequence[Delivery], durable: bool | None, route: Route) -> None:
    """:func:`accept` for the deliveries of one event to several targets (an ``EndpointsHook``).

    Durable: one bulk insert in the caller's transaction for all rows, not one per row.
    """
    if durable or (durable is None and route.durable_default):
        deliveries = write_rows(deliveries)
    for delivery in deliveries:
        accept(delivery, False, route)


async def accept_all_awaited(deliveries: Sequence[Delivery], durable: bool | None) -> None:
    """:func:`accept_awaited` for several deliveries of one event (one bulk insert)."""
    if durable or (durable is None and conf.get("DURABLE")):
        deliveries = await sync_to_async(write_rows)(deliveries)
    engine = get_engine()
    for delivery in deliveries:
        engine.accept_from_loop(delivery)
