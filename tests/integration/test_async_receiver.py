"""Issue 2, point 5: ``hook.async_receiver`` for ``await signal.asend(...)``."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.contrib.auth.models import Group, User
from django.dispatch import Signal

from signalhooks import DeliveryResult
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import decode_instance, unique_path

SLOW = 0.3


def test_async_receiver_is_detected_as_async_and_the_hook_is_not(http, connect):
    hook = HTTPSignalHook(request_url=http.url(unique_path("detect")))
    assert iscoroutinefunction(hook.async_receiver)
    assert not iscoroutinefunction(hook)
    signal = Signal()
    connect(signal, hook.async_receiver)
    connect(signal, hook)
    sync_receivers, async_receivers = signal._live_receivers(None)
    assert async_receivers == [hook.async_receiver]
    assert sync_receivers == [hook]


def test_twenty_async_receivers_run_concurrently(http, connect):
    path = unique_path("asend20")
    http.behave(path, delay=SLOW)
    signal = Signal()
    hooks = [HTTPSignalHook(request_url=http.url(path), event="asend") for _ in range(20)]
    for hook in hooks:
        connect(signal, hook.async_receiver)

    async def send() -> list[tuple[object, object]]:
        return await signal.asend(sender=None, n=1)

    asyncio.run(send())  # warm-up: engine start and connection set-up are not measured
    started = time.perf_counter()
    responses = asyncio.run(send())
    took = time.perf_counter() - started

    assert took < 0.8, f"asend with 20 x {SLOW}s targets took {took:.2f}s"
    results = [response for _, response in responses]
    assert len(results) == 20
    assert all(isinstance(r, DeliveryResult) for r in results)
    assert all(r.ok and r.status == 200 and r.attempts == 1 for r in results), results
    assert all(r.event == "asend" and r.duration >= SLOW for r in results)
    assert http.peak_in_flight(path) == 20


def test_works_from_fresh_loops_and_from_async_to_sync(http, connect):
    # Network clients are loop-bound: they must live on the engine loop, not the caller's.
    path = unique_path("loops")
    signal = Signal()
    hook = HTTPSignalHook(request_url=http.url(path), event="loops")
    connect(signal, hook.async_receiver)

    first = asyncio.run(signal.asend(sender=None, n=1))
    second = asyncio.run(signal.asend(sender=None, n=2))
    third = async_to_sync(signal.asend)(sender=None, n=3)

    for responses in (first, second, third):
        [(_, result)] = responses
        assert isinstance(result, DeliveryResult) and result.ok, result
    bodies = [r.json() for r in http.wait_for(3, path)]
    assert [b["Data"] for b in bodies] == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_async_receiver_returns_the_failure(http, connect):
    path = unique_path("async-fail")
    http.behave(path, statuses=[404])
    signal = Signal()
    hook = HTTPSignalHook(request_url=http.url(path), event="missing")
    connect(signal, hook.async_receiver)
    [(_, result)] = asyncio.run(signal.asend(sender=None))
    assert (result.ok, result.status, result.attempts) == (False, 404, 1)
    assert result.error == "HTTP 404"


def test_cancelled_caller_does_not_cancel_the_delivery(http, connect):
    path = unique_path("cancel")
    http.behave(path, delay=SLOW)
    signal = Signal()
    hook = HTTPSignalHook(request_url=http.url(path), event="cancel")
    connect(signal, hook.async_receiver)

    async def give_up_early() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await signal.asend(sender=None)

    asyncio.run(give_up_early())
    [request] = http.wait_for(1, path)
    import signalhooks

    assert signalhooks.flush(5)
    [record] = http.requests(path)
    assert record.responded_at is not None and record.status == 200
    assert request.json()["Event"] == "cancel"


@pytest.mark.django_db(transaction=True)
def test_instance_needing_queries_is_serialized_off_the_event_loop(http, connect):
    # User has many-to-many fields: serializing it queries the DB, which Django forbids
    # on a thread running an event loop (SynchronousOnlyOperation). The async receiver
    # must retry in a thread instead of failing the delivery.
    path = unique_path("m2m")
    user = User.objects.create(username="ada")
    user.groups.add(Group.objects.create(name="cooks"))
    signal = Signal()
    hook = HTTPSignalHook(request_url=http.url(path))
    connect(signal, hook.async_receiver)

    [(_, result)] = asyncio.run(signal.asend(sender=User, instance=user, created=False))

    assert result.ok, result
    [request] = http.wait_for(1, path)
    body = request.json()
    assert body["Event"] == "auth.User:updated"
    obj = decode_instance(body["Instance"])
    assert obj.object.username == "ada"
    assert obj.m2m_data["groups"] == [user.groups.get().pk]


def test_hooks_of_one_asend_share_one_snapshot_and_each_asend_gets_its_own(http, connect):
    # snapshot/dispatch.py serializes the instance once per asend dispatch (one loop iteration);
    # a later asend, or a second asend started in the same iteration, is a new event.
    from tests.testapp.models import Pizza

    paths = [unique_path(f"share{i}") for i in range(3)]
    signal = Signal()
    for path in paths:
        connect(signal, HTTPSignalHook(request_url=http.url(path)).async_receiver)
    pizza = Pizza(pk=7, name="first")

    async def send_twice_at_once() -> None:
        await asyncio.gather(
            signal.asend(sender=Pizza, instance=pizza), signal.asend(sender=Pizza, instance=pizza)
        )

    asyncio.run(signal.asend(sender=Pizza, instance=pizza))
    pizza.name = "second"
    asyncio.run(signal.asend(sender=Pizza, instance=pizza))
    asyncio.run(send_twice_at_once())

    bodies = [[r.json() for r in http.wait_for(4, path)] for path in paths]
    for dispatch in range(2):
        first, *others = (per_path[dispatch] for per_path in bodies)
        assert all(other == first for other in others)  # same EventId, same snapshot
    names = [decode_instance(b["Instance"]).object.name for b in bodies[0][:2]]
    assert names == ["first", "second"]
    event_ids = {body["EventId"] for per_path in bodies for body in per_path}
    assert len(event_ids) == 4, "each of the four asend calls is one event"
    for per_path in bodies:
        assert len({body["EventId"] for body in per_path}) == 4
