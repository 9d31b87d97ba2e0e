"""The actions of an endpoint's page: rotate, test, enable, disable, replay.

Each lives at its own path; a GET shows what the action does and a button (so a
project can link to it), the POST does it. Test events and replays answer with the
endpoint's page and their outcome; rotation answers with the new secret, once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from ..endpoints.models import Endpoint
from ..templatetags.signalhooks_portal import utc_time
from .access import page_view
from .forms import ReplayForm
from .operations import EndpointDisabled, disable_reason, replay_failed, send_test
from .owner import OwnerScope
from .pages import detail_url, notify, render_detail, render_page, secret_page

__all__ = [
    "endpoint_disable",
    "endpoint_enable",
    "endpoint_replay",
    "endpoint_rotate",
    "endpoint_test",
]


@dataclass(frozen=True)
class Action:
    title: str
    explanation: str
    button: str


ACTIONS = {
    "rotate": Action(
        "Rotate the signing secret",
        "A new secret signs every request from now on. The current one keeps signing "
        "alongside it for 24 hours, so that you can update your receiver meanwhile. The "
        "new secret is shown once.",
        "Rotate the secret",
    ),
    "test": Action(
        "Send a test event",
        "One signalhooks.test event is sent to the endpoint now, even if it is disabled, "
        "and its outcome is shown.",
        "Send a test event",
    ),
    "enable": Action(
        "Enable the endpoint",
        "Events are delivered to it again, and its failure history is cleared.",
        "Enable",
    ),
    "disable": Action(
        "Disable the endpoint",
        "No event is delivered to it until it is enabled again.",
        "Disable",
    ),
}


EndpointAction = Callable[[HttpRequest, OwnerScope, Endpoint], HttpResponse]


def action(name: str) -> Callable[[EndpointAction], Callable[..., HttpResponse]]:
    """A page of ``ACTIONS[name]``: a GET shows it and its button; the POST calls the
    decorated ``do(request, scope, endpoint)`` on the owner's endpoint ``pk``."""

    def decorate(do: EndpointAction) -> Callable[..., HttpResponse]:
        @page_view("GET", "POST")
        @functools.wraps(do)
        def view(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
            endpoint = scope.endpoint(pk)
            if request.method == "POST":
                return do(request, scope, endpoint)
            context = {"endpoint": endpoint, "action": ACTIONS[name], "action_name": name}
            return render_page(request, scope, "endpoint_action", context)

        return view

    return decorate


@action("rotate")
def endpoint_rotate(request: HttpRequest, scope: OwnerScope, endpoint: Endpoint) -> HttpResponse:
    endpoint.rotate_secret()
    return secret_page(request, scope, endpoint, rotated=True)


@action("test")
def endpoint_test(request: HttpRequest, scope: OwnerScope, endpoint: Endpoint) -> HttpResponse:
    outcome = send_test(endpoint, scope.owner)
    return render_detail(request, scope, endpoint.pk, test_outcome=outcome)


@action("enable")
def endpoint_enable(request: HttpRequest, scope: OwnerScope, endpoint: Endpoint) -> HttpResponse:
    endpoint.enable()
    notify(request, "The endpoint is enabled.")
    return HttpResponseRedirect(detail_url(endpoint))


@action("disable")
def endpoint_disable(request: HttpRequest, scope: OwnerScope, endpoint: Endpoint) -> HttpResponse:
    endpoint.disable(disable_reason(scope.owner))
    notify(request, "The endpoint is disabled.")
    return HttpResponseRedirect(detail_url(endpoint))


@page_view("GET", "POST")
def endpoint_replay(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    endpoint = scope.endpoint(pk)
    if request.method == "POST":
        form = ReplayForm(request.POST)
        if form.is_valid():
            since, failed_only = form.cleaned_data["since"], form.cleaned_data["failed_only"]
            try:
                count = replay_failed(endpoint, since, failed_only=failed_only)
            except EndpointDisabled as exc:
                form.add_error(None, str(exc))
            else:
                what = "failed deliveries" if failed_only else "deliveries"
                notice = f"{count} {what} since {utc_time(since)} queued again."
                return render_detail(request, scope, pk, notice=notice)
    else:
        since = (timezone.now() - timedelta(hours=24)).replace(microsecond=0)
        form = ReplayForm(initial={"since": since.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return render_page(request, scope, "endpoint_replay", {"endpoint": endpoint, "form": form})
