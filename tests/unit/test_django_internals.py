"""Every private part of Django that ``signalhooks._django`` reads, checked against the
installed Django (each CI leg runs this file with its own Django release)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.dispatch import Signal

from signalhooks._django import commit_callbacks, savepoint_ids, sending_receivers


class Spy:
    """A receiver that records what ``sending_receivers`` answers for its caller."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def __call__(self, **kwargs: Any) -> None:
        self.seen.append(sending_receivers(sys._getframe(1)))


def _signal_with(spy: Spy) -> tuple[Signal, list[Any]]:
    signal = Signal()
    others = [lambda **kw: None, lambda **kw: None]
    signal.connect(others[0], weak=False)
    signal.connect(spy, weak=False)
    signal.connect(others[1], weak=False)
    return signal, [others[0], spy, others[1]]


@pytest.mark.parametrize("how", ["send", "send_robust", "asend"])
def test_sending_receivers_is_the_list_the_dispatch_loop_calls(how):
    spy = Spy()
    signal, receivers = _signal_with(spy)
    if how == "asend":
        async_to_sync(signal.asend)(sender=None)
    else:
        getattr(signal, how)(sender=None)
    assert spy.seen == [receivers]


def test_sending_receivers_is_none_for_any_other_caller():
    spy = Spy()
    spy()  # a direct call
    (lambda: spy())()  # through a wrapper
    assert spy.seen == [None, None]
    assert sending_receivers(None) is None


@pytest.mark.django_db(transaction=True)
def test_commit_callbacks_lists_the_transactions_callbacks_and_loses_rolled_back_ones():
    def first() -> None: ...
    def second() -> None: ...

    assert commit_callbacks(connection) == []
    with transaction.atomic():
        transaction.on_commit(first)
        with pytest.raises(RuntimeError), transaction.atomic():
            transaction.on_commit(second)
            assert [entry[1] for entry in commit_callbacks(connection)] == [first, second]
            raise RuntimeError
        assert [entry[1] for entry in commit_callbacks(connection)] == [first]
    assert commit_callbacks(connection) == []
    assert commit_callbacks(object()) == []


@pytest.mark.django_db(transaction=True)
def test_savepoint_ids_names_the_open_savepoints():
    assert savepoint_ids(connection) == ()
    with transaction.atomic():
        assert savepoint_ids(connection) == ()
        with transaction.atomic():
            inner = savepoint_ids(connection)
            assert len(inner) == 1
            with transaction.atomic():
                assert savepoint_ids(connection)[:1] == inner
                assert len(savepoint_ids(connection)) == 2
        assert savepoint_ids(connection) == ()
