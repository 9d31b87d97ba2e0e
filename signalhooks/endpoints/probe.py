"""Test events: one request to one endpoint, now, and its outcome (the admin's action).

The probe uses the endpoint's URL, headers, secret and SSRF rule, with one attempt and
no health bookkeeping; it is sent even to a disabled endpoint (to check it before
enabling it again). Its outcome signals carry ``hook=None``. The attempt is recorded in
the attempts log before :func:`send_test_event` returns (``is_test=True``, no
delivery), on the endpoint's database.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from django.db import router

from ..engine.bridge import get_engine
from ..outbox.attempts import attempt_rows, insert_attempts
from ..outcome.results import Attempt, DeliveryResult
from ..snapshot.events import custom_event
from ..targets.base import Delivery
from .health import EndpointState
from .models import Endpoint
from .target import EndpointTarget

__all__ = ["TEST_EVENT", "send_test_event"]

#: The name of test events.
TEST_EVENT = "signalhooks.test"


class _TestDelivery(Delivery):
    """A test event: its attempt is captured, and kept for the probe to record."""

    __slots__ = ("made",)

    records_attempts = True
    made: Attempt | None

    def take_over(self, attempt: Attempt, done: Callable[[], None]) -> bool:
        self.made = attempt
        return False  # the engine reports it and wakes the probe as for any delivery


def send_test_event(endpoint: Endpoint, message: str) -> DeliveryResult | None:
    """Send ``signalhooks.test`` (``Data = {"message", "endpoint"}``) and wait for the
    outcome, at most the endpoint's timeout plus a margin; ``None`` if it took longer (the
    attempt is then not recorded)."""
    state = EndpointState(endpoint.pk, str(endpoint), tracked=False)
    target = EndpointTarget.build(endpoint, state, max_attempts=1)
    event = custom_event(TEST_EVENT, {"message": message, "endpoint": endpoint.pk})
    waiter: Future[DeliveryResult] = Future()
    delivery = _TestDelivery(event, target, None, None, waiter)
    delivery.made = None
    get_engine().accept(delivery)
    try:
        result = waiter.result(target.timeout + 5.0)
    except FutureTimeout:
        return None
    if delivery.made is not None:
        using = endpoint._state.db or router.db_for_write(Endpoint)
        insert_attempts(attempt_rows([(delivery, delivery.made, None)], is_test=True), using)
    return result
