"""The portal stays fast: a fixed number of queries per page, and indexed reads.

The time of the endpoint list with 100 endpoints and 100,000 attempts on PostgreSQL is
measured by the benchmark (``benchmarks/phase_portal.py``); here the query counts, and
the plan that makes the time independent of the number of attempts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from signalhooks.models import DeliveryAttempt, Endpoint, OutboxDelivery
from signalhooks.portal.listing import with_health
from tests.portal.support import PORTAL, client_of, delivery_of, endpoint_of

pytestmark = pytest.mark.django_db


def busy_endpoint(owner: Any, n: int) -> Endpoint:
    ep = endpoint_of(owner, f"https://hooks.example.com/{n}", description=f"endpoint {n}")
    now = timezone.now()
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            endpoint_id=ep.pk,
            event_id=f"msg_{n}_{i}",
            event_name="testapp.Pizza:created",
            target=str(ep),
            started_at=now - timedelta(minutes=i),
            ok=i % 3 != 0,
            status=200 if i % 3 else 500,
        )
        for i in range(5)
    )
    delivery_of(ep, f"msg_{n}", OutboxDelivery.DELIVERED)
    delivery_of(ep, f"msg_{n}_dead", OutboxDelivery.DEAD)
    return ep


def queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url)
    assert answer.status_code == 200
    return len(captured)


def test_the_endpoint_list_costs_the_same_queries_for_1_and_100_endpoints(alice):
    client = client_of(alice)
    busy_endpoint(alice, 0)
    client.get(PORTAL)  # content types cached, as in a running process
    one = queries(client, PORTAL), queries(client, f"{PORTAL}api/endpoints/")
    for n in range(1, 100):
        busy_endpoint(alice, n)
    hundred = queries(client, PORTAL), queries(client, f"{PORTAL}api/endpoints/")
    assert one == hundred
    assert hundred[0] <= 3, "user, endpoints with their rates and newest attempt, attempts"
    assert client.get(PORTAL).content.decode().count("50.0%") == 100


def test_an_endpoint_page_costs_the_same_queries_for_1_and_50_attempts(alice):
    client = client_of(alice)
    ep = busy_endpoint(alice, 0)
    client.get(f"{PORTAL}{ep.pk}/")
    before = (
        queries(client, f"{PORTAL}{ep.pk}/"),
        queries(client, f"{PORTAL}api/endpoints/{ep.pk}/attempts/"),
    )
    now = timezone.now()
    for i in range(50):
        DeliveryAttempt.objects.create(
            endpoint_id=ep.pk, event_id=f"more_{i}", event_name="x", target="t", started_at=now
        )
    after = (
        queries(client, f"{PORTAL}{ep.pk}/"),
        queries(client, f"{PORTAL}api/endpoints/{ep.pk}/attempts/"),
    )
    assert before == after


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "pg"])
def test_the_newest_attempt_of_each_endpoint_is_read_from_the_index():
    # An owner's 100 endpoints among attempts that carry their request bodies, as
    # recorded ones do; the plan is chosen from the table's statistics.
    attempts = DeliveryAttempt.objects.using("pg")
    endpoints = Endpoint.objects.using("pg")
    made = endpoints.bulk_create(Endpoint(url=f"https://h.example/{i}") for i in range(100))
    now, body = timezone.now(), '{"type": "shop.Order:created", "data": {}}'.ljust(400)
    attempts.bulk_create(
        (
            DeliveryAttempt(
                endpoint_id=made[i % 100].pk,
                event_id=f"e{i}",
                event_name="shop.Order:created",
                target="t",
                started_at=now - timedelta(seconds=i),
                request_body=body,
            )
            for i in range(20_000)
        ),
        batch_size=5000,
    )
    with connections["pg"].cursor() as cursor:
        cursor.execute("ANALYZE signalhooks_deliveryattempt")
    plan = with_health(endpoints.all()).explain()
    [scan] = [line for line in plan.splitlines() if " on signalhooks_deliveryattempt " in line]
    assert "Index Scan using signalhooks_attempt_endpoint" in scan, plan
