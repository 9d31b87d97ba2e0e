"""Rate limits shared by every process: the grant statement (GCRA) on SQLite and
PostgreSQL, what a claim does with rows a limit holds back, and ``rate_limit=``
(the processes are in ``test_rate_limits_postgres.py``)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connections
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox import store
from signalhooks.outbox.codec import HookRegistry, rebuild_rows
from signalhooks.outbox.limits import admit, burst, grant, limit_of
from signalhooks.outbox.models import OutboxDelivery
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
ALIASES = ["default", pytest.param("pg", marks=pytest.mark.postgres)]


def test_the_burst_is_a_tenth_of_a_second_at_least_two():
    assert [burst(rate) for rate in (0.5, 10, 21, 100, 1000)] == [2, 2, 3, 10, 100]


@pytest.mark.parametrize("using", ALIASES)
def test_a_grant_allows_the_burst_then_one_per_interval(using):
    key = f"test:{time.monotonic_ns()}"
    first = grant(using, key, 100.0, 25)  # burst 10
    assert (first.granted, first.interval) == (10, 0.01)
    assert 0 < first.wait <= 0.011
    slow = f"{key}:slow"  # one per 0.5 s, burst 2
    first = grant(using, slow, 2.0, 3)
    assert first.granted == 2 and 0.3 < first.wait <= 0.5  # the third: in 0.5 s
    again = grant(using, slow, 2.0, 3)  # queued after that third one
    assert again.granted == 0 and 0.8 < again.wait <= 1.0
    key = f"{key}:loop"
    granted, asked, started = 0, 0, time.monotonic()
    while time.monotonic() - started < 0.6:  # ask for one at a time, as fast as we can
        granted += grant(using, key, 20.0, 1).granted
        asked += 1
    elapsed = time.monotonic() - started
    assert granted <= 20 * elapsed + burst(20), (granted, asked, elapsed)
    assert granted >= min(asked, 20 * elapsed) // 2, (granted, asked, elapsed)


@pytest.mark.parametrize("using", ALIASES)
def test_rows_held_back_leave_the_claimers_hands_spread_one_interval_apart(using, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    limited = HTTPSignalHook("http://127.0.0.1:9/limited", durable=True, rate_limit=10)
    plain = HTTPSignalHook("http://127.0.0.1:9/plain", durable=True)
    post_save.connect(limited, sender=Pizza, weak=False)
    post_save.connect(plain, sender=Pizza, weak=False)
    try:
        for n in range(4):
            Pizza.objects.using(using).create(name=f"p{n}")
    finally:
        post_save.disconnect(limited, sender=Pizza)
        post_save.disconnect(plain, sender=Pizza)
    claimed = store.claim(using, "me", 100, 30)
    rebuilt, _ = rebuild_rows(HookRegistry(), claimed, "test")
    sendable, deferred = admit(using, "me", rebuilt)
    targets = sorted(hook.target.name for _, (hook, *_) in sendable)
    assert (
        targets == ["POST http://127.0.0.1:9/limited"] * 2 + ["POST http://127.0.0.1:9/plain"] * 4
    )
    assert len(deferred) == 2  # the burst of 2 went
    times = [when for _, when in deferred]
    assert round(times[1] - times[0], 3) == 0.1
    rows = OutboxDelivery.objects.using(using)
    released = rows.filter(pk__in=[row.id for row, _ in deferred])
    assert {(r.locked_by, r.lease_until, r.attempts) for r in released} == {("", None, 0)}
    assert store.claim(using, "me", 100, 30) == []  # not due before their time
    assert limit_of(limited, limited.target) == (f"hook:{_key(limited)}", 10.0)
    assert connections[using].vendor in ("sqlite", "postgresql")


def _key(hook: Any) -> str:
    from signalhooks.outbox.codec import hook_key

    return hook_key(hook)


def test_rate_limited_durable_rows_are_left_to_the_fleet_even_inline(connect):
    connect(post_save, HTTPSignalHook("http://127.0.0.1:9/l", durable=True, rate_limit=5), Pizza)
    Pizza.objects.create(name="limited")
    [row] = OutboxDelivery.objects.all()
    assert (row.lease_until, row.locked_by, row.attempts) == (None, "", 0)
