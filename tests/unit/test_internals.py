"""Every private part that ``signalhooks._internals`` reads, checked against the
installed Django, asgiref and Python (each CI leg runs this file with its own
releases): every function of that module has a test here."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections, transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal

import signalhooks._internals as internals
from signalhooks._internals import (
    caller_frame,
    commit_callbacks,
    connection_of,
    in_atomic_block,
    raw_delete,
    receivers_version,
    savepoint_ids,
    sending_receivers,
    signal_receivers,
)
from tests.testapp.models import Pizza


class Spy:
    """A receiver that records what ``sending_receivers`` answers for its caller."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def __call__(self, **kwargs: Any) -> None:
        self.seen.append(sending_receivers(caller_frame(1)))


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


def test_every_function_of_the_module_is_tested_here():
    source = Path(__file__).read_text()
    untested = [name for name in internals.__all__ if f"def test_{name}" not in source]
    assert untested == []


def test_caller_frame_is_the_frame_that_called():
    def callee() -> Any:
        return caller_frame(1)

    assert callee() is sys._getframe()
    assert caller_frame(0) is sys._getframe()


def test_signal_receivers_pairs_each_live_receiver_with_its_sender():
    signal = Signal()

    def anyone(**kwargs: Any) -> None: ...

    class Hook:
        def method(self, **kwargs: Any) -> None: ...

    hook = Hook()
    signal.connect(anyone, weak=False)
    signal.connect(hook.method, sender=Pizza)  # weak: a WeakMethod in the list
    assert signal_receivers(signal) == [(None, anyone), (id(Pizza), hook.method)]
    del hook
    assert signal_receivers(signal) == [(None, anyone)]  # the dead one is left out


def test_receivers_version_moves_on_connect_and_disconnect():
    signal = Signal()

    def first(**kwargs: Any) -> None: ...
    def second(**kwargs: Any) -> None: ...

    empty = receivers_version(signal)
    signal.connect(first, weak=False)
    one = receivers_version(signal)
    signal.connect(second, weak=False)
    two = receivers_version(signal)
    signal.disconnect(second)
    assert len({empty, one, two}) == 3 and receivers_version(signal) == one
    signal.disconnect(first)
    signal.connect(second, weak=False)
    assert receivers_version(signal) not in (one, empty)  # same number, another receiver


def test_connection_of_is_the_connection_django_would_return():
    # Outside an event loop the connection is read from asgiref's private storage: it
    # must be there, or every save() pays Django's slower lookup without failing.
    assert type(connections._connections._storage) is threading.local
    for alias in ("default", "other"):
        assert connection_of(alias) is connections[alias]
    seen: dict[str, object] = {}

    def fresh_thread() -> None:  # no connection yet in this thread: Django creates it
        seen["first"] = connection_of("default")
        seen["django"] = connections["default"]

    thread = threading.Thread(target=fresh_thread)
    thread.start()
    thread.join()
    assert seen["first"] is seen["django"]
    assert seen["first"] is not connections["default"]

    sync_connection = connections["default"]

    async def in_a_loop() -> bool:  # asgiref keeps connections per context here
        looked_up = connection_of("default")
        return looked_up is connections["default"] and looked_up is not sync_connection

    assert asyncio.run(in_a_loop())


@pytest.mark.django_db(transaction=True)
def test_in_atomic_block_follows_transaction_atomic():
    assert in_atomic_block("default") is False
    with transaction.atomic():
        assert in_atomic_block("default") is True
    assert in_atomic_block("default") is False


@pytest.mark.django_db(transaction=True)
def test_raw_delete_deletes_in_one_statement_without_signals():
    Pizza.objects.bulk_create([Pizza(name=f"raw {n}") for n in range(3)])
    deleted: list[object] = []

    def record(**kwargs: Any) -> None:
        deleted.append(kwargs["instance"])

    post_delete.connect(record, sender=Pizza, weak=False)
    try:
        assert raw_delete(Pizza.objects.filter(name__in=["raw 0", "raw 1"])) == 2
    finally:
        post_delete.disconnect(record, sender=Pizza)
    assert list(Pizza.objects.values_list("name", flat=True)) == ["raw 2"] and deleted == []


def test_register_exit_hook_runs_before_the_executors_shut_down():
    # An atexit hook would run after concurrent.futures refused new work ("cannot
    # schedule new futures after interpreter shutdown"): the flush at exit needs them.
    # The pool's thread starts now: from Python 3.12 no thread may start at shutdown, so
    # the engine starts its executor's thread early too, and reuses it then.
    code = (
        "import concurrent.futures.thread\n"
        "from signalhooks._internals import register_exit_hook\n"
        "pool = concurrent.futures.ThreadPoolExecutor(1)\n"
        "pool.submit(int).result()\n"
        "def at_exit():\n"
        "    print(pool.submit(lambda: 'ran in a thread').result())\n"
        "register_exit_hook(at_exit)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout == "ran in a thread\n", done.stderr
    assert callable(getattr(threading, "_register_atexit", None))
