"""Per-object order: the key an ordered row carries, which rows a claim may take, and that
ordered rows are never sent in process first (SQLite; the processes are in
``test_ordering_postgres.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox import store
from signalhooks.outbox.models import OutboxDelivery
from signalhooks.outcome.results import Attempt
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.django_db(transaction=True),
]
URL = "http://127.0.0.1:9/ordered"


@pytest.fixture
def worker_only(settings: Any) -> None:
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}


def _keys() -> list[str | None]:
    return list(OutboxDelivery.objects.order_by("id").values_list("order_key", flat=True))


@pytest.mark.usefixtures("worker_only")
def test_ordered_rows_name_their_target_and_object(connect):
    connect(post_save, HTTPSignalHook(URL, durable=True, ordered=True), Pizza)
    connect(post_save, HTTPSignalHook(URL + "/plain", durable=True), Pizza)
    pizza = Pizza.objects.create(name="v1")
    assert _keys() == [f"POST {URL}|testapp.pizza:{pizza.pk}", None]


@pytest.mark.usefixtures("worker_only")
def test_a_custom_signal_is_ordered_by_the_argument_the_hook_names(connect):
    placed, baked = Signal(), Signal()
    connect(placed, HTTPSignalHook(URL, durable=True, ordered=True, order_key="order_id"))
    connect(baked, HTTPSignalHook(URL, durable=True, ordered=True, order_key="instance"))
    placed.send(sender=None, order_id=7)
    pizza = Pizza.objects.create(name="an instance names its object")
    baked.send(sender=None, instance=pizza, oven=2)
    assert _keys() == [f"POST {URL}|order_id=7", f"POST {URL}|testapp.pizza:{pizza.pk}"]
    placed.send(sender=None, other=1)  # no order_id: rejected, reported, nothing stored
    assert len(_keys()) == 2


def test_ordered_rows_are_left_to_the_fleet_even_inline(connect):
    connect(post_save, HTTPSignalHook(URL, durable=True, ordered=True), Pizza)
    Pizza.objects.create(name="v1")
    [row] = OutboxDelivery.objects.all()
    assert (row.lease_until, row.locked_by, row.attempts) == (None, "", 0)


@pytest.mark.usefixtures("worker_only")
def test_only_the_head_of_each_object_is_claimed_and_a_dead_head_releases_the_next(connect):
    connect(post_save, HTTPSignalHook(URL, durable=True, ordered=True), Pizza)
    first = Pizza.objects.create(name="a v1")
    Pizza.objects.create(name="b v1")
    with transaction.atomic():
        for version in (2, 3):
            first.name = f"a v{version}"
            first.save()
    a1, b1, a2, a3 = OutboxDelivery.objects.order_by("id").values_list("id", flat=True)

    def claim() -> list[int]:
        return sorted(row.id for row in store.claim("default", "me", 10, 30))

    assert claim() == [a1, b1]
    assert claim() == []  # leased heads still hold their objects back
    # a1 fails and waits for its retry: a2 and a3 wait too; b1 is delivered.
    failed, delivered = Attempt(ok=False, retryable=True, status=503), Attempt(ok=True)
    store.record("default", "me", [(a1, 1, failed, None), (b1, 1, delivered, None)])
    assert claim() == []
    OutboxDelivery.objects.filter(pk=a1).update(status="dead")  # its last attempt failed
    assert claim() == [a2]
    store.record("default", "me", [(a2, 1, Attempt(ok=True, status=200), None)])
    assert claim() == [a3]
