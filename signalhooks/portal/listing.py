"""The portal's lists, for its pages and its API: an owner's endpoints and an endpoint's
attempts, one page at a time, in a fixed number of queries.

An endpoint page costs two queries whatever its size: the endpoints with their success
rate over 24 hours (deliveries, :func:`~signalhooks.endpoints.log.annotate_success`)
and the id of their newest attempt (a subquery per endpoint reading one row of the
``(endpoint_id, -started_at)`` index), then those attempts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.http import urlencode

from ..endpoints.log import annotate_success, success_rate
from ..endpoints.models import Endpoint
from ..outbox.models import DeliveryAttempt
from .operations import parse_since
from .owner import OwnerScope
from .paging import InvalidCursor, Page, paginate

__all__ = [
    "ATTEMPTS_PER_PAGE",
    "ENDPOINTS_PER_PAGE",
    "InvalidQuery",
    "attempts_page",
    "endpoint_with_health",
    "endpoints_page",
    "next_url",
    "with_health",
]

ENDPOINTS_PER_PAGE = 100
ATTEMPTS_PER_PAGE = 50
ATTEMPT_STATUSES = ("succeeded", "failed")


class InvalidQuery(ValueError):
    """Query parameters that make no list: ``fields`` names each one and why."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()))
        self.fields = fields


def with_health(endpoints: QuerySet[Endpoint]) -> QuerySet[Endpoint]:
    """``delivered_24h``, ``failed_24h`` and ``last_attempt_id`` on each endpoint."""
    newest = (
        DeliveryAttempt.objects.filter(endpoint_id=OuterRef("pk"))
        .order_by("-started_at")
        .values("pk")[:1]
    )
    return annotate_success(endpoints).annotate(last_attempt_id=Subquery(newest))


def _attach(endpoints: list[Endpoint]) -> None:
    """``success_rate`` (``None``: nothing finished in 24 h) and ``last_attempt`` on each."""
    ids = [ep.last_attempt_id for ep in endpoints if ep.last_attempt_id is not None]  # type: ignore[attr-defined]
    attempts = DeliveryAttempt.objects.defer("request_headers", "request_body", "response_body")
    found = attempts.in_bulk(ids) if ids else {}
    for ep in endpoints:
        delivered = int(ep.delivered_24h or 0)  # type: ignore[attr-defined]
        ep.success_rate = success_rate(delivered, int(ep.failed_24h or 0))  # type: ignore[attr-defined]
        ep.last_attempt = found.get(ep.last_attempt_id)  # type: ignore[attr-defined]


def endpoints_page(scope: OwnerScope, cursor: str | None, *, health: bool = True) -> Page[Endpoint]:
    """The owner's endpoints by id; with ``health``, ``success_rate`` and ``last_attempt``."""
    rows = with_health(scope.endpoints()) if health else scope.endpoints()
    try:
        page = paginate(rows, [("pk", int)], cursor, ENDPOINTS_PER_PAGE)
    except InvalidCursor:
        raise InvalidQuery({"cursor": ["Not a cursor of this list."]}) from None
    if health:
        _attach(page.rows)
    return page


def endpoint_with_health(scope: OwnerScope, pk: int) -> Endpoint:
    """One endpoint of the owner with ``success_rate`` and ``last_attempt`` (``Http404``)."""
    endpoint = scope.endpoint(pk, annotate=with_health)
    _attach([endpoint])
    return endpoint


def next_url(request: HttpRequest, cursor: str | None) -> str | None:
    """This list's URL at ``cursor``, its other parameters kept (``None``: no next page)."""
    if cursor is None:
        return None
    query = [(key, str(value)) for key, value in request.GET.items() if key != "cursor"]
    return f"{request.path}?{urlencode([*query, ('cursor', cursor)])}"


def attempts_page(endpoint: Endpoint, query: Mapping[str, Any]) -> Page[DeliveryAttempt]:
    """The endpoint's attempts, newest first; ``query``: ``status``, ``since``, ``cursor``."""
    rows = DeliveryAttempt.objects.filter(endpoint_id=endpoint.pk)
    rows = rows.defer("request_headers", "request_body", "response_body")
    problems: dict[str, list[str]] = {}
    status = query.get("status") or ""
    if status and status not in ATTEMPT_STATUSES:
        problems["status"] = [f"{status!r} is not one of: {', '.join(ATTEMPT_STATUSES)}."]
    elif status:
        rows = rows.filter(ok=status == "succeeded")
    if query.get("since"):
        try:
            since: datetime = parse_since(query["since"])
        except ValueError as exc:
            problems["since"] = [str(exc)]
        else:
            rows = rows.filter(started_at__gte=since)
    if problems:
        raise InvalidQuery(problems)
    ordering = [("-started_at", datetime), ("-pk", int)]
    try:
        return paginate(rows, ordering, query.get("cursor") or None, ATTEMPTS_PER_PAGE)
    except InvalidCursor:
        raise InvalidQuery({"cursor": ["Not a cursor of this list."]}) from None
