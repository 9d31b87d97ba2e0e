"""The portal's pages that show and edit endpoints; their actions are in :mod:`.actions`.

Every page is rendered from ``signalhooks/portal/<name>.html``, which extends
``signalhooks/portal/base.html``; every form is a POST with Django's CSRF token, and
nothing changes on GET. A secret appears on exactly two answers: the POST that created
the endpoint and the POST that rotated its secret (both ``Cache-Control: no-store``).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from ..endpoints.models import Endpoint
from . import events
from .access import page_view
from .forms import EndpointForm
from .listing import (
    InvalidQuery,
    attempts_page,
    endpoint_with_health,
    endpoints_page,
    next_url,
)
from .owner import OwnerScope
from .schema import EDITABLE, model_field

__all__ = [
    "attempt_detail",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_detail",
    "endpoint_edit",
    "endpoint_list",
    "event_types",
    "render_detail",
    "render_page",
    "secret_page",
]

TEMPLATES = "signalhooks/portal/"


def render_page(
    request: HttpRequest, scope: OwnerScope, name: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """``signalhooks/portal/<name>.html`` with the owner and the pending messages."""
    context = {"owner": scope.owner, "messages": messages.get_messages(request), **context}
    return render(request, f"{TEMPLATES}{name}.html", context, status=status)


def detail_url(endpoint: Endpoint) -> str:
    return reverse("signalhooks_portal:endpoint_detail", args=[endpoint.pk])


def notify(request: HttpRequest, text: str) -> None:
    """A message for the next page, when the project uses Django's messages framework."""
    messages.success(request, text, fail_silently=True)


def _event_type_choices() -> list[tuple[str, str]]:
    return [(event_type.name, event_type.description) for event_type in events.event_types()]


@page_view("GET", "HEAD")
def endpoint_list(request: HttpRequest, scope: OwnerScope) -> HttpResponse:
    try:
        page = endpoints_page(scope, request.GET.get("cursor"))
    except InvalidQuery as exc:
        raise BadRequest(str(exc)) from None
    context = {"endpoints": page.rows, "next_url": next_url(request, page.next_cursor)}
    return render_page(request, scope, "endpoint_list", context)


def secret_page(
    request: HttpRequest, scope: OwnerScope, endpoint: Endpoint, *, rotated: bool
) -> HttpResponse:
    """The one answer that shows ``endpoint.secret``: kept out of caches and history."""
    context = {"endpoint": endpoint, "secret": endpoint.secret, "rotated": rotated}
    response = render_page(request, scope, "secret", context)
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


@page_view("GET", "POST")
def endpoint_create(request: HttpRequest, scope: OwnerScope) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = EndpointForm(data, instance=scope.new_endpoint(), event_types=_event_type_choices())
    if form.is_valid():
        return secret_page(request, scope, form.save(), rotated=False)
    return render_page(request, scope, "endpoint_form", {"form": form, "endpoint": None})


@page_view("GET", "POST")
def endpoint_edit(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    data = request.POST if request.method == "POST" else None
    form = EndpointForm(data, instance=endpoint, event_types=_event_type_choices())
    if form.is_valid():
        form.save()
        notify(request, "The endpoint is saved.")
        return HttpResponseRedirect(detail_url(endpoint))
    return render_page(request, scope, "endpoint_form", {"form": form, "endpoint": endpoint})


#: The settings the endpoint page shows in its own way; any other editable one is listed
#: by its model field's name.
_SHOWN = frozenset({"url", "description", "event_types", "headers", "rate_limit", "payload_format"})


def more_settings(endpoint: Endpoint) -> list[tuple[str, Any]]:
    fields = [model_field(Endpoint, name) for name in EDITABLE if name not in _SHOWN]
    return [(str(field.verbose_name), getattr(endpoint, field.name)) for field in fields]


def render_detail(request: HttpRequest, scope: OwnerScope, pk: int, **extra: Any) -> HttpResponse:
    """An endpoint's page: settings, state, actions, its attempts (``GET`` filters them)."""
    endpoint = endpoint_with_health(scope, pk)
    filters = {key: request.GET.get(key, "") for key in ("status", "since")}
    try:
        page = attempts_page(endpoint, request.GET)
    except InvalidQuery as exc:
        attempts, more, filter_errors = [], None, exc.fields
    else:
        attempts, more, filter_errors = page.rows, next_url(request, page.next_cursor), {}
    context = {
        "endpoint": endpoint,
        "more_settings": more_settings(endpoint),
        "attempts": attempts,
        "next_url": more,
        "filters": filters,
        "filter_errors": filter_errors,
        **extra,
    }
    status = 400 if filter_errors else 200
    return render_page(request, scope, "endpoint_detail", context, status)


@page_view("GET", "HEAD")
def endpoint_detail(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    return render_detail(request, scope, pk)


@page_view("GET", "POST")
def endpoint_delete(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    if request.method == "POST":
        shown = str(endpoint)
        endpoint.delete()
        notify(request, f"The endpoint {shown} is deleted.")
        return HttpResponseRedirect(reverse("signalhooks_portal:endpoint_list"))
    return render_page(request, scope, "endpoint_delete", {"endpoint": endpoint})


def pretty_json(text: str) -> str:
    """JSON text indented for reading; anything else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@page_view("GET", "HEAD")
def attempt_detail(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    attempt = scope.attempt(pk)
    context = {
        "attempt": attempt,
        "endpoint": scope.endpoint(int(attempt.endpoint_id or 0)),
        "request_body": pretty_json(attempt.request_body),
        "request_headers": sorted((attempt.request_headers or {}).items()),
    }
    return render_page(request, scope, "attempt_detail", context)


@page_view("GET", "HEAD")
def event_types(request: HttpRequest, scope: OwnerScope) -> HttpResponse:
    shown = [
        (event_type, json.dumps(event_type.example, indent=2, ensure_ascii=False))
        for event_type in events.event_types()
    ]
    return render_page(request, scope, "event_types", {"event_types": shown})
