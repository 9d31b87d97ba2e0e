"""Issue 2, point 6: hooks on any ``Signal()``; unserializable arguments never raise."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.dispatch import Signal

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import decode_instance, outcomes, unique_path
from tests.testapp.models import Pizza

#: Module level, so errors can name it: ``tests.integration.test_custom_signals.order_placed``.
order_placed = Signal()
pizza_baked = Signal()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("created", "action"), [(True, "created"), (False, "updated")])
def test_signal_with_instance_sends_the_model_event(http, connect, created, action):
    path = unique_path("baked")
    connect(pizza_baked, HTTPSignalHook(request_url=http.url(path)))
    pizza = Pizza.objects.create(name="Diavola")
    pizza_baked.send(sender=Pizza, instance=pizza, created=created)
    [request] = http.wait_for(1, path)
    body = request.json()
    assert body["Event"] == f"testapp.Pizza:{action}"
    assert body["InstanceId"] == str(pizza.pk)
    assert decode_instance(body["Instance"]).object.name == "Diavola"


def test_signal_without_instance_sends_named_event_with_kwargs_as_data(http, connect):
    path = unique_path("placed")
    connect(order_placed, HTTPSignalHook(request_url=http.url(path), event="orders.placed"))
    code = uuid.uuid4()
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    order_placed.send(sender=None, order=code, total=Decimal("12.50"), at=when, items=["a", "b"])
    [request] = http.wait_for(1, path)
    body = request.json()
    assert set(body) == {"Event", "EventId", "Timestamp", "Data"}
    assert body["Event"] == "orders.placed"
    # DjangoJSONEncoder: UUID, Decimal and datetime become strings.
    assert body["Data"] == {
        "order": str(code),
        "total": "12.50",
        "at": "2024-05-01T12:30:00Z",
        "items": ["a", "b"],
    }


def test_event_name_may_be_computed_from_the_kwargs(http, connect):
    path = unique_path("named")
    hook = HTTPSignalHook(request_url=http.url(path), event=lambda kw: f"orders.{kw['state']}")
    connect(order_placed, hook)
    order_placed.send(sender=None, state="shipped")
    [request] = http.wait_for(1, path)
    assert request.json()["Event"] == "orders.shipped"


def test_unserializable_kwarg_is_reported_never_raised(http, connect, caplog):
    caplog.set_level(logging.WARNING, logger="signalhooks")
    path = unique_path("bad-kwarg")
    hook = connect(order_placed, HTTPSignalHook(request_url=http.url(path), event="orders.placed"))
    before = signalhooks.stats()
    with outcomes() as seen:
        responses = order_placed.send(sender=None, order=7, blob=object())
        [result] = seen.wait(hook)
    assert responses == [(hook, None)]
    assert not result.ok and result.attempts == 0
    assert seen.signalled(hook) == [False]
    for part in (repr(hook), "tests.integration.test_custom_signals.order_placed", "'blob'"):
        assert part in result.error, result.error
    assert any(result.error in r.getMessage() for r in caplog.records if r.name == "signalhooks")
    after = signalhooks.stats()
    assert after["failed"] - before["failed"] == 1
    assert after["pending"] == before["pending"]
    assert signalhooks.flush(5)
    assert http.requests(path) == []


@pytest.mark.django_db(transaction=True)
def test_sync_hook_called_from_an_event_loop_does_not_raise(http, connect):
    # A sync send() from async code with an instance whose serialization needs the DB
    # (User's m2m fields) raises SynchronousOnlyOperation inside Django's serializer.
    # The sync receiver must report that, not raise it into send().
    path = unique_path("sync-in-async")
    user = User.objects.create(username="grace")
    hook = connect(pizza_baked, HTTPSignalHook(request_url=http.url(path)))

    async def send_from_async_code() -> list[tuple[object, object]]:
        return pizza_baked.send(sender=User, instance=user, created=True)

    with outcomes() as seen:
        responses = asyncio.run(send_from_async_code())
        [result] = seen.wait(hook)
    assert responses == [(hook, None)]
    assert not result.ok
    assert "SynchronousOnlyOperation" in result.error
    assert "tests.integration.test_custom_signals.pizza_baked" in result.error


def test_sync_sends_inside_an_event_loop_each_snapshot_the_instance(http, connect):
    # Two synchronous sends of one custom signal within one loop iteration, the
    # instance changed in between, and hooks whose conditions pick one send each:
    # the second hook must see the second state (no snapshot shared across sends).
    path_one, path_two = unique_path("iter-one"), unique_path("iter-two")
    connect(
        pizza_baked,
        HTTPSignalHook(request_url=http.url(path_one), when=lambda i, **kw: i.name == "one"),
    )
    connect(
        pizza_baked,
        HTTPSignalHook(request_url=http.url(path_two), when=lambda i, **kw: i.name == "two"),
    )
    pizza = Pizza(pk=5, name="one")

    async def send_twice() -> None:
        pizza_baked.send(sender=Pizza, instance=pizza, created=False)
        pizza.name = "two"
        pizza_baked.send(sender=Pizza, instance=pizza, created=False)

    asyncio.run(send_twice())
    [one] = http.wait_for(1, path_one)
    [two] = http.wait_for(1, path_two)
    assert decode_instance(one.json()["Instance"]).object.name == "one"
    assert decode_instance(two.json()["Instance"]).object.name == "two"
    assert one.json()["EventId"] != two.json()["EventId"]
