"""The in-process outcome writer of durable deliveries: many rows per transaction.

Driven directly against the test database (SQLite): rows written by ``write_row``
as a hook would, then a batch of attempt outcomes recorded with a handful of
queries, whatever the batch size.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox import inline
from signalhooks.outbox.models import OutboxDelivery
from signalhooks.outcome.report import counters
from signalhooks.outcome.results import Attempt
from signalhooks.snapshot.events import custom_event
from signalhooks.targets.base import Delivery
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("retire_durable_hooks"),
]


def _stored(count: int) -> list[inline.DurableDelivery]:
    hook = HTTPSignalHook("https://writer.example/hook", durable=True)
    out = []
    for n in range(count):
        delivery = Delivery(custom_event("writer", {"n": n}), hook.target, hook)
        durable = inline.write_row(delivery)
        assert durable is not None  # leased for the in-process attempt
        counters.accept()  # as the engine does: the process counters stay balanced
        durable.attempts = 1
        out.append(durable)
    return out


def test_a_batch_of_outcomes_is_recorded_in_a_few_queries_whatever_its_size():
    stored = _stored(300)
    outcomes = [
        Attempt(ok=True, status=200),
        Attempt(ok=True, status=204),
        Attempt(ok=False, retryable=True, status=503, error="HTTP 503"),
        Attempt(ok=False, retryable=False, status=404, error="HTTP 404"),
    ]
    done = threading.Event()
    batch = [(d, outcomes[n % 4], done.set) for n, d in enumerate(stored)]
    with CaptureQueriesContext(connection) as queries:
        inline._Writer()._write(batch)
    # One UPDATE per delivered status code, and bulk updates for the rest (SQLite's
    # variable limit splits them in two): not one query per row.
    writes = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) <= 4, [q["sql"][:80] for q in writes]
    assert done.is_set()
    by_status = {
        status: OutboxDelivery.objects.filter(status=status).count()
        for status in ("delivered", "pending", "dead")
    }
    assert by_status == {"delivered": 150, "pending": 75, "dead": 75}
    assert set(
        OutboxDelivery.objects.filter(status="delivered").values_list("last_status", flat=True)
    ) == {200, 204}
    retrying = OutboxDelivery.objects.filter(status="pending").first()
    assert retrying is not None and retrying.lease_until is None and retrying.attempts == 1


def test_outcomes_put_from_the_delivery_loop_are_all_recorded_by_the_writer_thread():
    stored = _stored(200)
    writer = inline._Writer()
    calls = threading.Semaphore(0)
    for delivery in stored:
        writer.put((delivery, Attempt(ok=True, status=200), calls.release))
    assert calls.acquire(timeout=10)  # done() runs once per batch written
    delivered = OutboxDelivery.objects.filter(status="delivered").count
    wait_until(lambda: delivered() == 200, 10, "every outcome recorded")
