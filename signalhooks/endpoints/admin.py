"""Django admin for endpoints: edit, see health and recent deliveries, act on them.

Registered on the default site by ``signalhooks/admin.py``. A secret is shown in full
once, on the page that follows its creation (adding an endpoint, rotating its secret),
never in a message (messages may be stored in a cookie) and never afterwards. The
actions and the change page's buttons are in :mod:`.admin_actions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, When
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ..outbox.admin import local_time
from ..outbox.models import OutboxDelivery
from ..targets.http import display_url
from .admin_actions import EndpointActions
from .log import annotate_success, recent_deliveries, success_rate
from .models import Endpoint
from .validators import validate_event_types

__all__ = ["EndpointAdmin", "EndpointForm"]

if TYPE_CHECKING:  # generic only in django-stubs
    _ModelForm = forms.ModelForm[Endpoint]
    from django.contrib.admin.views.main import ChangeList
else:
    _ModelForm = forms.ModelForm


class EndpointForm(_ModelForm):
    """Event types as one pattern per line; everything else as the model has it."""

    event_types = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='One pattern per line, e.g. "shop.Order:*" or "shop.*"; empty: every event.',
    )

    class Meta:
        model = Endpoint
        fields = (
            "url",
            "description",
            "event_types",
            "headers",
            "payload_format",
            "is_active",
            "rate_limit",
            "timeout",
            "max_attempts",
            "ordered",
            "owner_type",
            "owner_id",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk is not None:
            self.initial["event_types"] = "\n".join(self.instance.event_types or [])

    def clean_event_types(self) -> list[str]:
        text = self.cleaned_data.get("event_types") or ""
        patterns = [line.strip() for line in str(text).splitlines() if line.strip()]
        validate_event_types(patterns)
        return patterns


class EndpointAdmin(EndpointActions):
    """List, edit and act on endpoints; see the module docstring."""

    form = EndpointForm
    change_form_template = "signalhooks/admin/endpoint_change_form.html"
    list_display = (
        "id",
        "shown_url",
        "description",
        "health",
        "patterns",
        "owner_display",
        "rate_limit",
        "success_24h",
        "updated_at",
    )
    list_display_links = ("id", "shown_url")
    list_filter = ("is_active", ("owner_type", admin.RelatedOnlyFieldListFilter))
    search_fields = ("url", "description", "=owner_id")
    readonly_fields = (
        "secret_display",
        "disabled_reason",
        "failing_since",
        "success_24h",
        "recent",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("url", "description", "event_types", "headers", "secret_display")}),
        (
            "Delivery",
            {
                "fields": (
                    "payload_format",
                    "is_active",
                    "rate_limit",
                    "ordered",
                    "disabled_reason",
                    "failing_since",
                )
            },
        ),
        ("Timeout and attempts", {"fields": ("timeout", "max_attempts")}),
        ("Owner", {"fields": ("owner_type", "owner_id")}),
        ("Attempts log", {"fields": ("success_24h", "recent", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Endpoint]:
        endpoints = super().get_queryset(request).select_related("owner_type")
        return annotate_success(endpoints).annotate(retries_pending=_retries_pending())

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        _attach_owners(changelist.result_list)
        return changelist

    # -- columns and read-only fields ---------------------------------------------------

    @admin.display(description="URL", ordering="url")
    def shown_url(self, obj: Endpoint) -> str:
        return display_url(obj.url)

    @admin.display(description="event types")
    def patterns(self, obj: Endpoint) -> str:
        return ", ".join(obj.event_types or []) or "(every event)"

    @admin.display(description="health", ordering="is_active")
    def health(self, obj: Endpoint) -> str:
        """Active, failing since when (with the retries waiting), or disabled and why."""
        if not obj.is_active:
            return format_html(
                "<strong style='color: #ba2121'>disabled</strong>: {}",
                obj.disabled_reason or "no reason given",
            )
        if obj.failing_since is not None:
            pending = int(getattr(obj, "retries_pending", 0) or 0)
            return format_html(
                "<strong style='color: #b35c00'>failing</strong> since {}, {} {} pending",
                local_time(obj.failing_since),
                pending,
                "retry" if pending == 1 else "retries",
            )
        return "active"

    @admin.display(description="owner")
    def owner_display(self, obj: Endpoint) -> str:
        if obj.owner_type is None:
            return "-"
        shown = getattr(obj, "owner_shown", None)  # the list fetched them together
        if shown is None:
            owner = _owners(obj.owner_type, [obj.owner_id]).get(str(obj.owner_id))
            shown = _owner_text(obj, owner)
        return str(shown)

    @admin.display(description="secret")
    def secret_display(self, obj: Endpoint) -> str:
        if obj.pk is None:
            return "generated when the endpoint is saved, and shown once"
        return f"{obj.masked_secret} (shown in full only when created or rotated)"

    @admin.display(description="success, 24 h")
    def success_24h(self, obj: Endpoint) -> str:
        delivered = int(getattr(obj, "delivered_24h", 0) or 0)
        failed = int(getattr(obj, "failed_24h", 0) or 0)
        rate = success_rate(delivered, failed)
        if rate is None:
            return "-"
        return f"{rate:.1%} ({delivered} delivered, {failed} failed)"

    @admin.display(description="recent deliveries")
    def recent(self, obj: Endpoint) -> str:
        if obj.pk is None:
            return "-"
        rows = recent_deliveries(obj.pk, obj._state.db or "default")
        if not rows:
            return "No durable deliveries yet."
        head = mark_safe(  # constant markup
            "<tr><th>created</th><th>event</th><th>status</th><th>HTTP</th>"
            "<th>attempts</th><th>latency</th><th>last error</th></tr>"
        )
        body = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    _row_link(row.pk),
                    local_time(row.created_at),
                    row.event_name,
                    row.status,
                    row.last_status if row.last_status is not None else "-",
                    row.attempts,
                    _latency(row.created_at, row.delivered_at),
                    (row.last_error or "")[:200],
                )
                for row in rows
            ),
        )
        return format_html("<table>{}{}</table>", head, body)


def _retries_pending() -> Case:
    """Pending outbox rows of a failing endpoint (counted only for those)."""
    pending = (
        OutboxDelivery.objects.filter(endpoint_id=OuterRef("pk"), status=OutboxDelivery.PENDING)
        .order_by()
        .values("endpoint_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counted: Subquery = Subquery(pending, output_field=IntegerField())
    return Case(When(failing_since__isnull=False, then=counted), default=None)


def _owners(owner_type: ContentType, ids: Iterable[Any]) -> dict[str, Any]:
    """The owners of one type among ``ids``, by their id as text: one query."""
    model = owner_type.model_class()
    if model is None:
        return {}
    wanted: dict[Any, str] = {}
    for value in ids:
        try:  # ids saved without full_clean() may not be keys of the model
            wanted[model._meta.pk.to_python(value)] = str(value)
        except Exception:
            continue
    found = model._base_manager.filter(pk__in=list(wanted)) if wanted else []
    return {wanted[owner.pk]: owner for owner in found}


def _owner_text(endpoint: Endpoint, owner: Any) -> str:
    if owner is not None:
        return str(owner)
    owner_type = endpoint.owner_type
    assert owner_type is not None
    return f"{owner_type.app_label}.{owner_type.model} {endpoint.owner_id} (missing)"


def _attach_owners(endpoints: Iterable[Endpoint]) -> None:
    """Each endpoint's owner as text (``owner_shown``), with one query per owner type."""
    by_type: dict[int, list[Endpoint]] = {}
    for endpoint in endpoints:
        if endpoint.owner_type is not None:
            by_type.setdefault(endpoint.owner_type.pk, []).append(endpoint)
    for group in by_type.values():
        owner_type = group[0].owner_type
        assert owner_type is not None
        owners = _owners(owner_type, [endpoint.owner_id for endpoint in group])
        for endpoint in group:
            endpoint.owner_shown = _owner_text(endpoint, owners.get(str(endpoint.owner_id)))  # type: ignore[attr-defined]


def _latency(created: Any, delivered: Any) -> str:
    """From the row's creation (the commit of the event) to its delivery."""
    if delivered is None:
        return "-"
    return f"{(delivered - created).total_seconds() * 1000:.0f} ms"


def _row_link(pk: int) -> str:
    try:
        return reverse("admin:signalhooks_outboxdelivery_change", args=[pk])
    except NoReverseMatch:
        return "#"
