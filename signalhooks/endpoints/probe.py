"""Test events: one request to one endpoint, now, and its outcome (the admin's action).

The probe uses the endpoint's URL, headers, secret and SSRF rule, with one attempt and
no health bookkeeping; it is sent even to a disabled endpoint (to check it before
enabling it again). Its outcome signals carry ``hook=None``.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from ..engine.bridge import get_engine
from ..outcome.results import DeliveryResult
from ..snapshot.events import custom_event
from ..targets.base import Delivery
from .health import EndpointState
from .models import Endpoint
from .target import EndpointTarget

__all__ = ["TEST_EVENT", "send_test_event"]

#: The name of test events.
TEST_EVENT = "signalhooks.test"


def send_test_event(endpoint: Endpoint, message: str) -> DeliveryResult | None:
    """Send ``signalhooks.test`` (``Data = {"message", "endpoint"}``) and wait for the
    outcome, at most the endpoint's timeout and 5 s; ``None`` if it took longer."""
    state = EndpointState(endpoint.pk, str(endpoint), tracked=False)
    target = EndpointTarget.build(endpoint, state, max_attempts=1)
    event = custom_event(TEST_EVENT, {"message": message, "endpoint": endpoint.pk})
    waiter: Future[DeliveryResult] = Future()
    get_engine().accept(Delivery(event, target, None, None, waiter))
    try:
        return waiter.result(target.timeout + 5.0)
    except FutureTimeout:
        return None
