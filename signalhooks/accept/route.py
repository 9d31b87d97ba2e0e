"""Where a delivery goes, decided in one place.

A hook's delivery goes to the outbox table (durable: a row in the caller's
transaction), and to the engine: after the commit when the caller is inside
``transaction.atomic()``, at once otherwise. A durable row is sent by this process
first (``DURABLE_INLINE``, the default), or only written and handed over to the
fleet at commit (:mod:`.fleet_handover`): a NOTIFY that wakes ``signalhooks_worker``
(``DURABLE_INLINE=False``), or a Django task (``TASKS_BACKEND``). The decision is
taken once per dispatch, by its first hook (:func:`route_for`); on cold caches every
call a further hook saves counts in ``save()``. The durable rows of one dispatch are
written together (:mod:`.batch`, then :func:`store`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import partial
from typing import NamedTuple

from asgiref.sync import sync_to_async
from django.db import DEFAULT_DB_ALIAS, transaction

from .. import conf
from .._internals import in_atomic_block
from ..engine.bridge import get_engine
from ..outbox.inline import write_rows
from ..snapshot.events import Event
from ..targets.base import Delivery
from .fleet_handover import hand_over

__all__ = [
    "DurableMode",
    "Route",
    "accept_all_awaited",
    "accept_awaited",
    "durable_mode",
    "route_for",
    "store",
    "to_engine",
]


class DurableMode(StrEnum):
    """Who sends a durable row first."""

    #: This process, once committed; the workers retry what it leaves (``DURABLE_INLINE``).
    INLINE = "inline"
    #: ``signalhooks_worker``, woken at commit (``DURABLE_INLINE=False``).
    FLEET = "fleet"
    #: A Django task, enqueued at commit (``TASKS_BACKEND``).
    TASKS = "tasks"


class Route(NamedTuple):
    """What every hook of one dispatch shares about where its deliveries go."""

    #: ``SIGNALHOOKS["DURABLE"]``: the default of hooks created with ``durable=None``.
    durable_default: bool
    #: The database alias whose open transaction the deliveries wait for, or ``None``.
    on_commit: str | None
    #: The engine's ``accept`` (never blocks, never raises).
    engine_accept: Callable[[Delivery], bool]
    #: Who sends durable rows.
    durable_mode: DurableMode


def route_for(event: Event) -> Route:
    using = event.using or DEFAULT_DB_ALIAS
    atomic = using if in_atomic_block(using) else None
    settings = conf.settings()
    return Route(settings.durable, atomic, get_engine().accept, durable_mode(settings))


def durable_mode(settings: conf.Settings) -> DurableMode:
    if settings.tasks_backend is not None:
        return DurableMode.TASKS
    return DurableMode.INLINE if settings.durable_inline else DurableMode.FLEET


def is_durable(durable: bool | None, default: bool) -> bool:
    return bool(durable) or (durable is None and default)


def store(deliveries: Sequence[Delivery], route: Route) -> Sequence[Delivery]:
    """Write the outbox rows of ``deliveries`` in one INSERT; the deliveries to send now.

    In the caller's transaction when it is inside ``atomic()``, else in autocommit. Rows
    left to the fleet are handed over (one NOTIFY, or the tasks, per transaction); the
    deliveries returned are those this process tries first (:func:`to_engine` them).
    Raises what the database raises: a durable event that cannot be stored must fail
    the transaction rather than commit without it.
    """
    tasks = route.durable_mode is DurableMode.TASKS
    # An enqueued task has a lease's time to claim its row before the sweep takes it.
    after = conf.settings().durable_lease if tasks else 0.0
    # In autocommit the INSERT can wake the workers itself: one round trip, not two.
    wake = route.on_commit is None and not tasks
    inline = route.durable_mode is DurableMode.INLINE
    stored = write_rows(deliveries, inline=inline, after=after, wake=wake)
    if stored.handed:
        hand_over(stored.handed, tasks, route.on_commit is not None)
    return stored.first


def to_engine(deliveries: Sequence[Delivery], route: Route) -> None:
    """Hand ``deliveries`` to the engine: at the commit when inside ``atomic()``."""
    if route.on_commit is None:
        for delivery in deliveries:
            route.engine_accept(delivery)
    elif len(deliveries) == 1:
        accept_one = partial(route.engine_accept, deliveries[0])
        transaction.on_commit(accept_one, using=route.on_commit, robust=True)
    else:
        accept_each = partial(_accept_each, route.engine_accept, list(deliveries))
        transaction.on_commit(accept_each, using=route.on_commit, robust=True)


def _accept_each(engine_accept: Callable[[Delivery], bool], deliveries: list[Delivery]) -> None:
    for delivery in deliveries:
        engine_accept(delivery)


async def accept_awaited(delivery: Delivery, durable: bool | None) -> None:
    """``async_receiver``: the same decision from an event loop.

    ``asend`` is not used inside ``transaction.atomic()`` (Django's async ORM has none),
    so the delivery is handed over at once; the outbox row is written off the loop.
    """
    await accept_all_awaited((delivery,), durable)


async def accept_all_awaited(deliveries: Sequence[Delivery], durable: bool | None) -> None:
    """:func:`accept_awaited` for several deliveries of one event (one bulk insert)."""
    engine = get_engine()
    settings = conf.settings()
    if is_durable(durable, settings.durable):
        route = Route(True, None, engine.accept, durable_mode(settings))
        deliveries = await sync_to_async(store)(deliveries, route)
    for delivery in deliveries:
        engine.accept_from_loop(delivery)
