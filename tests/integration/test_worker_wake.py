"""A commit wakes as many ``signalhooks_worker`` processes as its rows need, not all of them.

Three real worker processes listen; their poll interval is far longer than the test, so
only notifications make them claim. Every worker hears every notification (PostgreSQL
has no other way), and exactly ``ceil(rows / batch)`` of them claim for it.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
)
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
WORKERS, BATCH = 3, 5


def test_a_small_commit_wakes_one_workers_claim_not_all(connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    with RecordingServer() as sink:
        connect(post_save, HTTPSignalHook(sink.url(), durable=True), Pizza)
        env = subprocess_env("pg", [sink.url()], {"DURABLE_LEASE": 30})
        env["SIGNALHOOKS_OUTBOX_LOG_LEVEL"] = "INFO"
        args = ["--poll", "600", "--batch", str(BATCH)]
        workers = [signalhooks_worker(env, *args) for _ in range(WORKERS)]
        try:
            for worker in workers:  # each knows the three of them
                worker.wait_for_output(f"{WORKERS} workers listen", timeout=20)
            for i in range(12):  # one row each
                Pizza.objects.using("pg").create(name=f"small {i}")
                sink.wait(lambda s, n=i + 1: s.count() == n, 10, f"delivery {i + 1}")
            with transaction.atomic(using="pg"):  # ten rows: two batches, two workers
                for i in range(10):
                    Pizza.objects.using("pg").create(name=f"large {i}")
            sink.wait(lambda s: s.count() == 22, 10, "the ten rows")
            wait_until(lambda: not rows.filter(status="pending").exists(), 10, "rows recorded")
        finally:
            outputs = [worker.stop() for worker in workers]
        counts = [
            tuple(int(n) for n in re.search(r"notified=(\d+) woken=(\d+)", out).groups())  # type: ignore[union-attr]
            for out in outputs
        ]
        assert [notified for notified, _ in counts] == [13] * WORKERS, outputs
        woken = [w for _, w in counts]
        assert sum(woken) == 12 + 2, outputs  # not 13 * 3: one claim per small commit
        assert sum(1 for w in woken if w) >= 2, woken  # small commits spread over workers
        assert sink.count() == 22 and len(sink.distinct()) == 22
