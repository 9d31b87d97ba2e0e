"""Helpers for tests that use signalhooks (yours and ours).

Like Django's ``mail.outbox``, :func:`capture_hooks` records what hooks *would*
deliver, with no network::

    from signalhooks.testing import capture_hooks

    with capture_hooks() as sent:
        Pizza.objects.create(name="Margherita")
    assert sent[0].event == "myapp.Pizza:created"

Deliveries are captured when they would be handed to the delivery engine: at
once in autocommit, on commit inside ``atomic()``, never on rollback. Django's
``TestCase`` (and pytest-django's default ``django_db``) never commits; wrap the
code in ``self.captureOnCommitCallbacks(execute=True)`` there, as for e-mails
sent on commit.

Both re-read the endpoints stored in the database (``EndpointsHook``) when they
start, so endpoints of an earlier test never linger in the process's cache.

:func:`deliver_synchronously` keeps real requests but makes every hook call wait
for its delivery's final outcome, so a test can assert on the receiving side
right after ``save()``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .endpoints.index import endpoint_index
from .engine import bridge as _engine_module
from .outcome.results import DeliveryResult
from .targets.base import Delivery, Waiter
from .targets.http import HTTPTarget
from .targets.sns import SNSTarget

__all__ = ["CapturedDelivery", "capture_hooks", "deliver_synchronously", "reset_engine"]


def reset_engine(timeout: float = 10.0) -> bool:
    """Shut this process's delivery engine down and forget it.

    Waits up to ``timeout`` seconds for pending deliveries (what is still pending
    then is reported as failed), closes the network clients, and stops the loop
    thread. The next delivery starts a fresh engine, which reads the current
    ``SIGNALHOOKS`` settings: use it after ``override_settings`` changes
    ``MAX_QUEUE``, ``MAX_IN_FLIGHT`` or ``HTTP_TRANSPORT``. Returns whether every
    pending delivery finished in time.
    """
    with _engine_module._engine_lock:
        engine = _engine_module._engine
        # Forget it first: deliveries accepted from now on go to a new engine
        # instead of a loop that is about to stop.
        _engine_module._engine = None
    if engine is None or engine.pid != os.getpid():
        return True
    return engine.shutdown(timeout)


@dataclass(frozen=True)
class CapturedDelivery:
    """One delivery a hook would have made: what, to where, with which body.

    ``payload`` is the JSON body for HTTP hooks and endpoints, in the target's format
    (``{"Event", "InstanceId", "Instance", "EventId", "Timestamp"}`` or ``{..., "Data"}``
    by default; ``{"type", "timestamp", "data"}`` for "standard"...), and the message
    attributes as ``{name: value}`` for SNS hooks.
    """

    event: str
    event_id: str
    payload: dict[str, Any]
    target: str
    hook: Any
    delivery: Delivery = field(repr=False)
    #: HTTP request headers as they would be sent (signing headers included).
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: The SNS ``Message`` text (``None`` for HTTP hooks).
    message: str | None = None

    @property
    def data(self) -> Any:
        """A custom signal's keyword arguments (``Data``), decoded; ``None`` for model events."""
        text = self.delivery.event.data_json
        return None if text is None else json.loads(text)

    @property
    def instance(self) -> dict[str, Any] | None:
        """The instance as Django's JSON serializer wrote it: ``{"model", "pk", "fields"}``."""
        text = self.delivery.event.instance_json
        return None if text is None else dict(json.loads(text))


# Interceptors stack up (innermost wins) so helpers nest; the engine sees one callable.
_Handler = Callable[["_engine_module.Engine", Delivery], bool]
_stack: list[_Handler] = []
_stack_lock = threading.Lock()


def _dispatch(engine: _engine_module.Engine, delivery: Delivery) -> bool:
    handler = _stack[-1] if _stack else None
    return engine.enqueue(delivery) if handler is None else handler(engine, delivery)


@contextmanager
def _intercepting(handler: _Handler) -> Iterator[None]:
    # Endpoints created by an earlier test (and rolled back, which sends no signal)
    # must not linger in this process's endpoint index.
    endpoint_index.invalidate()
    with _stack_lock:
        _stack.append(handler)
        _engine_module._intercept = _dispatch
    try:
        yield
    finally:
        with _stack_lock:
            _stack.remove(handler)
            if not _stack:
                _engine_module._intercept = None


def _capture(delivery: Delivery) -> CapturedDelivery:
    target, event = delivery.target, delivery.event
    headers: Mapping[str, str] = {}
    message = None
    if isinstance(target, HTTPTarget):
        if delivery.request is None:
            body, headers = target.request_for(event)
        else:
            body, headers = delivery.request.body, delivery.request.headers
        headers = dict(target.prepare_headers(delivery, body, headers))
        payload = json.loads(body)
    elif isinstance(target, SNSTarget):
        sns = target.message_for(delivery)
        message = sns.message
        payload = {
            name: attribute.get("StringValue", attribute.get("BinaryValue"))
            for name, attribute in sns.attributes.items()
        }
    else:  # a target type this helper does not know: the event's own fields
        payload = dict(event.fields())
    return CapturedDelivery(
        event=event.name,
        event_id=event.id,
        payload=payload,
        target=target.name,
        hook=delivery.owner,
        delivery=delivery,
        headers=headers,
        message=message,
    )


@contextmanager
def capture_hooks() -> Iterator[list[CapturedDelivery]]:
    """Record every delivery instead of sending it; yields the (growing) list.

    Nothing reaches the network, the counters of :func:`signalhooks.stats` or the
    outcome signals. ``await hook.async_receiver(...)`` returns at once with an ok
    :class:`~signalhooks.DeliveryResult` whose ``attempts`` is 0.
    """
    sent: list[CapturedDelivery] = []

    def handler(engine: _engine_module.Engine, delivery: Delivery) -> bool:
        sent.append(_capture(delivery))
        if delivery.waiter is not None:
            delivery.waiter.set_result(
                DeliveryResult(
                    target=delivery.target.name,
                    event_id=delivery.event.id,
                    event=delivery.event.name,
                    ok=True,
                    status=None,
                    error=None,
                    attempts=0,
                    duration=0.0,
                    response="captured by signalhooks.testing",
                )
            )
        return True

    with _intercepting(handler):
        yield sent


class _Recording:
    """A waiter that records the result, completes ``done`` and passes it on."""

    def __init__(
        self, inner: Waiter | None, results: list[DeliveryResult], done: Future[DeliveryResult]
    ) -> None:
        self.inner, self.results, self.done = inner, results, done

    def set_result(self, result: DeliveryResult) -> None:
        self.results.append(result)
        self.done.set_result(result)
        if self.inner is not None:
            self.inner.set_result(result)


@contextmanager
def deliver_synchronously(timeout: float = 30.0) -> Iterator[list[DeliveryResult]]:
    """Deliver for real, but make each hook call return only once its delivery finished.

    Yields the list of final :class:`~signalhooks.DeliveryResult` objects, in
    completion order. A delivery still running after ``timeout`` seconds raises
    :class:`TimeoutError` in the code that triggered it (``save()``, or the
    ``on_commit`` callback, which Django logs).
    """
    results: list[DeliveryResult] = []

    def handler(engine: _engine_module.Engine, delivery: Delivery) -> bool:
        # async_receiver awaits its own waiter: never block its loop.
        blocking = delivery.waiter is None and threading.current_thread() is not engine.thread
        done: Future[DeliveryResult] = Future()
        delivery.waiter = _Recording(delivery.waiter, results, done)
        accepted = engine.enqueue(delivery)
        if blocking:
            try:
                done.result(timeout)
            except FutureTimeout:
                raise TimeoutError(
                    f"signalhooks: {delivery.event.name} to {delivery.target.name} "
                    f"did not finish within {timeout}s"
                ) from None
        return accepted

    with _intercepting(handler):
        yield results
