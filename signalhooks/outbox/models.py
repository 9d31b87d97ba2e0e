"""The outbox table: one row per (event, durable hook), written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

__all__ = ["DeliveryAttempt", "OutboxDelivery"]


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
    #: Ordered delivery: the target and the object whose rows are sent one at a time,
    #: the lowest id first (:mod:`signalhooks.outbox.ordering`); empty: unordered.
    order_key: models.CharField[str | None, str | None] = models.CharField(
        max_length=255, null=True, blank=True
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
            # Ordered rows: is there a pending row before this one of the same key?
            models.Index(
                fields=["order_key", "id"],
                name="signalhooks_outbox_order",
                condition=models.Q(status="pending", order_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.event_id} -> {self.target} ({self.status})"


class DeliveryAttempt(models.Model):
    """One attempt of a delivery: the request as sent and what came back.

    Written for every attempt of a durable delivery (``delivery`` set) and for every
    test event sent to an endpoint (``is_test``, no delivery), in batches by a
    background writer, off the delivery path. ``endpoint_id`` names the
    :class:`~signalhooks.models.Endpoint` of an endpoint delivery (no foreign key, as on
    :class:`OutboxDelivery`). Pruned with their delivery, and by age
    (``SIGNALHOOKS["ATTEMPTS_RETENTION"]``).
    """

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    #: No database constraint: the writer may record an attempt of a row that a prune
    #: deleted meanwhile; Django's ``on_delete`` still deletes a row's attempts with it.
    delivery: models.ForeignKey[OutboxDelivery | None, OutboxDelivery | None] = models.ForeignKey(
        OutboxDelivery,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="attempt_log",
    )
    endpoint_id: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
        null=True, blank=True
    )
    event_id: models.CharField[str, str] = models.CharField(max_length=64)
    event_name: models.CharField[str, str] = models.CharField(max_length=255)
    #: The target's display name (no secrets).
    target: models.CharField[str, str] = models.CharField(max_length=255)
    #: 1 for the first attempt of the delivery, 2 for the first retry...
    number: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(default=1)
    started_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    #: Seconds from the start of the request to its outcome.
    duration: models.FloatField[float, float] = models.FloatField(default=0.0)
    ok: models.BooleanField[bool, bool] = models.BooleanField(default=False)
    #: The HTTP status of the answer (``None``: no answer, see ``error``).
    status: models.IntegerField[int | None, int | None] = models.IntegerField(null=True, blank=True)
    #: A short kind of failure: ``"503"``, ``"timeout"``, an exception class...
    error_type: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True, default=""
    )
    error: models.TextField[str, str] = models.TextField(blank=True, default="")
    request_headers: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    request_body: models.TextField[str, str] = models.TextField(blank=True, default="")
    #: The first ``RESPONSE_BODY_LIMIT`` bytes of the response body.
    response_body: models.TextField[str, str] = models.TextField(blank=True, default="")
    #: A test event (the admin's or the portal's "send a test event"), not a delivery.
    is_test: models.BooleanField[bool, bool] = models.BooleanField(default=False)

    objects: ClassVar[models.Manager[DeliveryAttempt]] = models.Manager()

    class Meta:
        app_label = "signalhooks"
        verbose_name = "delivery attempt"
        ordering = ("-started_at", "-id")
        indexes: ClassVar[list[models.Index]] = [
            # An endpoint's attempts, newest first (the portal's pages and API).
            models.Index(
                fields=["endpoint_id", "-started_at"], name="signalhooks_attempt_endpoint"
            ),
            # Pruning by age.
            models.Index(fields=["started_at"], name="signalhooks_attempt_started"),
        ]

    def __str__(self) -> str:
        outcome = "ok" if self.ok else (self.error_type or "failed")
        event = f"{self.event_name} {self.event_id}"
        return f"attempt {self.number} of {event} -> {self.target} ({outcome})"
