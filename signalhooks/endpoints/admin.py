"""Django admin for endpoints: edit, see health and recent deliveries, act on them.

Registered on the default site by ``signalhooks/admin.py``. A secret is shown in full
once, on the page that follows its creation (adding an endpoint, rotating its secret),
never in a message (messages may be stored in a cookie) and never afterwards.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ..targets.http import display_url
from .log import annotate_success, recent_deliveries, replay, success_rate
from .models import Endpoint
from .probe import send_test_event
from .validators import validate_event_types

__all__ = ["EndpointAdmin", "EndpointForm"]

if TYPE_CHECKING:  # generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin[Endpoint]
    _ModelForm = forms.ModelForm[Endpoint]
else:
    _ModelAdmin = admin.ModelAdmin
    _ModelForm = forms.ModelForm

SECRET_TEMPLATE = "signalhooks/admin/endpoint_secret.html"
REPLAY_TEMPLATE = "signalhooks/admin/endpoint_replay.html"


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
            "is_active",
            "rate_limit",
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


class ReplayForm(forms.Form):
    since = forms.DateTimeField(help_text="Deliveries created at or after this time.")


class EndpointAdmin(_ModelAdmin):
    """List, edit and act on endpoints; see the module docstring."""

    form = EndpointForm
    list_display = (
        "id",
        "shown_url",
        "description",
        "is_active",
        "patterns",
        "owner_display",
        "rate_limit",
        "success_24h",
        "updated_at",
    )
    list_display_links = ("id", "shown_url")
    list_filter = ("is_active",)
    search_fields = ("url", "description", "=owner_id")
    actions = (
        "send_test_event",
        "rotate_secret",
        "disable_endpoints",
        "enable_endpoints",
        "replay_failed",
    )
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
            {"fields": ("is_active", "rate_limit", "ordered", "disabled_reason", "failing_since")},
        ),
        ("Owner", {"fields": ("owner_type", "owner_id")}),
        ("Attempts log", {"fields": ("success_24h", "recent", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Endpoint]:
        return annotate_success(super().get_queryset(request).select_related("owner_type"))

    # -- columns and read-only fields ---------------------------------------------------

    @admin.display(description="URL", ordering="url")
    def shown_url(self, obj: Endpoint) -> str:
        return display_url(obj.url)

    @admin.display(description="event types")
    def patterns(self, obj: Endpoint) -> str:
        return ", ".join(obj.event_types or []) or "(every event)"

    @admin.display(description="owner")
    def owner_display(self, obj: Endpoint) -> str:
        if obj.owner_type is None:
            return "-"
        return f"{obj.owner_type.app_label}.{obj.owner_type.model} {obj.owner_id}"

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
                    row.created_at.isoformat(timespec="seconds"),
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

    # -- creation ------------------------------------------------------------------------

    def response_add(
        self, request: HttpRequest, obj: Endpoint, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The one page that shows the new endpoint's secret in full."""
        return self._secrets_page(request, [(obj, obj.secret)], rotated=False)

    def _secrets_page(
        self, request: HttpRequest, secrets: list[tuple[Endpoint, str]], *, rotated: bool
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Endpoint secrets",
            "secrets": secrets,
            "rotated": rotated,
            "changelist_url": _changelist_url(),
        }
        return TemplateResponse(request, SECRET_TEMPLATE, context)

    # -- actions ---------------------------------------------------------------------------

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        user = getattr(request, "user", None)
        for endpoint in queryset:
            try:
                result = send_test_event(endpoint, f"Test event sent from the admin by {user}")
            except ImproperlyConfigured as exc:  # saved without full_clean()
                self.message_user(request, f"{endpoint}: cannot be sent to: {exc}", messages.ERROR)
                continue
            if result is None:
                text, level = f"{endpoint}: no answer in time", messages.WARNING
            elif result.ok:
                text = (
                    f"{endpoint}: delivered (HTTP {result.status}, {result.duration * 1000:.0f} ms)"
                )
                level = messages.SUCCESS
            else:
                text, level = f"{endpoint}: failed: {result.error}", messages.ERROR
            self.message_user(request, text, level)

    @admin.action(
        description="Rotate the secret (the old one signs for 24 h)", permissions=["change"]
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> TemplateResponse:
        secrets = [(endpoint, endpoint.rotate_secret()) for endpoint in queryset]
        return self._secrets_page(request, secrets, rotated=True)

    @admin.action(description="Disable selected endpoints", permissions=["change"])
    def disable_endpoints(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        reason = f"disabled in the admin by {getattr(request, 'user', None)}"
        count = sum(endpoint.disable(reason) for endpoint in queryset)
        self.message_user(request, f"{count} endpoints disabled.", messages.SUCCESS)

    @admin.action(description="Enable selected endpoints", permissions=["change"])
    def enable_endpoints(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        count = 0
        for endpoint in queryset.filter(is_active=False):
            endpoint.enable()
            count += 1
        self.message_user(request, f"{count} endpoints enabled.", messages.SUCCESS)

    @admin.action(description="Replay failed deliveries since a time", permissions=["change"])
    def replay_failed(
        self, request: HttpRequest, queryset: QuerySet[Endpoint]
    ) -> TemplateResponse | None:
        """A form asks for the time; submitting it requeues the endpoints' dead rows."""
        if "apply" in request.POST:
            form = ReplayForm(request.POST)
            if form.is_valid():
                count = replay(
                    form.cleaned_data["since"],
                    using=queryset.db,
                    endpoint_ids=queryset.values_list("pk", flat=True),
                    failed_only=True,
                )
                self.message_user(
                    request,
                    f"{count} failed deliveries queued again; signalhooks_worker sends them.",
                    messages.SUCCESS,
                )
                return None
        else:
            form = ReplayForm(initial={"since": timezone.now() - timedelta(hours=24)})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Replay failed deliveries",
            "form": form,
            "endpoints": list(queryset),
            "action": "replay_failed",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, REPLAY_TEMPLATE, context)


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


def _changelist_url() -> str:
    try:
        return reverse("admin:signalhooks_endpoint_changelist")
    except NoReverseMatch:
        return "#"
