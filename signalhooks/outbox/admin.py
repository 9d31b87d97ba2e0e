"""Django admin for the outbox: find deliveries, read payloads and errors, requeue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from .models import OutboxDelivery
from .store import requeue

__all__ = ["OutboxDeliveryAdmin"]

if TYPE_CHECKING:  # generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin[OutboxDelivery]
else:
    _ModelAdmin = admin.ModelAdmin


class OutboxDeliveryAdmin(_ModelAdmin):
    """Read-only list and detail of outbox rows, with requeue actions.

    Registered on the default site by ``signalhooks/admin.py`` (admin autodiscovery).
    """

    list_display = (
        "event_name",
        "event_id",
        "target",
        "status",
        "attempts",
        "last_status",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "target", "event_name")
    search_fields = ("=event_id", "event_name", "target", "=endpoint_id", "=order_key")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    actions = ("retry_selected", "retry_dead_for_target")
    fields = (
        "event_name",
        "event_id",
        "target",
        "endpoint_id",
        "hook_key",
        "order_key",
        "status",
        "attempts",
        "last_status",
        "last_error",
        "next_attempt_at",
        "lease_until",
        "locked_by",
        "created_at",
        "delivered_at",
        "pretty_payload",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from hooks, in the transaction of the change

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only; actions below are the only way to change a row

    @admin.display(description="payload")
    def pretty_payload(self, obj: OutboxDelivery) -> str:
        try:
            text = json.dumps(json.loads(obj.payload), indent=2, ensure_ascii=False)
        except ValueError:
            text = obj.payload  # an undecodable row: show it as stored
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", text)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """Requeueing changes rows: it needs the model's change permission."""
        user: Any = request.user
        return bool(user.has_perm("signalhooks.change_outboxdelivery"))

    @admin.action(description="Retry selected deliveries now", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]) -> None:
        count = requeue(queryset)
        self.message_user(
            request, f"{count} deliveries queued for a new attempt.", messages.SUCCESS
        )

    @admin.action(
        description="Retry all dead deliveries of the selected targets", permissions=["retry"]
    )
    def retry_dead_for_target(
        self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]
    ) -> None:
        targets = set(queryset.values_list("target", flat=True))
        dead = OutboxDelivery.objects.using(queryset.db).filter(
            status=OutboxDelivery.DEAD, target__in=targets
        )
        count = requeue(dead)
        names = ", ".join(sorted(targets))
        self.message_user(
            request, f"{count} dead deliveries to {names} queued again.", messages.SUCCESS
        )
