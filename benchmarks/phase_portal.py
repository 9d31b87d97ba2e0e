"""The customer portal's endpoint list on PostgreSQL: one owner, 100 endpoints, 100,000
recorded attempts (and the deliveries of the last 24 hours that its success rates count).

Mode ``list``: ``GET /webhooks/`` as the signed-in owner, through Django's whole request
cycle (middleware, the owner's scope, queries, templates), ``--rounds`` times after a
warm-up; the median and p90 in milliseconds, the queries per request, and whether each
endpoint's newest attempt is read from the ``(endpoint_id, -started_at)`` index
(``EXPLAIN``). The data is made once in the database ``signalhooks_bench_portal`` and
kept for later runs (made again if its counts differ).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta
from typing import Any

from benchmarks import common
from benchmarks.phase_caller import percentile

MODES = ["list"]
ENDPOINTS = 100
ATTEMPTS = 100_000
DAYS = 30  # the default ATTEMPTS_RETENTION
BODY = '{"type": "shop.Order:created", "timestamp": "2026-01-01T00:00:00Z", "data": %s}'


def _setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.portal_settings"
    common.ensure_database(os.environ.get("BENCH_PORTAL_DB", "signalhooks_bench_portal"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _seed() -> Any:
    """The owner, made with its endpoints, attempts and deliveries unless already there."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from signalhooks.models import DeliveryAttempt, Endpoint, OutboxDelivery

    owner, _ = User.objects.get_or_create(username="customer")
    mine = Endpoint.objects.filter(owner_id=str(owner.pk))
    if mine.count() == ENDPOINTS and DeliveryAttempt.objects.count() == ATTEMPTS:
        return owner
    DeliveryAttempt.objects.all().delete()
    OutboxDelivery.objects.all().delete()
    Endpoint.objects.all().delete()
    endpoints = Endpoint.objects.bulk_create(
        Endpoint(url=f"https://hooks.customer.example/in/{i}?token=t{i}", owner=owner)
        for i in range(ENDPOINTS)
    )
    now, step = timezone.now(), timedelta(days=DAYS) / ATTEMPTS
    data = "{" + ", ".join(f'"field_{i}": "{"x" * 40}"' for i in range(16)) + "}"
    for start in range(0, ATTEMPTS, 5000):
        batch = []
        for i in range(start, start + 5000):
            ep = endpoints[i % ENDPOINTS]
            ok = i % 10 != 0
            batch.append(
                DeliveryAttempt(
                    endpoint_id=ep.pk,
                    event_id=f"msg_{i}",
                    event_name="shop.Order:created",
                    target=str(ep),
                    started_at=now - step * i,
                    duration=0.05,
                    ok=ok,
                    status=200 if ok else 503,
                    error="" if ok else "HTTP 503",
                    request_headers={"content-type": "application/json", "webhook-id": f"m{i}"},
                    request_body=BODY % data,
                    response_body="ok" if ok else "Service Unavailable",
                )
            )
        DeliveryAttempt.objects.bulk_create(batch)
    recent = int(ATTEMPTS / DAYS)  # the deliveries of the last day
    OutboxDelivery.objects.bulk_create(
        OutboxDelivery(
            event_id=f"msg_{i}",
            event_name="shop.Order:created",
            hook_key="bench",
            target="bench",
            payload="{}",
            status=OutboxDelivery.DELIVERED if i % 10 else OutboxDelivery.DEAD,
            endpoint_id=endpoints[i % ENDPOINTS].pk,
            created_at=now - step * i,
        )
        for i in range(recent)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE signalhooks_deliveryattempt")
        cursor.execute("VACUUM ANALYZE signalhooks_outboxdelivery")
    return owner


def endpoint_list(rounds: int, warmup: int) -> dict[str, Any]:
    _setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from signalhooks.models import Endpoint
    from signalhooks.portal.listing import with_health

    owner = _seed()
    client = Client()
    client.force_login(owner)
    samples = []
    for n in range(warmup + rounds):
        t0 = time.perf_counter_ns()
        answer = client.get("/webhooks/")
        elapsed = time.perf_counter_ns() - t0
        assert answer.status_code == 200 and answer.content.count(b"<tr>") == ENDPOINTS + 1
        if n >= warmup:
            samples.append(elapsed)
    with CaptureQueriesContext(connection) as captured:
        client.get("/webhooks/")
    plan = with_health(Endpoint.objects.filter(owner_id=str(owner.pk))).explain()
    scans = [line for line in plan.splitlines() if " on signalhooks_deliveryattempt " in line]
    return {
        "phase": "portal",
        "mode": "list",
        "endpoints": ENDPOINTS,
        "attempts": ATTEMPTS,
        "rounds": rounds,
        "median_ms": statistics.median(samples) / 1e6,
        "p90_ms": percentile(samples, 90) / 1000,
        "queries": len(captured),
        "uses_index": bool(scans) and all("signalhooks_attempt_endpoint" in s for s in scans),
    }


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    common.emit(endpoint_list(args.rounds, args.warmup))


if __name__ == "__main__":
    main()
