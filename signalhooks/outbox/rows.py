"""Writing outbox rows: what a delivery's row holds, and one INSERT for many rows.

Rows are inserted without ``Model.save()``, so no ``pre_save``/``post_save`` is sent for
them: those would reach hooks connected to every model (an outbox row per outbox row,
for ever) and would end the per-dispatch snapshot memo of the model being saved.

On PostgreSQL the rows travel as one JSON parameter of ``INSERT ... SELECT ... FROM
json_populate_recordset(...) RETURNING id`` (:func:`insert_rows`), not through
``bulk_create``: in autocommit that wraps the statement in a transaction of its own (a
``BEGIN`` and a ``COMMIT`` round trip more, for one statement that is atomic anyway),
and the way Django passes many rows there (``UNNEST`` of one array per column) has
psycopg's client-side binding quote every array in Python, character by character; a
``VALUES`` list would cost psycopg a parse of one placeholder per column and row.
``json.dumps`` runs in C, and no model instance is built. The rows of one dispatch
mostly carry the same payload (the encoded event), which travels once: sending it once
per row costs more than storing it in each.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connections

from ..targets.base import Delivery
from .codec import encode, hook_key
from .models import OutboxDelivery
from .ordering import sequence_key
from .wake import NOTIFY, notification

__all__ = ["body_format", "build_row", "insert_rows", "row_fields"]


def body_format(delivery: Delivery) -> str | None:
    """The format of the body ``delivery``'s target sends (``None``: not an HTTP target)."""
    fmt = getattr(delivery.target, "format", None)
    return fmt if isinstance(fmt, str) else None


def row_fields(
    delivery: Delivery,
    now: datetime,
    *,
    lease: float | None,
    locked_by: str,
    delay: float,
    payload: str | None = None,
) -> dict[str, Any]:
    """The values of ``delivery``'s row that differ from the columns' defaults.

    ``lease`` set: this process holds the row, its in-process engine tries it first.
    ``payload``: the encoded event when the caller has it already (one event, many rows).
    """
    event = delivery.event
    fields = {
        "event_id": event.id,
        "event_name": event.name[:255],
        "hook_key": hook_key(delivery.owner),
        "target": delivery.target.name[:255],
        "payload": encode(event, delivery.request, body_format(delivery))
        if payload is None
        else payload,
        "created_at": now,
        "endpoint_id": getattr(delivery.target, "endpoint_id", None),
        "order_key": sequence_key(delivery),
    }
    if lease is not None:
        fields["lease_until"] = fields["next_attempt_at"] = now + timedelta(seconds=lease)
        fields["locked_by"] = locked_by
    else:
        fields["next_attempt_at"] = now + timedelta(seconds=delay)
    return fields


def build_row(delivery: Delivery, now: datetime, **options: Any) -> OutboxDelivery:
    """An unsaved row for ``delivery``; ``options`` as for :func:`row_fields`."""
    return OutboxDelivery(**row_fields(delivery, now, **options))


def insert_rows(
    rows: Sequence[dict[str, Any]], using: str, *, wake: int = 0
) -> tuple[list[int], bool]:
    """One INSERT for ``rows`` (:func:`row_fields`); their ids, in order, and whether it woke.

    ``wake`` > 0: the statement also tells the workers that so many rows are due
    (PostgreSQL; delivered at the commit). Raises what the database raises.
    """
    if connections[using].vendor == "postgresql":
        return _insert_json(rows, using, wake), wake > 0
    made = OutboxDelivery.objects.using(using).bulk_create(OutboxDelivery(**r) for r in rows)
    ids = []
    for row in made:
        if row.pk is None:  # MySQL returns no ids from bulk inserts: find it (same transaction)
            row.pk = (
                OutboxDelivery.objects.using(using)
                .filter(event_id=row.event_id, hook_key=row.hook_key, endpoint_id=row.endpoint_id)
                .values_list("pk", flat=True)
                .last()
            )
        ids.append(row.pk)
    return ids, False


@functools.cache
def _columns() -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The table, its columns but the id, and their defaults (constant ones only)."""
    meta = OutboxDelivery._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    defaults = {str(f.column): f.get_default() for f in fields if not callable(f.default)}
    return str(meta.db_table), tuple(str(f.column) for f in fields), defaults


def _insert_statement(quote: Callable[[str], str], wake: bool) -> str:
    """PostgreSQL's INSERT of :func:`_insert_json`; its parameters: the payloads, the
    rows, then (``wake``) the notification's channel and text."""
    table, columns, _ = _columns()
    names = ", ".join(quote(column) for column in columns)
    picks = ", ".join(
        f"(%s::jsonb ->> r.{quote(c)}::int)" if c == "payload" else f"r.{quote(c)}" for c in columns
    )
    sql = (
        f"INSERT INTO {quote(table)} ({names}) SELECT {picks} "
        f"FROM json_populate_recordset(NULL::{quote(table)}, %s::json) AS r RETURNING id"
    )
    if wake:
        sql = f"WITH inserted AS ({sql}) SELECT id FROM inserted, ({NOTIFY}) AS woken"
    return sql


#: :func:`_insert_statement` by ``wake``: every PostgreSQL connection quotes alike.
_statements: dict[bool, str] = {}


def _insert_json(rows: Sequence[dict[str, Any]], using: str, wake: int) -> list[int]:
    """PostgreSQL: see the module docstring; the rows come back in their order.

    Each distinct payload travels once, in a JSON array; a row's ``payload`` is its
    index there.
    """
    connection = connections[using]
    wakes = wake > 0
    sql = _statements.get(wakes)
    if sql is None:
        sql = _statements[wakes] = _insert_statement(connection.ops.quote_name, wakes)
    defaults = _columns()[2]
    params = list(notification(wake)) if wakes else []
    payloads: dict[str, int] = {}
    # row_fields holds strs, ints, aware datetimes and None; the column names are its keys.
    records = [
        {
            **defaults,
            **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()},
            "payload": payloads.setdefault(r["payload"], len(payloads)),
        }
        for r in rows
    ]
    shared = json.dumps(list(payloads), ensure_ascii=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, [shared, json.dumps(records, ensure_ascii=False), *params])
        return [pk for (pk,) in cursor.fetchall()]
