"""What the portal's actions do, shared by its pages and its API.

Each action reuses what the admin and the commands use (``Endpoint.rotate_secret()``,
``enable()``, ``disable()``, :func:`~signalhooks.endpoints.probe.send_test_event`,
:func:`~signalhooks.endpoints.log.replay`); this module adds what a customer needs on
top: a replay on a disabled endpoint is refused (its rows would die without a
request), a test event's outcome is a plain value, and times typed without a zone are
UTC.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..endpoints.log import replay
from ..endpoints.models import Endpoint
from ..endpoints.probe import send_test_event

__all__ = [
    "EndpointDisabled",
    "ProbeOutcome",
    "disable_reason",
    "parse_since",
    "replay_failed",
    "send_test",
]


class EndpointDisabled(Exception):
    """A replay asked of a disabled endpoint: nothing is queued."""

    def __init__(self, endpoint: Endpoint) -> None:
        reason = f" ({endpoint.disabled_reason})" if endpoint.disabled_reason else ""
        super().__init__(
            f"This endpoint is disabled{reason}: nothing was replayed, because its deliveries "
            "would fail again without a request. Enable it, then replay."
        )


def parse_since(value: object) -> datetime:
    """An ISO 8601 time (``2026-01-01T12:00``, ``...Z``, ``...+02:00``); naive means UTC."""
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:  # well formed, but no such day or hour
            parsed = None
    if parsed is None:
        raise ValueError(
            f"{value!r} is not a time: use ISO 8601, e.g. 2026-01-01T12:00:00Z "
            "(a time without a zone is UTC)."
        )
    return parsed.replace(tzinfo=UTC) if timezone.is_naive(parsed) else parsed


def replay_failed(endpoint: Endpoint, since: datetime, *, failed_only: bool = True) -> int:
    """Queue the endpoint's deliveries created since ``since`` again (only the dead ones
    with ``failed_only``); how many. ``EndpointDisabled`` if the endpoint is disabled."""
    if not endpoint.is_active:
        raise EndpointDisabled(endpoint)
    using = endpoint._state.db or "default"
    return replay(since, using=using, endpoint_ids=[endpoint.pk], failed_only=failed_only)


def disable_reason(owner: object) -> str:
    return f"disabled in the webhook portal by {owner}"


@dataclass(frozen=True)
class ProbeOutcome:
    """What a test event came to: the API's body, and what the endpoint page shows."""

    ok: bool
    status: int | None
    #: Seconds from the request to the answer (``None``: no answer in time).
    duration: float | None
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def send_test(endpoint: Endpoint, owner: object) -> ProbeOutcome:
    """Send ``signalhooks.test`` to the endpoint now (disabled or not) and wait for it."""
    try:
        result = send_test_event(endpoint, f"Test event sent from the webhook portal by {owner}")
    except ImproperlyConfigured as exc:  # a URL saved without full_clean()
        return ProbeOutcome(False, None, None, f"cannot be sent: {exc}")
    if result is None:
        return ProbeOutcome(False, None, None, "no answer in time")
    return ProbeOutcome(result.ok, result.status, result.duration, result.error)
