"""Filters of the portal's templates: every time in UTC, durations in milliseconds.

One time zone on every page, the one the API speaks and the replay form reads, so that
a customer compares times without converting them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template

__all__ = ["milliseconds", "percent", "utc_time"]

register = template.Library()


@register.filter
def utc_time(value: datetime | None) -> str:
    """``2026-01-02 03:04:05 UTC`` (empty for ``None``)."""
    if not isinstance(value, datetime):
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@register.filter
def milliseconds(seconds: float | None) -> str:
    """Seconds as whole milliseconds, with the unit (empty for ``None``)."""
    if seconds is None:
        return ""
    return f"{float(seconds) * 1000:,.0f} ms"


@register.filter
def percent(rate: float | None) -> str:
    """A fraction as a percentage with one decimal; ``-`` for ``None`` (nothing to count)."""
    if rate is None:
        return "-"
    return f"{float(rate):.1%}"
