"""Django admin for the outbox: find deliveries, read what was sent and answered, requeue.

A delivery's page shows the request its receiver gets (:mod:`.preview`), not the
outbox's storage format, and its attempts, newest first; the attempts log has a
read-only list of its own. Times are the admin's localised datetimes everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from .models import DeliveryAttempt, OutboxDelivery
from .preview import pretty_body, preview
from .store import requeue

__all__ = [
    "AttemptInline",
    "DeliveryAttemptAdmin",
    "OutboxDeliveryAdmin",
    "StatusFilter",
    "local_time",
]

if TYPE_CHECKING:  # generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin[OutboxDelivery]
    _AttemptAdmin = admin.ModelAdmin[DeliveryAttempt]
    _Inline = admin.TabularInline[DeliveryAttempt, OutboxDelivery]
else:
    _ModelAdmin = _AttemptAdmin = admin.ModelAdmin
    _Inline = admin.TabularInline

#: Characters of a response body shown in a list of attempts.
EXCERPT = 200
#: An attempt's outcome, as its columns show it.
OUTCOME = ("ok", "status", "error_type")


def local_time(value: datetime | None) -> str:
    """A time as the admin shows a datetime field: localised, in the current time zone."""
    return str(display_for_value(value, "-"))


def _request_html(headers: Any, body: str, source: str = "") -> str:
    lines = "\n".join(f"{name}: {value}" for name, value in dict(headers or {}).items())
    return format_html(
        "{}<pre style='white-space: pre-wrap'>{}</pre><pre style='white-space: pre-wrap'>{}</pre>",
        format_html("<p>{}</p>", source) if source else "",
        lines or "(no headers)",
        pretty_body(body) or "(empty body)",
    )


class _ReadOnly:
    """Rows written by signalhooks only: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _AttemptColumns:
    @admin.display(description="duration")
    def duration_ms(self, obj: DeliveryAttempt) -> str:
        return f"{obj.duration * 1000:.0f} ms"

    @admin.display(description="response")
    def response_excerpt(self, obj: DeliveryAttempt) -> str:
        body = obj.response_body
        return body if len(body) <= EXCERPT else f"{body[:EXCERPT]}…"


class AttemptInline(_AttemptColumns, _ReadOnly, _Inline):
    """A delivery's attempts, newest first."""

    model = DeliveryAttempt
    fk_name = "delivery"
    extra = 0
    ordering = ("-started_at", "-id")
    fields = ("number", "started_at", "duration_ms", *OUTCOME, "error", "response_excerpt")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "attempts"


class StatusFilter(admin.SimpleListFilter):
    """Classes of HTTP status, not every distinct value (a scan of the whole log)."""

    title = "status"
    parameter_name = "status_class"
    CLASSES: ClassVar[dict[str, tuple[int, int]]] = {
        "2xx": (200, 300),
        "3xx": (300, 400),
        "4xx": (400, 500),
        "5xx": (500, 600),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*((name, name) for name in self.CLASSES), ("none", "no answer")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(status__isnull=True)
        if value in self.CLASSES:
            low, high = self.CLASSES[value]
            return queryset.filter(status__gte=low, status__lt=high)
        return queryset


class DeliveryAttemptAdmin(_AttemptColumns, _ReadOnly, _AttemptAdmin):
    """The attempts log: every attempt of a durable delivery, and every test event."""

    list_display = (
        "started_at",
        "event_name",
        "event_id",
        "target",
        "number",
        *OUTCOME,
        "duration_ms",
        "is_test",
    )
    list_filter = ("ok", StatusFilter, "is_test")
    search_fields = ("=event_id", "=endpoint_id")
    show_full_result_count = False  # a filtered page counts its own rows only
    fields = (
        "event_name",
        "event_id",
        "target",
        "endpoint_id",
        "delivery",
        "number",
        "is_test",
        "started_at",
        "duration_ms",
        *OUTCOME,
        "error",
        "request",
        "response_body",
    )
    readonly_fields = fields

    @admin.display(description="request sent")
    def request(self, obj: DeliveryAttempt) -> str:
        return _request_html(obj.request_headers, obj.request_body)


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
    inlines = (AttemptInline,)
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
        "request",
    )
    readonly_fields = fields
    #: Scheduling fields, meaningless once a delivery is finished.
    PENDING_ONLY = ("next_attempt_at", "lease_until", "locked_by")

    def get_fields(self, request: HttpRequest, obj: OutboxDelivery | None = None) -> Any:
        if obj is not None and obj.status != OutboxDelivery.PENDING:
            return [name for name in self.fields if name not in self.PENDING_ONLY]
        return self.fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from hooks, in the transaction of the change

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only; actions below are the only way to change a row

    @admin.display(description="request")
    def request(self, obj: OutboxDelivery) -> str:
        """The headers and body the receiver gets, not the outbox's storage format."""
        shown = preview(obj)
        return _request_html(shown.headers, shown.body, shown.source)

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
