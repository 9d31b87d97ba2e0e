"""What staff do to endpoints in the admin: test, rotate, disable, enable, replay.

The list's actions act on the selected endpoints; an endpoint's change page has its
own buttons for a test event and a rotation (POST forms, CSRF-protected), which show
the outcome, or the new secret once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from .log import replay
from .models import Endpoint
from .probe import send_test_event

__all__ = ["EndpointActions", "ReplayForm"]

if TYPE_CHECKING:  # generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin[Endpoint]
else:
    _ModelAdmin = admin.ModelAdmin

SECRET_TEMPLATE = "signalhooks/admin/endpoint_secret.html"
REPLAY_TEMPLATE = "signalhooks/admin/endpoint_replay.html"


class ReplayForm(forms.Form):
    since = forms.DateTimeField(help_text="Deliveries created at or after this time.")
    enable = forms.BooleanField(
        required=False,
        label="Enable the disabled endpoints first",
        help_text="Without it, the deliveries of disabled endpoints are not replayed: they "
        "would fail again at once, without a request.",
    )


class EndpointActions(_ModelAdmin):
    """The actions of :class:`~signalhooks.endpoints.admin.EndpointAdmin`, and its buttons."""

    actions = (
        "send_test_event",
        "rotate_secret",
        "disable_endpoints",
        "enable_endpoints",
        "replay_failed",
    )

    # -- the change page's buttons ---------------------------------------------------------

    def get_urls(self) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        own = [
            path("<path:object_id>/test/", view(self.test_view), name=f"{name}_test"),
            path("<path:object_id>/rotate/", view(self.rotate_view), name=f"{name}_rotate"),
        ]
        return own + super().get_urls()

    def _changeable(self, request: HttpRequest, object_id: str) -> Endpoint:
        endpoint = self.get_object(request, unquote(object_id))
        if endpoint is None:
            raise Http404(f"no endpoint with id {object_id!r}")
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        return endpoint

    @staticmethod
    def _back(endpoint: Endpoint) -> str:
        return reverse("admin:signalhooks_endpoint_change", args=[endpoint.pk])

    @method_decorator(require_POST)
    def test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: send a test event to the endpoint; its outcome is the next page's message."""
        endpoint = self._changeable(request, object_id)
        self._test(request, endpoint)
        return HttpResponseRedirect(self._back(endpoint))

    @method_decorator(require_POST)
    def rotate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: rotate the endpoint's secret; the answer shows the new one, once."""
        endpoint = self._changeable(request, object_id)
        return self._secrets_page(request, [(endpoint, endpoint.rotate_secret())], rotated=True)

    # -- secrets ---------------------------------------------------------------------------

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
            "changelist_url": _url("admin:signalhooks_endpoint_changelist"),
        }
        return TemplateResponse(request, SECRET_TEMPLATE, context)

    # -- actions ---------------------------------------------------------------------------

    def _test(self, request: HttpRequest, endpoint: Endpoint) -> None:
        user = getattr(request, "user", None)
        try:
            result = send_test_event(endpoint, f"Test event sent from the admin by {user}")
        except ImproperlyConfigured as exc:  # saved without full_clean()
            self.message_user(request, f"{endpoint}: cannot be sent to: {exc}", messages.ERROR)
            return
        if result is None:
            text, level = f"{endpoint}: no answer in time", messages.WARNING
        elif result.ok:
            text = f"{endpoint}: delivered (HTTP {result.status}, {result.duration * 1000:.0f} ms)"
            level = messages.SUCCESS
        else:
            text, level = f"{endpoint}: failed: {result.error}", messages.ERROR
        self.message_user(request, text, level)

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            self._test(request, endpoint)

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
        """A form asks for the time; submitting it requeues the endpoints' dead rows.

        Disabled endpoints are left out (their rows would die again at once, without a
        request), with a warning each, unless the form asks to enable them first.
        """
        if "apply" in request.POST:
            form = ReplayForm(request.POST)
            if form.is_valid():
                self._replay(request, list(queryset), form.cleaned_data, queryset.db)
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

    def _replay(
        self, request: HttpRequest, endpoints: list[Endpoint], data: dict[str, Any], using: str
    ) -> None:
        disabled = [endpoint for endpoint in endpoints if not endpoint.is_active]
        if data["enable"]:
            for endpoint in disabled:
                endpoint.enable()
            if disabled:
                self.message_user(request, f"{len(disabled)} endpoints enabled.", messages.SUCCESS)
            disabled = []
        for endpoint in disabled:
            self.message_user(
                request,
                f"{endpoint} is disabled ({endpoint.disabled_reason}): its failed deliveries "
                "were not replayed; they would fail again at once, without a request. Enable "
                "it first (or tick 'Enable the disabled endpoints first').",
                messages.WARNING,
            )
        ids = [endpoint.pk for endpoint in endpoints if endpoint not in disabled]
        count = replay(data["since"], using=using, endpoint_ids=ids, failed_only=True) if ids else 0
        self.message_user(
            request,
            f"{count} failed deliveries queued again; signalhooks_worker sends them.",
            messages.SUCCESS if ids else messages.WARNING,
        )


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return "#"
