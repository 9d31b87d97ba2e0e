"""``EndpointsHook``: each event to every matching endpoint stored in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Unpack

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.db.models import Model

from .._internals import caller_frame
from ..accept.batch import accept_all, end_hook, route_of
from ..accept.route import accept_all_awaited
from ..endpoints.index import Entry, Matches, OwnerKey, endpoint_index
from ..endpoints.target import AllEndpoints, EndpointTarget
from ..engine.waiters import LoopWaiter
from ..outcome.results import DeliveryResult
from ..snapshot.dispatch import Dispatch, join_dispatch, loop_tick
from ..snapshot.events import Event, default_event_name
from ..targets.base import Delivery, Waiter
from .base import EventName, HookOptions, SignalHook
from .options import check_callable, check_durable
from .ordering import ObjectOrder

__all__ = ["EndpointsHook", "Owner"]

#: ``owner=``: called with the signal's ``instance``; returns the owner or ``None``.
Owner = Callable[[Any], Model | None]


class EndpointsHook(SignalHook):
    """Deliver each event to every active :class:`~signalhooks.models.Endpoint` whose
    ``event_types`` match the event name.

    The body is the one :class:`HTTPSignalHook` sends; each request is signed with its
    endpoint's secret (Standard Webhooks) and carries its endpoint's headers. Endpoints
    are read from a per-process cache, not queried per event (see docs/endpoints.md).

    Options, besides those of :class:`SignalHook` (``event``, ``fields``, ``exclude``,
    ``serializer``, ``use_natural_keys``, ``when``, ``when_changed``):

    ``owner`` (default ``None``: every matching endpoint)
        ``callable(instance) -> Model | None``: deliver only to the endpoints whose
        owner is the returned object (``None``: the endpoints without an owner). Called
        only when some endpoint matches the event name.
    ``previous_attributes`` (default ``False``)
        ``True``: the ``data`` of an update, in the "standard" and "cloudevents" bodies,
        carries ``"previous_attributes": {field: value before this save}`` for the sent
        fields that this save changed (left out when none did). The "signalhooks" body
        has no ``data`` of fields, and no such key.
    ``durable`` (default ``True``)
        Write one outbox row per endpoint in the caller's transaction (one bulk insert
        per event), which the attempts log and replay read; ``False`` delivers in
        process only; ``None`` follows ``SIGNALHOOKS["DURABLE"]``.
    ``order_key`` (default ``None``: the instance of a model signal)
        For endpoints with ``ordered`` set: the signal argument naming the object whose
        events reach the endpoint one at a time (see ``HTTPSignalHook``). Ordered
        endpoints need durable delivery: with ``durable=False`` they are sent unordered.

    Each endpoint has its own ``rate_limit`` (shared by every process for durable
    deliveries), ``timeout`` and ``max_attempts`` (empty: the ``SIGNALHOOKS`` settings).
    ``async_receiver`` returns a list of results, one per endpoint.
    """

    target: AllEndpoints
    stored_name = "endpoints"

    def __init__(
        self,
        *,
        owner: Owner | None = None,
        durable: bool | None = True,
        event: EventName | None = None,
        previous_attributes: bool = False,
        order_key: str | None = None,
        **options: Unpack[HookOptions],
    ) -> None:
        name = type(self).__name__
        if owner is not None:
            check_callable(name, "owner", owner, "taking the instance and returning its owner")
        self.durable = check_durable(name, durable)
        #: The objects of events, for endpoints with ``ordered`` set (durable deliveries).
        self._endpoint_order = (
            None
            if durable is False and order_key is None
            else ObjectOrder(name, order_key, durable)
        )
        from django.apps import apps

        if apps.apps_ready and not apps.is_installed("signalhooks"):
            raise ImproperlyConfigured(
                f'{name} reads the Endpoint table: add "signalhooks" to INSTALLED_APPS '
                "(and migrate)"
            )
        self.owner = owner
        self.target = AllEndpoints()
        self._renders = False
        super().__init__(event=event, previous_attributes=previous_attributes, **options)

    # -- routing ---------------------------------------------------------------------

    def _routing_name(self, dispatch: Dispatch) -> str:
        """The event name, known before any snapshot is taken."""
        if self.event_name is not None:
            return self._name_for(dispatch.kwargs) or ""
        return default_event_name(dispatch.signal, dispatch.kwargs)

    def _owner_key(self, kwargs: Mapping[str, Any]) -> OwnerKey:
        assert self.owner is not None
        owner = self.owner(kwargs.get("instance"))
        if owner is None:
            return None
        if not isinstance(owner, Model) or owner.pk is None:
            raise TypeError(f"owner= returned {owner!r}, not a saved model instance or None")
        concrete = owner._meta.concrete_model or type(owner)
        return (concrete._meta.label_lower, str(owner.pk))

    def _plan(
        self, dispatch: Dispatch, name: str, matches: Matches, waiter: Waiter | None = None
    ) -> tuple[Event, tuple[Entry, ...], str | None] | None:
        """The event, its endpoints and its object (for ordered endpoints), or ``None``
        (condition false, nothing, rejected)."""
        kwargs = dispatch.kwargs
        try:
            previous = self._previous
            changed = None if previous is None else previous.changes(dispatch)
            conditions = self.conditions
            if conditions.active and not conditions.allows(
                dispatch.signal, kwargs, dispatch.serial
            ):
                return None
            entries = matches.entries
            if self.owner is not None:
                entries = matches.for_owner(self._owner_key(kwargs))
                if not entries:
                    return None
            event = dispatch.event(None if self.event_name is None else name, self._serialize)
            if changed:
                assert previous is not None
                event = previous.attach(event, dispatch, changed)
            order_key = None
            order = self._endpoint_order
            if order is not None and any(entry.target.ordered for entry in entries):
                order_key = order.key_for(kwargs, event.name)
        except Exception as exc:  # never raise into save(): report and count instead
            if isinstance(exc, SynchronousOnlyOperation) and waiter is not None:
                raise  # async_receiver retries in a thread
            self._reject(exc, dispatch.signal, kwargs, dispatch, waiter)
            return None
        return event, entries, order_key

    def _build(
        self,
        event: Event,
        entries: tuple[Entry, ...],
        order_key: str | None,
        waiters: list[LoopWaiter] | None = None,
    ) -> list[Delivery]:
        deliveries = []
        for n, entry in enumerate(entries):
            waiter = None if waiters is None else waiters[n]
            delivery = Delivery(event, entry.target, self, None, waiter)
            if entry.target.ordered:
                delivery.order_key = order_key
            deliveries.append(delivery)
        return deliveries

    def _observe(self, dispatch: Dispatch) -> None:
        """Nothing to deliver: still keep the previous values of ``when_changed`` and
        ``previous_attributes`` current."""
        if self.conditions.when_changed is not None or self._previous is not None:
            try:
                if self._previous is not None:
                    self._previous.changes(dispatch)
                self.conditions.observe(dispatch.kwargs, dispatch.serial)
            except Exception as exc:
                self._reject(exc, dispatch.signal, dispatch.kwargs, dispatch)

    # -- sync receiver -------------------------------------------------------------

    def __call__(self, signal: Any = None, sender: Any = None, **kwargs: Any) -> None:
        """Receiver for ``Signal.send()``: no query per event (the endpoints are cached),
        and no snapshot when no endpoint matches."""
        frame = caller_frame(1)
        dispatch = None
        try:
            try:
                dispatch = join_dispatch(self, signal, sender, kwargs, id(frame), frame)
                deliveries = self._deliveries(dispatch)
                if deliveries:
                    route_of(dispatch, deliveries[0])
            except Exception as exc:  # never raise into save(): report and count instead
                self._reject(exc, signal, kwargs, dispatch)
                deliveries = []
            if dispatch is not None and deliveries:  # database errors propagate
                accept_all(deliveries, self.durable, dispatch)
        finally:  # the last hook of the dispatch writes its durable rows (errors propagate)
            if dispatch is not None:
                end_hook(dispatch, self)

    def _deliveries(self, dispatch: Dispatch) -> list[Delivery]:
        name = self._routing_name(dispatch)
        matches = endpoint_index.current().match(name)
        if not matches.entries:
            self._observe(dispatch)
            return []
        planned = self._plan(dispatch, name, matches)
        return [] if planned is None else self._build(*planned)

    # -- async receiver --------------------------------------------------------------

    async def async_receiver(  # type: ignore[override]  # one result per endpoint
        self, signal: Any = None, sender: Any = None, **kwargs: Any
    ) -> list[DeliveryResult]:
        """Receiver for ``await Signal.asend()``: the results, one per matching endpoint.

        An empty list when no endpoint matches (or a condition is false); a one-item
        list with the failure when the event could not be built.
        """
        rejected = LoopWaiter()
        dispatch = None
        try:
            dispatch = join_dispatch(self, signal, sender, kwargs, loop_tick())
            name = self._routing_name(dispatch)
            routes = endpoint_index.cached() or await sync_to_async(endpoint_index.current)()
        except Exception as exc:  # the event= callable failed, or a bad setting
            self._reject(exc, signal, kwargs, dispatch, rejected)
            return [rejected.future.result()]
        matches = routes.match(name)
        if not matches.entries:
            self._observe(dispatch)
            return []
        try:
            planned = self._plan(dispatch, name, matches, rejected)
        except SynchronousOnlyOperation:  # serializing touched the DB (e.g. m2m)
            planned = await sync_to_async(self._plan)(dispatch, name, matches)
        if planned is None:
            return [rejected.future.result()] if rejected.future.done() else []
        waiters = [LoopWaiter() for _ in planned[1]]
        try:
            await accept_all_awaited(self._build(*planned, waiters), self.durable)
        except ImproperlyConfigured as exc:  # a bad setting (database errors propagate)
            self._reject(exc, signal, kwargs, dispatch, rejected)
            return [rejected.future.result()]
        return list(await asyncio.gather(*(waiter.future for waiter in waiters)))

    # -- the outbox worker -----------------------------------------------------------

    def target_for(self, endpoint_id: int) -> EndpointTarget:
        """The target of an outbox row of endpoint ``endpoint_id``; ``PayloadError`` (the
        row dies with that reason) when the endpoint was deleted or is disabled."""
        return endpoint_index.target_for(endpoint_id)
