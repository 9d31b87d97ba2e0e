"""One write per dispatch: every durable row of one ``send()`` in one INSERT, nothing lost
when a receiver of the project's own raises between two hooks.

The hooks here leave their rows to the workers (``DURABLE_INLINE=False``), so that what
the outbox holds is exactly what the hooks wrote (no in-process attempt changes it).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connections, transaction
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.test.utils import CaptureQueriesContext

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks", "worker_only"),
    pytest.mark.django_db(transaction=True),
]


class Boom(Exception):
    pass


@pytest.fixture
def worker_only(settings: Any) -> None:
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE": True, "DURABLE_INLINE": False}


def hook(n: int, **options: Any) -> HTTPSignalHook:
    return HTTPSignalHook(f"http://127.0.0.1:9/hook{n}", durable=True, **options)


def boom_on(name: str) -> Any:
    """A receiver of the project's own that raises for the pizza called ``name``."""

    def receiver(sender: Any, instance: Pizza, **kwargs: Any) -> None:
        if instance.name == name:
            raise Boom(name)

    return receiver


@pytest.fixture
def raising_between(connect: Any) -> None:
    """Two hooks, a receiver of the project's own raising for the pizza "a", a hook."""
    for n in range(2):
        connect(post_save, hook(n), Pizza)
    connect(post_save, boom_on("a"), Pizza)
    connect(post_save, hook(2), Pizza)


def outbox_inserts(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].startswith("INSERT") and "signalhooks_outboxdelivery" in query["sql"]
    )


def targets() -> list[str]:
    return sorted(OutboxDelivery.objects.values_list("target", flat=True))


@pytest.mark.parametrize("atomic", [False, True], ids=["autocommit", "atomic"])
def test_every_hook_of_a_dispatch_writes_in_one_insert(connect, atomic):
    for n in range(5):
        connect(post_save, hook(n), Pizza)
    # The last hook's condition says no: it still ends the batch, and writes it.
    connect(post_save, hook(5, when=lambda instance, **kw: False), Pizza)
    with (
        CaptureQueriesContext(connections["default"]) as queries,
        transaction.atomic() if atomic else _nothing(),
    ):
        Pizza.objects.create(name="margherita")
    assert outbox_inserts(queries) == 1
    assert targets() == [f"POST http://127.0.0.1:9/hook{n}" for n in range(5)]
    assert len(set(OutboxDelivery.objects.values_list("event_id", flat=True))) == 1


def test_send_robust_and_asend_write_once_too(connect):
    def raising_for_order_1(order: int, **kwargs: Any) -> None:
        if order == 1:
            raise Boom(order)

    signal = Signal()
    connect(signal, raising_for_order_1)  # send_robust goes on after it
    for n in range(3):
        connect(signal, hook(n, event="custom"))
    with CaptureQueriesContext(connections["default"]) as queries:
        signal.send_robust(sender=None, order=1)
        async_to_sync(signal.asend)(sender=None, order=2)
    assert outbox_inserts(queries) == 2
    assert OutboxDelivery.objects.count() == 6


def test_a_hook_called_directly_writes_its_row_at_once(connect):
    direct = connect(post_save, hook(0), Pizza)
    connect(post_save, hook(1), Pizza)
    pizza = Pizza.objects.create(name="direct")
    OutboxDelivery.objects.all().delete()
    direct(signal=post_save, sender=Pizza, instance=pizza, created=False)
    assert targets() == ["POST http://127.0.0.1:9/hook0"]


@pytest.mark.usefixtures("raising_between")
def test_autocommit_the_hook_before_a_raising_receiver_has_written_its_rows():
    with pytest.raises(Boom):
        Pizza.objects.create(name="a")
    assert targets() == ["POST http://127.0.0.1:9/hook0", "POST http://127.0.0.1:9/hook1"]
    OutboxDelivery.objects.all().delete()
    with CaptureQueriesContext(connections["default"]) as queries:
        Pizza.objects.create(name="b")
    # In autocommit, a receiver of the project's own between hooks splits the write.
    assert outbox_inserts(queries) == 2
    assert len(targets()) == 3


@pytest.mark.usefixtures("raising_between")
def test_atomic_rows_held_across_a_raising_receiver_go_in_with_the_next_dispatch(caplog):
    with transaction.atomic():
        with pytest.raises(Boom):
            Pizza.objects.create(name="a")
        assert OutboxDelivery.objects.count() == 0  # held: the last hook never came
        with CaptureQueriesContext(connections["default"]) as queries:
            Pizza.objects.create(name="b")
        assert OutboxDelivery.objects.count() == 5  # inside the transaction
    assert outbox_inserts(queries) == 2  # a's rows, then b's three in one
    assert len(targets()) == 5
    assert "ended the dispatch" not in caplog.text


@pytest.mark.usefixtures("raising_between")
def test_atomic_rows_held_across_a_raising_receiver_are_written_after_the_commit(caplog):
    with (
        caplog.at_level(logging.ERROR, logger="signalhooks"),
        transaction.atomic(),
        pytest.raises(Boom),
    ):
        Pizza.objects.create(name="a")
    assert targets() == ["POST http://127.0.0.1:9/hook0", "POST http://127.0.0.1:9/hook1"]
    assert "ended the dispatch of testapp.Pizza:created before its last hook" in caplog.text


@pytest.mark.usefixtures("raising_between")
def test_atomic_rows_of_a_rolled_back_savepoint_are_never_written(caplog):
    with transaction.atomic():
        with pytest.raises(Boom), transaction.atomic():
            Pizza.objects.create(name="a")
        Pizza.objects.create(name="c")
    with pytest.raises(Boom), transaction.atomic():
        Pizza.objects.create(name="a")
    assert list(Pizza.objects.values_list("name", flat=True)) == ["c"]
    assert len(targets()) == 3  # c's only
    assert "ended the dispatch" not in caplog.text


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
