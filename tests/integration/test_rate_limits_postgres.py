"""A rate limit holds for the sum of every worker process, and its backlog never holds up
another endpoint: 3 real workers, an endpoint at 10 deliveries/s, real receivers."""

from __future__ import annotations

import time

import pytest
from django.db.models.signals import post_save

from signalhooks.hooks import EndpointsHook
from signalhooks.models import Endpoint
from signalhooks.outbox.limits import burst
from signalhooks.outbox.models import OutboxDelivery
from tests.endpoint_support import endpoint_settings  # noqa: F401
from tests.integration.test_endpoints_postgres import endpoints_on_pg  # noqa: F401
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
    subprocess_env,
)
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until
from tests.support.workers import signalhooks_worker
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks", "endpoints_on_pg"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")
RATE, EVENTS = 10, 100


def _busiest_second(times: list[float]) -> int:
    """The most arrivals in any window of one second."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


def test_three_workers_send_at_most_the_limit_and_other_endpoints_are_not_held_up(
    connect, settings
):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    with RecordingServer() as limited, RecordingServer() as other:
        Endpoint.objects.create(url=limited.url(), event_types=["testapp.*"], rate_limit=RATE)
        Endpoint.objects.create(url=other.url(), event_types=["testapp.*"])
        connect(post_save, EndpointsHook(), Pizza)
        env = subprocess_env(
            "pg",
            [{"endpoints": True}],
            {"DURABLE_LEASE": 30, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False},
        )
        workers = [signalhooks_worker(env, "--poll", "0.2") for _ in range(3)]
        try:
            saved = []
            for n in range(EVENTS):
                Pizza.objects.using("pg").create(name=f"limited {n}")
                saved.append(time.monotonic())
            other.wait(lambda s: len(s.distinct()) == EVENTS, 20, "the other endpoint's 100")
            other_done = time.monotonic()
            limited.wait(lambda s: len(s.distinct()) == EVENTS, 60, "the limited endpoint's 100")
            wait_until(lambda: not rows.filter(status="pending").exists(), 20, "rows recorded")
        finally:
            outputs = [w.stop() for w in workers]
        assert [w.returncode for w in workers] == [0, 0, 0], outputs
        assert limited.count() == EVENTS and other.count() == EVENTS
        limited_times = [r.received_at for r in limited.requests()]
        other_times = [r.received_at for r in other.requests()]
        busiest = _busiest_second(limited_times)
        # At most RATE per second plus the burst (a tenth of a second's worth: 1); one
        # more for the spread between a grant and the request reaching the receiver.
        assert busiest <= RATE + burst(RATE) + 1, busiest
        spread = max(limited_times) - min(limited_times)
        assert spread >= (EVENTS - burst(RATE)) / RATE - 0.5, spread
        # The other endpoint got everything while the limited one was still draining.
        assert other_done - saved[-1] < 5.0
        assert max(other_times) < max(limited_times) - 5.0
        deferred = sum(int(out.split("deferred=")[1].split()[0]) for out in outputs)
        assert deferred > 0, outputs  # the workers did hold rows back (and let go of them)
