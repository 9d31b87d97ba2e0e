"""Per-object order of durable rows: one at a time per (target, object), oldest first.

An ordered row carries an ``order_key``: its target (``endpoint:<id>``, or the
target's name) and its object (``app_label.model:<pk>``, or the key a hook names for a
custom signal). Of the pending rows of one key only the one with the lowest id, the
*head*, may be claimed (:func:`heads_only`, in every claim and in the sweep): while it
is sent or waits for a retry, the rows after it wait; once it is delivered or dead,
the next becomes the head. Rows of other keys are not held up.

Why the lowest id is the first committed, for the events of one model instance:
``save()`` and ``delete()`` change the instance's row, and PostgreSQL holds that row's
lock until the transaction ends, so a second transaction changing the same instance
waits for the first to commit before its own ``post_save`` inserts the outbox row;
its row id, drawn then, is higher. The same holds on SQLite (one writer at a time).
A custom signal's key has no such lock: two transactions sending events of one key at
once get ids in the order of their INSERTs, not of their commits, unless the code
that sends them locks what the key names (``select_for_update()``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..targets.base import Delivery
from .models import OutboxDelivery

__all__ = ["heads_only", "sequence_key", "successors"]

PENDING = OutboxDelivery.PENDING


def sequence_key(delivery: Delivery) -> str | None:
    """The ``order_key`` column of ``delivery``'s row (``None``: unordered)."""
    if delivery.order_key is None:
        return None
    endpoint_id = getattr(delivery.target, "endpoint_id", None)
    target = f"endpoint:{endpoint_id}" if endpoint_id is not None else delivery.target.name
    key = f"{target}|{delivery.order_key}"
    if len(key) > 255:  # a long URL or key: still one key per (target, object)
        key = f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def heads_only(rows: QuerySet[OutboxDelivery]) -> QuerySet[OutboxDelivery]:
    """``rows`` without the ordered rows that wait behind an earlier pending row of their key."""
    earlier = OutboxDelivery.objects.filter(
        status=PENDING, order_key=OuterRef("order_key"), id__lt=OuterRef("id")
    )
    return rows.filter(Q(order_key__isnull=True) | ~Exists(earlier))


def successors(using: str, finished: Sequence[int]) -> list[tuple[int, int]]:
    """The new heads after the rows ``finished`` (delivered or dead): ``(row id, attempts)``.

    Django Tasks mode enqueues them at once, so that the next row of an object does not
    wait for the sweep.
    """
    if not finished:
        return []
    rows = OutboxDelivery.objects.using(using)
    keys = set(
        rows.filter(pk__in=finished, order_key__isnull=False).values_list("order_key", flat=True)
    )
    if not keys:
        return []
    return list(
        heads_only(rows.filter(status=PENDING, order_key__in=keys)).values_list("id", "attempts")
    )
