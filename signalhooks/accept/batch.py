"""One write per dispatch: the durable rows of every hook of one signal dispatch, together.

Every hook of one ``post_save.send()`` (code hooks and endpoints alike) adds its
durable deliveries to the dispatch, and the last hook writes them all in one INSERT
(:func:`~signalhooks.accept.route.store`), followed by at most one hand-over (one
NOTIFY, or the tasks) per transaction. Django says nothing when a dispatch ends and
has no pre-commit hook, so the hooks find the end themselves:

* The first hook with a durable row reads the list of receivers that
  ``Signal.send()`` (``send_robust()``, ``asend()``'s sync batch) is calling, from the
  frame that calls it (:func:`signalhooks._internals.sending_receivers`); the last
  signalhooks hook after it in that list ends the batch. Every hook reports the end
  of its call (:func:`end_hook`), also when its condition said no, when no endpoint
  matched, or when its event could not be built, so the last one always writes.
* A receiver that is not signalhooks' may sit between two hooks, and when it raises,
  plain ``send()`` stops its loop: the later hooks never come. Rows held across it
  must not be lost. In autocommit nothing else could write them (no commit to wait
  for), so the hook before such a receiver writes what is held, and the hooks after
  it start a new batch: a write per run of consecutive hooks. Inside ``atomic()`` the
  rows are held across it, and one ``on_commit`` callback is registered as a safety
  net. Rows still unwritten when the next dispatch of the thread starts are written
  then, if that happens in the same transaction at the same savepoint (else they are
  left to the net); the net writes whatever is still unwritten after the commit (in
  autocommit then, logged as an error); a rollback discards the rows with the net.
* A hook called any other way (directly, through a wrapper, by a ``Signal`` subclass
  of your own whose ``send`` lives elsewhere) writes its own rows at the end of its
  call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import islice
from typing import Any

from django.db import transaction

from .. import registry
from .._internals import commit_callbacks, connection_of, savepoint_ids, sending_receivers
from ..snapshot.dispatch import Dispatch
from ..targets.base import Delivery
from .route import Route, is_durable, route_for, store, to_engine

__all__ = ["DispatchRows", "accept", "accept_all", "end_hook", "route_of"]

logger = logging.getLogger("signalhooks")


def route_of(dispatch: Dispatch, delivery: Delivery) -> Route:
    """Where the dispatch's deliveries go, decided by its first delivery (settings read
    here: a bad one raises ``ImproperlyConfigured``)."""
    route: Route | None = dispatch.route
    if route is None:
        route = dispatch.route = route_for(delivery.event)
    return route


def accept(delivery: Delivery, durable: bool | None, dispatch: Dispatch) -> None:
    """The caller's thread: hold the delivery's row for the dispatch's write if durable,
    else hand it to the engine (at the commit when inside ``atomic()``)."""
    route = route_of(dispatch, delivery)
    if durable or (durable is None and route.durable_default):
        _hold(dispatch, route, (delivery,))
    else:
        to_engine((delivery,), route)


def accept_all(deliveries: Sequence[Delivery], durable: bool | None, dispatch: Dispatch) -> None:
    """:func:`accept` for the deliveries of one event to several targets (an ``EndpointsHook``)."""
    route = route_of(dispatch, deliveries[0])
    if is_durable(durable, route.durable_default):
        _hold(dispatch, route, deliveries)
    else:
        to_engine(deliveries, route)


def end_hook(dispatch: Dispatch, hook: object) -> None:
    """Every hook's last step: writes the dispatch's rows if ``hook`` is the batch's end.

    Raises what the database raises for them (see :func:`~.route.store`).
    """
    dispatch.frame = None
    rows: DispatchRows | None = dispatch.rows  # type: ignore[assignment]
    if rows is not None and rows.last is hook:
        dispatch.rows = None
        rows.write()


def _hold(dispatch: Dispatch, route: Route, deliveries: Sequence[Delivery]) -> None:
    rows: DispatchRows | None = dispatch.rows  # type: ignore[assignment]
    if rows is None:
        rows = DispatchRows(route, deliveries[0].owner, dispatch)
        dispatch.rows = rows
    rows.deliveries.extend(deliveries)


class DispatchRows:
    """The durable deliveries of one dispatch, held until :attr:`last` writes them."""

    __slots__ = ("deliveries", "last", "net", "route", "savepoints")

    def __init__(self, route: Route, first: object, dispatch: Dispatch) -> None:
        self.route = route
        self.deliveries: list[Delivery] = []
        self.net: Any = None  # the safety net's on_commit callback, once registered
        self.savepoints: tuple[str, ...] = ()
        alias = route.on_commit
        self.last, crosses = _last_hook(sending_receivers(dispatch.frame), first, alias is None)
        if crosses and alias is not None:
            connection = connection_of(alias)
            self.savepoints = savepoint_ids(connection)
            self.net = self.committed
            transaction.on_commit(self.net, using=alias, robust=True)

    def write(self) -> None:
        deliveries, self.deliveries = self.deliveries, []
        if deliveries:
            to_engine(store(deliveries, self.route), self.route)

    def abandoned(self) -> None:
        """A new dispatch started in the thread before :attr:`last` came (module docstring)."""
        if not self.deliveries:
            return
        alias = self.route.on_commit
        if self.net is not None and alias is not None:
            connection = connection_of(alias)
            registered = any(entry[1] is self.net for entry in commit_callbacks(connection))
            if not registered or savepoint_ids(connection) != self.savepoints:
                return  # rolled back with the net, or written by it after the commit
        self.write()

    def committed(self) -> None:
        """The safety net: the transaction committed with rows still unwritten."""
        if not self.deliveries:
            return
        logger.error(
            "signalhooks: a receiver ended the dispatch of %s before its last hook; its %d "
            "durable rows are written after the commit instead of inside it",
            self.deliveries[0].event.name,
            len(self.deliveries),
        )
        self.route = self.route._replace(on_commit=None)
        self.write()


def _last_hook(receivers: list[Any] | None, first: object, autocommit: bool) -> tuple[object, bool]:
    """The hook that writes a batch ``first`` starts, and whether a receiver that is not
    a hook comes before it (see the module docstring)."""
    if receivers is None:
        return first, False
    try:
        start = receivers.index(first)  # hooks define no __eq__: by identity
    except ValueError:
        return first, False
    last, foreign, crosses = first, False, False
    for receiver in islice(receivers, start + 1, None):
        if registry.is_hook(receiver):
            last, crosses = receiver, foreign
        elif autocommit:
            break
        else:
            foreign = True
    return last, crosses
