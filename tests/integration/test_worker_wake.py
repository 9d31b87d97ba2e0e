"""A commit wakes as many ``signalhooks_worker`` processes as its rows need, not all of them.

Three real worker processes listen; their poll interval is far longer than the test, so
only notifications make them claim. Every worker hears every notification (PostgreSQL
has no other way), and exactly ``ceil(rows / batch)`` of them claim for it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import (
    ROOT,
    fast_sink,
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
    wait_until,
)
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
WORKERS, BATCH = 3, 5


def test_a_small_commit_wakes_one_workers_claim_not_all(connect, settings, tmp_path: Path):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    with fast_sink() as sink:
        connect(post_save, HTTPSignalHook(sink.url, durable=True), Pizza)
        env = subprocess_env("pg", [sink.url], {"DURABLE_LEASE": 30})
        env["SIGNALHOOKS_OUTBOX_LOG_LEVEL"] = "INFO"
        logs = [tmp_path / f"worker{n}.log" for n in range(WORKERS)]
        command = [sys.executable, "-m", "django", "signalhooks_worker"]
        command += ["--poll", "600", "--batch", str(BATCH)]
        workers = []
        for log in logs:
            with log.open("w") as out:
                workers.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out))
        try:
            for log in logs:  # each knows the three of them
                wait_until(
                    lambda log=log: f"{WORKERS} workers listen" in log.read_text(),
                    20,
                    f"{log.name} to see {WORKERS} workers",
                )
            for i in range(12):  # one row each
                Pizza.objects.using("pg").create(name=f"small {i}")
                sink.wait(lambda s, n=i + 1: s.count() == n, 10, f"delivery {i + 1}")
            with transaction.atomic(using="pg"):  # ten rows: two batches, two workers
                for i in range(10):
                    Pizza.objects.using("pg").create(name=f"large {i}")
            sink.wait(lambda s: s.count() == 22, 10, "the ten rows")
            wait_until(lambda: not rows.filter(status="pending").exists(), 10, "rows recorded")
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(20)
        outputs = [log.read_text() for log in logs]
        counts = [
            tuple(int(n) for n in re.search(r"notified=(\d+) woken=(\d+)", out).groups())  # type: ignore[union-attr]
            for out in outputs
        ]
        assert [notified for notified, _ in counts] == [13] * WORKERS, outputs
        woken = [w for _, w in counts]
        assert sum(woken) == 12 + 2, outputs  # not 13 * 3: one claim per small commit
        assert sum(1 for w in woken if w) >= 2, woken  # small commits spread over workers
        assert sink.count() == 22 and len(sink.distinct()) == 22
