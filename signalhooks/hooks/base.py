"""The hook contract: a sync receiver that snapshots, plus an awaited ``async_receiver``.

A hook object is a *sync* receiver: called by ``Signal.send()`` (and so by
``Model.save()``), it snapshots the event in the caller's thread and hands one
delivery to the background engine, after commit when inside ``atomic()``. It
never waits on the network and never raises into the sender.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypedDict

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.db.models import Model

from .. import registry
from .._internals import caller_frame
from ..accept.batch import accept, end_hook, route_of
from ..accept.route import accept_awaited
from ..engine.waiters import LoopWaiter
from ..outcome.report import report_rejected
from ..outcome.results import DeliveryResult
from ..snapshot.dispatch import Dispatch, join_dispatch, loop_tick
from ..snapshot.events import Event, default_event_name
from ..snapshot.payload import InstanceSerializer, PayloadOptions
from ..targets.base import Delivery, Target, Waiter
from ..telemetry.tracing import error_type
from .conditions import Conditions, Predicate
from .ordering import ObjectOrder
from .previous import PreviousAttributes, check_previous
from .wiring import signal_name

__all__ = ["EventName", "HookOptions", "SignalHook", "rendered_event"]

EventName = str | Callable[[Mapping[str, Any]], str]


class HookOptions(TypedDict, total=False):
    """Payload and condition options shared by every hook (see :class:`SignalHook`)."""

    fields: list[str] | None
    exclude: list[str] | None
    serializer: InstanceSerializer | None
    use_natural_keys: bool
    when: Predicate | None
    when_changed: list[str] | None


# (instance, event) being rendered in this thread. The 0.1.1 payload methods only get
# (instance, created), so an override calling super() on post_delete would otherwise
# rebuild the event as "<Model>:signal", with a new snapshot and event id.
_rendering = threading.local()


def rendered_event(instance: Model) -> Event | None:
    current = getattr(_rendering, "current", None)
    return current[1] if current is not None and current[0] is instance else None


class SignalHook:
    """Base class: turns a signal into a delivery to :attr:`target`.

    Subclasses build ``self.target`` and may override :meth:`render` to prepare a
    request in the caller's thread (for payload methods that need the instance).

    Options every hook accepts (keyword-only; all optional):

    ``event`` (default: ``"app_label.Model:created|updated|deleted"``, or ``"signal"``)
        The event name: a string, or a callable receiving the signal's kwargs
        (``instance``, ``created``, your custom signal's arguments...) and returning one.
    ``fields`` / ``exclude`` (default: every field)
        Field names to include in / leave out of the serialized instance (Django's
        serializer ``fields=``; the pk is always there). Not both.
    ``serializer`` (default: Django's JSON serializer)
        ``callable(instance) -> str | dict`` replacing the serialized instance
        (``Instance``); a dict is JSON-encoded with ``DjangoJSONEncoder``.
    ``use_natural_keys`` (default ``False``)
        Serialize with natural foreign and primary keys (models with ``natural_key()``).
    ``when`` (default: always)
        ``callable(instance, **kwargs) -> bool`` called at signal time with the
        signal's kwargs (``instance`` is ``None`` for signals without one); ``False``
        skips the delivery.
    ``when_changed`` (default: always)
        Field names: a save delivers only if one of them changed since the instance
        was loaded or last saved (a creation always counts; ``save(update_fields=...)``
        without any of them is skipped). Previous values are captured when instances
        are loaded, from memory, with no extra query. Filters ``post_save`` only.

    Invalid options raise ``ImproperlyConfigured`` here; a serialization problem at
    signal time is logged and counted as a failed delivery, never raised into ``save()``.
    """

    target: Target
    #: The name outbox rows record for hooks of this class (read from the class itself,
    #: not inherited). Built-in hooks are ``"http"`` and ``"sns"``; set one on a custom
    #: durable hook class (e.g. ``"myapp.tenant"``) so that moving or renaming the class
    #: never strands a pending row. Without it, rows record ``module.QualName``.
    stored_name: ClassVar[str | None] = None
    #: ``True``: write each delivery to the outbox table in the caller's transaction
    #: (at-least-once, survives crashes; needs ``signalhooks_worker``). ``None``:
    #: follow ``SIGNALHOOKS["DURABLE"]``. See :mod:`signalhooks.outbox`.
    durable: bool | None = None
    #: Per-object order (``HTTPSignalHook(ordered=True)``): finds each event's object.
    _order: ObjectOrder | None = None

    def __init__(
        self,
        *,
        event: EventName | None = None,
        fields: list[str] | None = None,
        exclude: list[str] | None = None,
        serializer: InstanceSerializer | None = None,
        use_natural_keys: bool = False,
        when: Predicate | None = None,
        when_changed: list[str] | None = None,
        previous_attributes: bool = False,
    ) -> None:
        owner = type(self).__name__
        self.payload = PayloadOptions(
            owner,
            fields=fields,
            exclude=exclude,
            serializer=serializer,
            use_natural_keys=use_natural_keys,
        )
        # None: share the default snapshot of this dispatch with other hooks.
        self._serialize = None if self.payload.is_default else self.payload
        self.conditions = Conditions(owner, when=when, when_changed=when_changed)
        #: ``previous_attributes=True``: an update's data carries the changed fields' old
        #: values (in the bodies that have a ``data`` of fields; see the subclasses).
        self.previous_attributes = check_previous(owner, previous_attributes, self.payload)
        self._previous = PreviousAttributes(self, self.payload) if previous_attributes else None
        if event is not None and not (isinstance(event, str) and event) and not callable(event):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: event= must be a non-empty string or a callable "
                f"taking the signal's kwargs, not {event!r}"
            )
        self.event_name = event
        #: No option that needs _prepare: the hook takes the dispatch's shared event.
        self._plain = not (
            self._renders
            or self.conditions.active
            or event is not None
            or self._serialize
            or self._previous
            or self._order is not None
        )
        # Signal.send_robust() logs failures through receiver.__qualname__, which
        # instances lack by default.
        self.__qualname__ = f"{type(self).__qualname__}({self.target.name})"
        registry.add(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.target.name}>"

    # -- sync receiver -----------------------------------------------------------

    def __call__(self, signal: Any = None, sender: Any = None, **kwargs: Any) -> None:
        """Receiver for ``Signal.send()``: snapshot now, deliver in the background."""
        # The sending frame (Signal.send's loop over receivers) marks the dispatch.
        frame = caller_frame(1)
        dispatch = None
        try:
            try:
                dispatch = join_dispatch(self, signal, sender, kwargs, id(frame), frame)
                delivery = self._delivery(dispatch)
                if delivery is not None:
                    route_of(dispatch, delivery)
            except Exception as exc:  # never raise into save(): report and count instead
                self._reject(exc, signal, kwargs, dispatch)
                delivery = None
            if dispatch is not None and delivery is not None:  # database errors propagate
                accept(delivery, self.durable, dispatch)
        finally:  # the last hook of the dispatch writes its durable rows (errors propagate)
            if dispatch is not None:
                end_hook(dispatch, self)

    def _delivery(self, dispatch: Dispatch) -> Delivery | None:
        if not self._plain:
            return self._prepare(dispatch)
        # Default options: the dispatch's shared event, without _prepare.
        event = dispatch.default_event or dispatch.event(None)
        return Delivery(event, self.target, self)

    # -- async receiver ----------------------------------------------------------

    async def async_receiver(
        self, signal: Any = None, sender: Any = None, **kwargs: Any
    ) -> DeliveryResult:
        """Receiver for ``await Signal.asend()``: deliver and return the outcome.

        Works from any event loop: the network clients live on the engine's loop
        and only the result crosses over. Cancelling the awaiting task does not
        cancel the delivery. Delivery is immediate (``asend`` is not used inside
        ``transaction.atomic()``, which Django's async ORM does not offer).
        """
        waiter = LoopWaiter()
        try:
            # asend() starts every async receiver in one loop iteration: that marks it.
            dispatch = join_dispatch(self, signal, sender, kwargs, loop_tick())
        except Exception as exc:  # a bad setting read at signal time
            self._reject(exc, signal, kwargs, None, waiter)
            return waiter.future.result()
        try:
            delivery = self._prepare(dispatch, waiter)
        except SynchronousOnlyOperation:  # serializing touched the DB (e.g. m2m)
            delivery = await sync_to_async(self._prepare)(dispatch, waiter)
        if delivery is None:
            return waiter.future.result()  # settled synchronously, on this loop
        try:
            await accept_awaited(delivery, self.durable)
        except ImproperlyConfigured as exc:  # a bad setting (database errors propagate)
            self._reject(exc, signal, kwargs, dispatch, waiter)
        return await waiter.future

    # -- building deliveries -------------------------------------------------------

    def _prepare(self, dispatch: Dispatch, waiter: Waiter | None = None) -> Delivery | None:
        kwargs = dispatch.kwargs
        try:
            previous = self._previous
            changed = None if previous is None else previous.changes(dispatch)
            conditions = self.conditions
            if conditions.active and not conditions.allows(
                dispatch.signal, kwargs, dispatch.serial
            ):
                if waiter is not None:
                    waiter.set_result(self._skipped(kwargs))
                return None
            event = dispatch.event(
                None if self.event_name is None else self._name_for(kwargs), self._serialize
            )
            if changed:
                assert previous is not None
                event = previous.attach(event, dispatch, changed)
            order_key = None if self._order is None else self._order.key_for(kwargs, event.name)
            request = None
            if self._renders:
                _rendering.current = (kwargs.get("instance"), event)
                try:
                    request = self.render(event, kwargs)
                finally:
                    _rendering.current = None
        except Exception as exc:  # never raise into save(): report and count instead
            if isinstance(exc, SynchronousOnlyOperation) and waiter is not None:
                raise  # async_receiver (the only caller with a waiter) retries in a thread
            self._reject(exc, dispatch.signal, kwargs, dispatch, waiter)
            return None
        delivery = Delivery(event, self.target, self, request, waiter)
        delivery.order_key = order_key
        return delivery

    def _reject(
        self,
        exc: Exception,
        signal: Any,
        kwargs: Mapping[str, Any],
        dispatch: Dispatch | None = None,
        waiter: Waiter | None = None,
    ) -> None:
        """Report an event that could not be built or handed over (a failed delivery).

        The result names the event and, when the dispatch began, its id; the error
        names the hook, the signal and the cause (for a bad setting: the setting).
        """
        name = self._report_name(signal, kwargs)
        event_id = dispatch.id if dispatch is not None else ""
        error = f"{self!r} on {signal_name(signal)}: {type(exc).__name__}: {exc}"
        result = DeliveryResult(
            self.target.name, event_id, name, False, None, error, 0, 0.0, error_type=error_type(exc)
        )
        report_rejected(result, self)
        if waiter is not None:
            waiter.set_result(result)

    def _skipped(self, kwargs: Mapping[str, Any]) -> DeliveryResult:
        # Not a failure and not counted: the hook's own condition said no.
        error = "not delivered: the hook's when/when_changed condition was false"
        name = self._name_for(kwargs) or "?"
        return DeliveryResult(
            self.target.name, "", name, False, None, error, 0, 0.0, error_type="skipped"
        )

    def _report_name(self, signal: Any, kwargs: Mapping[str, Any]) -> str:
        """The event's name for a report: the hook's, else the default one."""
        try:
            name = self._name_for(kwargs)
        except Exception:  # the event name callable is what failed: name the default
            name = None
        return name or default_event_name(signal, kwargs)

    def build_event(self, signal: Any, sender: Any, kwargs: Mapping[str, Any]) -> Event:
        """A new snapshot for this hook of a signal sent with ``kwargs`` (no dispatch shared)."""
        name = None if self.event_name is None else self._name_for(kwargs)
        return Dispatch(signal, sender, dict(kwargs)).event(name, self._serialize)

    def _name_for(self, kwargs: Mapping[str, Any]) -> str | None:
        if self.event_name is None or isinstance(self.event_name, str):
            return self.event_name
        return str(self.event_name(kwargs))

    #: Whether :meth:`render` has anything to do (the built-in hooks: only when a 0.1.1
    #: payload method is overridden); skipping it is most of a hook's own cost.
    _renders = True

    def render(self, event: Event, kwargs: Mapping[str, Any]) -> Any:
        """Request data prepared in the caller's thread, or ``None`` to render from ``event``."""
        return None

    # -- seed helpers ------------------------------------------------------------

    def event_for(self, instance: Model, created: bool | None = None) -> Event:
        """The event being rendered for ``instance`` (0.1.1 payload methods get no event).

        Outside a dispatch (a direct call), a fresh snapshot.
        """
        event = rendered_event(instance)
        if event is None:
            kwargs: dict[str, Any] = {"instance": instance}
            if created is not None:
                kwargs["created"] = created
            event = Dispatch(None, type(instance), kwargs).event(None, self._serialize)
        return event

    def serialize_instance(self, instance: Model) -> str:
        """Base64 of the instance's Django JSON without brackets (the seed's ``Instance``)."""
        event = Dispatch(None, type(instance), {"instance": instance}).event(None, self._serialize)
        return event.instance_b64 or ""
