"""Helpers of the durable outbox tests: worker environments, rows, in-process workers.

The receiver is the tests' :class:`~tests.support.recording.RecordingServer`, one per
test (``with RecordingServer() as sink``); the worker processes are those of
:mod:`tests.support.workers`, on the worker project (:mod:`tests.support.outbox_project`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections

from tests.support.rows import outbox_rows
from tests.support.workers import outbox_env


def subprocess_env(
    alias: str,
    hooks: list[str] | list[Any],
    signalhooks: dict[str, Any],
    tasks: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The worker project's environment on the alias's (test) database: see
    :func:`tests.support.workers.outbox_env`."""
    return outbox_env(connections[alias].settings_dict, hooks, signalhooks, tasks)


def make_rows(hook: Any, count: int, using: str, *, due_in: float = 0.0) -> list[str]:
    """Insert ``count`` due outbox rows for ``hook`` in bulk; returns their event ids."""
    from signalhooks.outbox.models import OutboxDelivery

    rows = outbox_rows(hook, count, due_in=due_in)
    OutboxDelivery.objects.using(using).bulk_create(rows, batch_size=2000)
    return [row.event_id for row in rows]


@contextmanager
def worker_thread(**options: Any) -> Iterator[Any]:
    """An in-process :class:`~signalhooks.outbox.worker.Worker` on its own loop thread.

    Stopped gracefully (``stop()``) on exit; its database thread closes its connections.
    """
    from signalhooks.outbox.worker import Worker

    worker = Worker(**options)
    started = threading.Event()
    errors: list[BaseException] = []

    async def main() -> None:
        worker_loop.append(asyncio.get_running_loop())
        started.set()
        await worker.run()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced in the test thread
            errors.append(exc)
            started.set()

    worker_loop: list[asyncio.AbstractEventLoop] = []
    thread = threading.Thread(target=run, name="outbox-test-worker", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield worker
    finally:
        if worker_loop:
            worker_loop[0].call_soon_threadsafe(worker.stop)
        thread.join(30)
        assert not thread.is_alive(), "worker did not stop"
        if errors:
            raise errors[0]


@pytest.fixture
def retire_durable_hooks() -> Iterator[None]:
    """Hooks live as long as the process; make this test's durable hooks plain afterwards.

    Otherwise they would still count as durable hooks for tests that run later (the
    system checks' E008/W002 tests look at every hook in the process).
    """
    from signalhooks.registry import all_hooks

    before = {id(hook) for hook in all_hooks()}
    yield
    for hook in all_hooks():
        if id(hook) not in before and hook.durable:
            hook.durable = False
            hook._order = None  # an ordered hook that is not durable is an error (E016)
