"""The outbox table: one row per (event, durable hook), written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.db import models
from django.utils import timezone

__all__ = ["OutboxDelivery"]


class OutboxDelivery(models.Model):
    """A durable delivery of one event to one hook's target.

    ``status`` moves ``pending`` -> ``delivered``, or ``pending`` -> ``dead`` after the
    last attempt of ``DURABLE_RETRY_SCHEDULE`` (or a non-retryable answer). A pending
    row is *due* when ``next_attempt_at <= now``; claiming a row pushes
    ``next_attempt_at`` to the end of its lease, so a row whose worker died becomes
    due again by itself when the lease runs out (no reaper needed).
    """

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"
    STATUSES: ClassVar[list[tuple[str, str]]] = [
        (PENDING, "pending"),
        (DELIVERED, "delivered"),
        (DEAD, "dead"),
    ]

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    event_id: models.CharField[str, str] = models.CharField(max_length=64, db_index=True)
    event_name: models.CharField[str, str] = models.CharField(max_length=255)
    #: Finds the hook again in the worker (see :func:`signalhooks.outbox.codec.hook_key`).
    hook_key: models.CharField[str, str] = models.CharField(max_length=255)
    #: The target's display name (no secrets): what admins filter and requeue by.
    target: models.CharField[str, str] = models.CharField(max_length=255)
    #: JSON text: the event's fields and the request rendered in the caller, if any.
    payload: models.TextField[str, str] = models.TextField()
    status: models.CharField[str, str] = models.CharField(
        max_length=10, choices=STATUSES, default=PENDING
    )
    attempts: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(default=0)
    next_attempt_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    lease_until: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    locked_by: models.CharField[str, str] = models.CharField(max_length=100, blank=True, default="")
    last_error: models.TextField[str, str] = models.TextField(blank=True, default="")
    last_status: models.IntegerField[int | None, int | None] = models.IntegerField(
        null=True, blank=True
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    delivered_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    #: The :class:`~signalhooks.models.Endpoint` of an ``EndpointsHook`` delivery (no
    #: foreign key: a deleted endpoint leaves its rows, which die with the reason).
    endpoint_id: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
        null=True, blank=True
    )

    objects: ClassVar[models.Manager[OutboxDelivery]] = models.Manager()

    class Meta:
        app_label = "signalhooks"
        verbose_name = "outbox delivery"
        verbose_name_plural = "outbox deliveries"
        indexes: ClassVar[list[models.Index]] = [
            # The claim query: status = pending AND next_attempt_at <= now ORDER BY next_attempt_at.
            models.Index(fields=["status", "next_attempt_at"], name="signalhooks_outbox_due"),
            # Pruning delivered rows by age.
            models.Index(fields=["status", "delivered_at"], name="signalhooks_outbox_done"),
            # An endpoint's attempts log, success rate and replay.
            models.Index(fields=["endpoint_id", "created_at"], name="signalhooks_outbox_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.event_id} -> {self.target} ({self.status})"
