"""The attempts log: one :class:`~signalhooks.models.DeliveryAttempt` row per attempt.

Deliveries that record their attempts (``Delivery.records_attempts``: every durable
delivery, and test events) have their request captured by the target as it is sent
(``Attempt.sent``). The rows are built and inserted off the delivery loop, by whoever
records the outcome: the in-process writer (:mod:`.inline`), the worker's database
thread (:mod:`.worker`) and the task's record step (:mod:`.task`) insert them in the
transaction of the outcome update (:func:`~signalhooks.outbox.store.record`), one
statement per batch; a test event's row is inserted by the probe itself.

Rows are plain tuples (:class:`AttemptRow`), not model instances, and PostgreSQL gets
them with ``COPY``: an ORM ``bulk_create`` of the same rows compiles each value, then
quotes it into the statement, in the recording thread, which shares the interpreter
with the delivery loop (see docs/performance.md). Other databases get ``bulk_create``.

Writing attempts never costs an outcome: a failure is logged, and the outcome update
commits without them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connections, transaction
from django.utils import timezone

from .. import conf
from .._internals import raw_delete
from ..outcome.results import Attempt
from ..targets.base import Delivery
from .models import DeliveryAttempt, OutboxDelivery

__all__ = [
    "AttemptRow",
    "AttemptsNotWritten",
    "attempt_rows",
    "delete_deliveries",
    "insert_attempts",
    "prune_attempts",
    "write_attempts",
]

logger = logging.getLogger("signalhooks")

#: Characters of an error message kept (attempts and outbox rows).
ERROR_MAX = 2000
#: A delivery and its attempt, with the outbox row id (``None``: a test event).
Made = tuple[Delivery, Attempt, int | None]


class AttemptRow(NamedTuple):
    """The values of one ``DeliveryAttempt`` row, named after the model's fields."""

    delivery_id: int | None
    endpoint_id: int | None
    event_id: str
    event_name: str
    target: str
    number: int
    started_at: datetime
    duration: float
    ok: bool
    status: int | None
    error_type: str
    error: str
    request_headers: dict[str, str]
    request_body: str
    response_body: str
    is_test: bool


def attempt_rows(made: Iterable[Made], *, is_test: bool = False) -> list[AttemptRow]:
    """The rows of the attempts of deliveries that record them (others are skipped).

    Never raises: a row that cannot be built is logged, and the outcome is recorded
    without its attempts.
    """
    try:
        return [
            _row(delivery, attempt, row_id, is_test)
            for delivery, attempt, row_id in made
            if delivery.records_attempts
        ]
    except Exception:
        logger.exception("signalhooks: building attempt rows failed; they are not recorded")
        return []


def _row(delivery: Delivery, attempt: Attempt, row_id: int | None, is_test: bool) -> AttemptRow:
    sent, event = attempt.sent, delivery.event
    if sent is None:  # nothing was sent (a disabled endpoint): the time it was settled
        started, duration, headers, body, http = timezone.now(), 0.0, {}, "", True
    else:
        started = datetime.fromtimestamp(sent.started_at, UTC)
        duration, headers, body, http = sent.duration, dict(sent.headers), sent.body, sent.http
    return AttemptRow(
        delivery_id=row_id,
        endpoint_id=getattr(delivery.target, "endpoint_id", None),
        event_id=event.id[:64],
        event_name=event.name[:255],
        target=delivery.target.name[:255],
        number=max(delivery.attempts, 1),
        started_at=started,
        duration=duration,
        ok=attempt.ok,
        # SNS answers with the status of its API call, not a receiver's: none is recorded.
        status=attempt.status if http else None,
        error_type=(attempt.error_type or "")[:100],
        error=(attempt.error or "")[:ERROR_MAX],
        request_headers=headers,
        request_body=_text(body),
        response_body=_text(attempt.response),
        is_test=is_test,
    )


def _text(value: str) -> str:
    # PostgreSQL's text cannot hold NUL, which a binary body decoded as UTF-8 may contain.
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


class AttemptsNotWritten(Exception):
    """The attempts could not be inserted (the transaction they were in is broken)."""


def write_attempts(rows: Sequence[AttemptRow], using: str) -> None:
    """Insert ``rows`` in the caller's transaction, one statement; no ``post_save`` (hooks
    connected to every model do not see the log).

    Raises :class:`AttemptsNotWritten`: on PostgreSQL the failed statement aborts the
    transaction, so the caller writes its first and starts again without them.
    """
    if not rows:
        return
    try:
        if not _copied(rows, using):
            models = [DeliveryAttempt(**row._asdict()) for row in rows]
            DeliveryAttempt.objects.using(using).bulk_create(models)
    except Exception as exc:
        raise AttemptsNotWritten(
            f"recording {len(rows)} delivery attempts on {using!r} failed "
            f"({type(exc).__name__}: {exc})"
        ) from exc


def insert_attempts(rows: Sequence[AttemptRow], using: str) -> int:
    """:func:`write_attempts` in a transaction of its own; how many were written (0 when
    it failed, which is logged, never raised)."""
    try:
        with transaction.atomic(using=using):
            write_attempts(rows, using)
    except AttemptsNotWritten as exc:
        logger.error("signalhooks: %s", exc)
        return 0
    return len(rows)


def _copied(rows: Sequence[AttemptRow], using: str) -> bool:
    """PostgreSQL with psycopg 3: ``COPY ... FROM STDIN``, the rows streamed as values.

    ``False``: another database (or psycopg2), for ``bulk_create``.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    meta = DeliveryAttempt._meta
    quote = connection.ops.quote_name
    column_of = {field.attname: str(field.column) for field in meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in AttemptRow._fields)
    headers = AttemptRow._fields.index("request_headers")
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor  # the driver's own cursor (COPY is not in the DB-API)
        if not hasattr(raw, "copy"):
            return False
        with raw.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = list(row)
                values[headers] = json.dumps(values[headers], ensure_ascii=False)
                copy.write_row(values)
    return True


def delete_deliveries(delivery_ids: Sequence[int], using: str) -> tuple[int, int]:
    """Delete these outbox rows and their attempts; how many of each.

    Two statements in one transaction (the attempts by delivery id, then the rows by
    id), not Django's collector: it would load every row, payload included, to cascade
    to the attempts, and send ``pre_delete``/``post_delete`` per row and per attempt to
    receivers connected to every model.
    """
    with transaction.atomic(using=using):
        attempts = DeliveryAttempt.objects.using(using).filter(delivery_id__in=delivery_ids)
        deleted = raw_delete(attempts)
        return raw_delete(OutboxDelivery.objects.using(using).filter(pk__in=delivery_ids)), deleted


def prune_attempts(using: str, retention: float | None = None, *, chunk: int = 5000) -> int:
    """Delete attempts that started more than ``retention`` seconds ago (default
    ``ATTEMPTS_RETENTION``), in chunks; how many."""
    seconds = conf.settings().attempts_retention if retention is None else float(retention)
    cutoff = timezone.now() - timedelta(seconds=seconds)
    rows = DeliveryAttempt.objects.using(using)
    old = rows.filter(started_at__lt=cutoff).order_by()
    total = 0
    while ids := list(old.values_list("pk", flat=True)[:chunk]):
        total += raw_delete(rows.filter(pk__in=ids))
    return total
