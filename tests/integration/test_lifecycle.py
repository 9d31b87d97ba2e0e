"""Issue 2, points 9-10: bounded queue, shutdown, fork, flush, and delivery at a normal exit."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.db import connections
from django.db.models.signals import post_save
from django.dispatch import Signal

import signalhooks
from signalhooks.engine import bridge as engine_module
from signalhooks.hooks import HTTPSignalHook
from signalhooks.testing import reset_engine
from tests.helpers import decode_instance, fresh_engine, outcomes, unique_path
from tests.testapp.models import Pizza

ROOT = Path(__file__).resolve().parents[2]


def test_stats_has_the_documented_counters():
    assert set(signalhooks.stats()) == {
        "accepted",
        "delivered",
        "failed",
        "dropped",
        "retried",
        "pending",
    }


def test_full_queue_drops_counts_logs_and_signals(http, caplog):
    caplog.set_level(logging.WARNING, logger="signalhooks")
    path = unique_path("stalled")
    http.behave(path, delay=2.0)
    signal = Signal()
    hook = HTTPSignalHook(request_url=http.url(path), event="flood", timeout=0.3, max_attempts=1)
    signal.connect(hook, weak=False)
    try:
        with fresh_engine(MAX_QUEUE=3), outcomes() as seen:
            before = signalhooks.stats()
            for n in range(8):
                signal.send(sender=None, n=n)
            dropped = seen.wait(hook, 5)  # drops are reported at once; the 3 others stall
            assert signalhooks.stats()["dropped"] - before["dropped"] == 5
            assert all(not r.ok and "MAX_QUEUE" in r.error for r in dropped)
            assert "queue full (MAX_QUEUE=3), 3 pending" in dropped[0].error, dropped[0].error
            assert seen.signalled(hook)[:5] == [False] * 5
            assert any("queue full" in r.getMessage() for r in caplog.records)
            assert signalhooks.flush(5)  # the three accepted ones time out
            after = signalhooks.stats()
    finally:
        signal.disconnect(hook)
    assert after["accepted"] - before["accepted"] == 8
    assert after["failed"] - before["failed"] == 8
    assert after["pending"] == 0
    assert len(http.requests(path)) == 3


def test_shutdown_reports_what_it_abandons_and_wakes_async_callers(http):
    path = unique_path("abandoned")
    http.behave(path, delay=2.0)
    sync_signal, async_signal = Signal(), Signal()
    hook = HTTPSignalHook(request_url=http.url(path), event="abandoned", max_attempts=1)
    sync_signal.connect(hook, weak=False)
    async_signal.connect(hook.async_receiver, weak=False)
    awaited: list[object] = []
    try:
        with fresh_engine(), outcomes() as seen:
            caller = threading.Thread(
                target=lambda: awaited.extend(asyncio.run(async_signal.asend(sender=None)))
            )
            caller.start()
            sync_signal.send(sender=None)
            http.wait_for(2, path)
            assert reset_engine(timeout=0.1) is False
            caller.join(5)
            results = seen.wait(hook, 2)
    finally:
        sync_signal.disconnect(hook)
        async_signal.disconnect(hook.async_receiver)
    assert all(not r.ok and "shut down" in r.error for r in results), results
    [(_, result)] = awaited
    assert not result.ok and "shut down" in result.error
    assert signalhooks.stats()["pending"] == 0


def test_deliveries_after_shutdown_are_dropped_loudly_not_lost(http, caplog):
    # At interpreter exit, threading's atexit hooks (our flush + shutdown) run before
    # non-daemon threads are joined, so such a thread can still save afterwards.
    caplog.set_level(logging.WARNING, logger="signalhooks")
    path = unique_path("late")
    signal = Signal()
    hook = HTTPSignalHook(request_url=http.url(path), event="late")
    signal.connect(hook, weak=False)
    try:
        with fresh_engine() as engine, outcomes() as seen:
            assert engine.shutdown(5) is True  # what the exit hook does
            before = signalhooks.stats()
            signal.send(sender=None)
            [result] = seen.wait(hook)
            assert signalhooks.flush(1) is True  # a shut-down engine has nothing pending
            after = signalhooks.stats()
    finally:
        signal.disconnect(hook)
    assert not result.ok and "shut down" in result.error
    assert after["dropped"] - before["dropped"] == 1
    assert after["pending"] == before["pending"]
    assert any("shut down" in r.getMessage() for r in caplog.records)
    assert http.requests(path) == []


def test_flush_times_out_then_succeeds(http, connect):
    path = unique_path("flush")
    http.behave(path, delay=0.5)
    signal = Signal()
    connect(signal, HTTPSignalHook(request_url=http.url(path), event="flush"))
    signal.send(sender=None)
    assert signalhooks.flush(timeout=0.05) is False
    assert signalhooks.flush(timeout=5) is True
    assert http.requests(path)[0].responded_at is not None


@pytest.mark.django_db(transaction=True)
def test_forked_child_delivers_through_its_own_engine(http, connect):
    path = unique_path("fork")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    Pizza.objects.create(name="parent before fork")
    http.wait_for(1, path)  # the parent's engine is running, with a pooled connection
    parent_engine = engine_module._engine
    assert parent_engine is not None

    pid = os.fork()
    if pid == 0:  # child: report through the exit code only, never return into pytest
        code = 1
        try:
            connections.close_all()  # the parent's SQLite handle is not ours to use
            Pizza.objects.create(name="child")
            delivered = signalhooks.flush(10)
            engine = engine_module._engine
            own = engine is not None and engine is not parent_engine and engine.pid == os.getpid()
            code = 0 if delivered and own and signalhooks.stats()["delivered"] == 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0

    Pizza.objects.create(name="parent after fork")  # the parent's engine still works
    requests = http.wait_for(3, path)
    names = [decode_instance(r.json()["Instance"]).object.name for r in requests]
    assert names[0] == "parent before fork"
    assert sorted(names[1:]) == ["child", "parent after fork"]
    child_port = next(r for r, n in zip(requests, names, strict=True) if n == "child").client_port
    parent_ports = {r.client_port for r, n in zip(requests, names, strict=True) if n != "child"}
    assert child_port not in parent_ports  # the child opened its own connection


EXIT_SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django
    django.setup()
    from django.db import connection, transaction
    from django.db.models.signals import post_save
    from signalhooks.hooks import HTTPSignalHook
    from tests.testapp.models import Pizza

    with connection.schema_editor() as editor:
        editor.create_model(Pizza)
    post_save.connect(HTTPSignalHook(request_url=sys.argv[1]), sender=Pizza)
    # One transaction: all 30 are handed over at commit, just before the script returns,
    # so the first DNS lookup of "localhost" usually happens during exit, after
    # concurrent.futures refuses new work (a flush hooked on plain atexit fails then).
    with transaction.atomic():
        for n in range(30):
            Pizza.objects.create(name=f"exit-{n}")
    # No flush(): returning must still deliver all 30.
    """
)


def test_every_event_is_delivered_at_a_normal_exit(http, tmp_path):
    path = unique_path("exit")
    http.behave(path, delay=0.2)  # still in flight when the script returns
    script = tmp_path / "exit_script.py"
    script.write_text(EXIT_SCRIPT)
    env = {**os.environ, "SIGNALHOOKS_TEST_DB_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script), http.localhost_url(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    requests = http.requests(path)  # no waiting: they arrived before the process ended
    assert len(requests) == 30, done.stderr
    assert all(r.responded_at is not None for r in requests)
    names = sorted(decode_instance(r.json()["Instance"]).object.name for r in requests)
    assert names == sorted(f"exit-{n}" for n in range(30))
