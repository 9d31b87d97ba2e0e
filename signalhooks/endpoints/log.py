"""Each endpoint's attempts log, success rate and replay, read from the outbox table.

Durable endpoint deliveries (the default) leave one outbox row per (event, endpoint),
with ``endpoint_id`` set; deliveries made with ``durable=False`` leave none. The
outbox rows are expected on the endpoints' database (the usual single database).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..outbox.models import OutboxDelivery
from ..outbox.store import requeue
from .models import Endpoint
from .patterns import pattern_problem, pattern_regex

__all__ = ["RATE_WINDOW", "annotate_success", "recent_deliveries", "replay", "success_rate"]

#: The window of the success rate shown in the admin.
RATE_WINDOW = timedelta(hours=24)
DELIVERED, DEAD, PENDING = OutboxDelivery.DELIVERED, OutboxDelivery.DEAD, OutboxDelivery.PENDING


def recent_deliveries(endpoint_id: int, using: str, limit: int = 20) -> list[OutboxDelivery]:
    """The endpoint's latest deliveries, newest first (the payload is not loaded)."""
    rows = OutboxDelivery.objects.using(using).filter(endpoint_id=endpoint_id)
    return list(rows.defer("payload").order_by("-created_at", "-pk")[:limit])


def success_rate(delivered: int, failed: int) -> float | None:
    """Delivered / (delivered + failed) of the finished deliveries; ``None`` if none."""
    finished = delivered + failed
    return delivered / finished if finished else None


def annotate_success(
    endpoints: QuerySet[Endpoint], now: datetime | None = None
) -> QuerySet[Endpoint]:
    """``delivered_24h`` / ``failed_24h`` on each endpoint: two subqueries, one query."""
    since = (now or timezone.now()) - RATE_WINDOW
    recent = (
        OutboxDelivery.objects.filter(endpoint_id=OuterRef("pk"), created_at__gte=since)
        .order_by()
        .values("endpoint_id")
    )

    def count(status: str) -> Coalesce:
        counted = recent.filter(status=status).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    return endpoints.annotate(delivered_24h=count(DELIVERED), failed_24h=count(DEAD))


def replay(
    since: datetime,
    *,
    using: str,
    endpoint_ids: Iterable[int] | None = None,
    event: str | None = None,
    failed_only: bool = False,
) -> int:
    """Send again the finished deliveries created since ``since``; how many.

    ``endpoint_ids``: only those endpoints' (default: every durable delivery, endpoint
    or not); ``event``: only event names matching that pattern; ``failed_only``: only
    dead ones. Rows get a fresh schedule and are due now (``signalhooks_worker`` sends
    them); a pending row is already on its way and is left alone. Receivers see the
    same event id (``webhook-id``) as the first time.
    """
    rows = OutboxDelivery.objects.using(using).filter(created_at__gte=since)
    rows = rows.filter(status=DEAD) if failed_only else rows.exclude(status=PENDING)
    if endpoint_ids is not None:
        rows = rows.filter(endpoint_id__in=list(endpoint_ids))
    if event is not None:
        problem = pattern_problem(event)
        if problem is not None:
            raise ValueError(problem)
        rows = rows.filter(event_name__iregex=pattern_regex(event))
    return requeue(rows)
