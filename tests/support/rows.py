"""Durable outbox rows made directly, for the tests and benchmarks that drain many."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any


def outbox_rows(
    hook: Any, count: int, *, data: Mapping[str, Any] | None = None, due_in: float = 0.0
) -> list[Any]:
    """``count`` unsaved ``OutboxDelivery`` rows of ``hook``, due in ``due_in`` seconds:
    custom events ``bench:item`` with the data ``{"i": <n>, **data}``."""
    from django.utils import timezone

    from signalhooks.outbox.rows import build_row
    from signalhooks.snapshot.events import custom_event
    from signalhooks.targets.base import Delivery

    now = timezone.now() + timedelta(seconds=due_in)
    return [
        build_row(
            Delivery(custom_event("bench:item", {"i": i, **(data or {})}), hook.target, hook),
            now,
            lease=None,
            locked_by="",
            delay=0,
        )
        for i in range(count)
    ]
