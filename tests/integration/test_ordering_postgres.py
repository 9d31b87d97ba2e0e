"""Per-object order with real worker processes on PostgreSQL: 20 objects updated 10 times
each by 4 concurrent producers, a receiver that fails a fifth of first attempts, and
every object's versions arriving in the order they were committed."""

from __future__ import annotations

import json
import queue
import random
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from signalhooks.signals import delivery_failed
from tests.helpers import decode_instance
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
    worker_thread,
)
from tests.support.received import ReceivedRequest
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until
from tests.support.workers import signalhooks_worker
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
pizzas = Pizza.objects.using("pg")
OBJECTS, VERSIONS, PRODUCERS = 20, 10, 4
SCHEDULE = [0, 0.2, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5]


def _bump(pk: int) -> None:
    """One producer's update of one object: its next version, in a transaction."""
    with transaction.atomic(using="pg"):
        pizza = pizzas.select_for_update().get(pk=pk)
        pizza.price += 1
        pizza.save(update_fields=["price"])


def _produce(work: queue.Queue[int], errors: list[BaseException]) -> None:
    try:
        while True:
            try:
                pk = work.get_nowait()
            except queue.Empty:
                return
            _bump(pk)
    except BaseException as exc:  # surfaced in the test thread
        errors.append(exc)
    finally:
        connections.close_all()


def _arrivals(bodies: list[bytes]) -> dict[int, list[int]]:
    """Per object, the version of every request that reached the receiver, in order."""
    seen: dict[int, list[int]] = defaultdict(list)
    for body in bodies:
        obj = decode_instance(json.loads(body)["Instance"])
        seen[obj.object.pk].append(int(Decimal(obj.object.price)))
    return seen


def test_each_objects_versions_arrive_in_commit_order_through_failures(connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": SCHEDULE}
    with RecordingServer() as sink:
        seen: set[str] = set()

        def fail_a_fifth_of_first_attempts(request: ReceivedRequest) -> int:
            new = request.event_id not in seen
            seen.add(request.event_id)
            return 503 if new and len(seen) % 5 == 0 else 200

        sink.behave(answer=fail_a_fifth_of_first_attempts)
        connect(post_save, HTTPSignalHook(sink.url(), durable=True, ordered=True), Pizza)
        env = subprocess_env(
            "pg",
            [{"url": sink.url(), "ordered": True}],
            {"DURABLE_LEASE": 30, "DURABLE_RETRY_SCHEDULE": SCHEDULE},
        )
        workers = [signalhooks_worker(env, "--poll", "0.1") for _ in range(3)]
        try:
            pks = [p.pk for p in pizzas.bulk_create(Pizza(name=f"o{n}") for n in range(OBJECTS))]
            work: queue.Queue[int] = queue.Queue()
            for pk in random.sample(pks * VERSIONS, len(pks) * VERSIONS):
                work.put(pk)
            errors: list[BaseException] = []
            producers = [
                threading.Thread(target=_produce, args=(work, errors)) for _ in range(PRODUCERS)
            ]
            for producer in producers:
                producer.start()
            for producer in producers:
                producer.join(60)
            assert not errors, errors
            total = OBJECTS * VERSIONS
            sink.wait(lambda s: len(s.distinct()) == total, 90, "every version of every object")
            wait_until(lambda: not rows.filter(status="pending").exists(), 30, "rows recorded")
        finally:
            outputs = [w.stop() for w in workers]
        assert [w.returncode for w in workers] == [0, 0, 0], outputs
        assert set(rows.values_list("status", flat=True)) == {"delivered"}
        arrivals = _arrivals([r.body for r in sink.requests()])
        assert sorted(arrivals) == sorted(pks)
        for pk, versions in arrivals.items():
            # Retries repeat a version; none arrives after a later one.
            assert versions == sorted(versions), (pk, versions)
            assert set(versions) == set(range(1, VERSIONS + 1)), (pk, versions)
        assert sink.count() > total  # some first attempts did fail and were retried


def test_a_dead_head_releases_the_next_and_is_reported(connect, settings):
    settings.SIGNALHOOKS = {
        **settings.SIGNALHOOKS,
        "DURABLE_INLINE": False,
        "DURABLE_RETRY_SCHEDULE": [0, 0.3],
    }
    failed: list[str] = []

    def record(result, **kwargs) -> None:  # type: ignore[no-untyped-def]
        failed.append(result.event_id)

    delivery_failed.connect(record, weak=False)
    try:
        with RecordingServer() as sink:
            connect(post_save, HTTPSignalHook(sink.url(), durable=True, ordered=True), Pizza)
            pizza = pizzas.create(name="head")
            _bump(pizza.pk)
            first, second = rows.order_by("id")
            # The head fails both its attempts.
            sink.behave(answer=lambda request: 503 if request.event_id == first.event_id else 200)
            with worker_thread(using="pg", poll=0.05):
                sink.wait(lambda s: second.event_id in s.event_ids(), 10, "the next one")
                wait_until(lambda: rows.get(pk=second.pk).status == "delivered", 10, "recorded")
        assert rows.get(pk=first.pk).status == "dead"
        assert sink.event_ids() == [first.event_id, first.event_id, second.event_id]
        times = [request.received_at for request in sink.requests()]
        assert times[2] - times[0] >= 0.25  # it waited out the head's retry
        assert failed == [first.event_id]
    finally:
        delivery_failed.disconnect(record)


def test_in_tasks_mode_the_task_that_finishes_a_head_enqueues_the_next(connect, settings):
    settings.SIGNALHOOKS = {
        **settings.SIGNALHOOKS,
        "TASKS_BACKEND": "immediate",
        "TASKS_QUEUE": "webhooks",
        "DURABLE_LEASE": 30,
    }
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True, ordered=True), Pizza)
        pizza = pizzas.create(name="v0")
        with transaction.atomic(using="pg"):  # one task for the three rows, at the commit
            for _ in range(3):
                _bump(pizza.pk)
        sink.wait(lambda s: s.count() == 4, 10, "the four versions")
        wait_until(lambda: not rows.filter(status="pending").exists(), 10, "rows recorded")
    assert [v for _, v in sorted(_arrivals([r.body for r in sink.requests()]).items())] == [
        [0, 1, 2, 3]
    ]
