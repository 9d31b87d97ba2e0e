"""The portal's JSON API: the same endpoints, attempts and actions as its pages.

Bodies are JSON objects; a field the API does not know, a read-only field, a value of
the wrong JSON type, malformed JSON or a model validation error answers 400 and
changes nothing. Lists are ``{"results": [...], "next": url-or-null}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from ..endpoints.models import Endpoint
from . import events
from .access import ApiError, api_view
from .listing import InvalidQuery, attempts_page, endpoints_page, next_url
from .openapi import document
from .operations import EndpointDisabled, disable_reason, parse_since, replay_failed, send_test
from .owner import OwnerScope
from .paging import Page
from .schema import EDITABLE, READ_ONLY, attempt_json, ceiling_problems, endpoint_json, type_problem

__all__ = [
    "attempt",
    "endpoint",
    "endpoint_attempts",
    "endpoint_disable",
    "endpoint_enable",
    "endpoint_replay",
    "endpoint_rotate_secret",
    "endpoint_test",
    "endpoints",
    "event_types",
    "openapi",
]


def json_body(request: HttpRequest, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The request's JSON object (``{}`` for no body), with keys among ``allowed`` only."""
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    unknown = [key for key in data if key not in allowed]
    if unknown:
        fields = {
            key: ["Read-only: the actions change it."] if key in READ_ONLY else ["Unknown field."]
            for key in unknown
        }
        known = ", ".join(allowed) or "none"
        raise ApiError(
            400,
            "invalid",
            f"Fields this request does not take: {', '.join(unknown)} (it takes: {known}).",
            fields,
        )
    return data


def _invalid(fields: dict[str, list[str]]) -> ApiError:
    summary = "; ".join(f"{name}: {messages[0]}" for name, messages in fields.items())
    return ApiError(400, "invalid", f"Invalid: {summary}", fields)


def _save(endpoint: Endpoint, data: dict[str, Any]) -> None:
    """Set ``data`` on the endpoint, validate it as ``full_clean()`` does, save it."""
    problems = {name: [p] for name, value in data.items() if (p := type_problem(name, value))}
    if problems:
        raise _invalid(problems)
    for name, value in data.items():
        setattr(endpoint, name, value)
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        raise _invalid(exc.message_dict) from None
    problems = ceiling_problems(endpoint.timeout)
    if problems:
        raise _invalid(problems)
    endpoint.save()


def _listing(request: HttpRequest, page: Page[Any], rows: list[dict[str, Any]]) -> JsonResponse:
    more = next_url(request, page.next_cursor)
    return JsonResponse({"results": rows, "next": more and request.build_absolute_uri(more)})


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _list_endpoints(request: HttpRequest, scope: OwnerScope) -> HttpResponse:
    try:
        page = endpoints_page(scope, request.GET.get("cursor"), health=False)
    except InvalidQuery as exc:
        raise _invalid(exc.fields) from None
    return _listing(request, page, [endpoint_json(ep) for ep in page.rows])


def _create_endpoint(request: HttpRequest, scope: OwnerScope) -> HttpResponse:
    created = scope.new_endpoint()
    _save(created, json_body(request, EDITABLE))
    response = JsonResponse({**endpoint_json(created), "secret": created.secret}, status=201)
    response["Location"] = reverse("signalhooks_portal:api_endpoint", args=[created.pk])
    return _no_store(response)


def _get_endpoint(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    return JsonResponse(endpoint_json(scope.endpoint(pk)))


def _patch_endpoint(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    found = scope.endpoint(pk)
    _save(found, json_body(request, EDITABLE))
    return JsonResponse(endpoint_json(found))


def _delete_endpoint(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    scope.endpoint(pk).delete()
    return HttpResponse(status=204)


def _rotate_secret(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    found = scope.endpoint(pk)
    json_body(request, ())
    return _no_store(JsonResponse({"secret": found.rotate_secret()}))


def _enable(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    found = scope.endpoint(pk)
    json_body(request, ())
    found.enable()
    return JsonResponse(endpoint_json(found))


def _disable(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    found = scope.endpoint(pk)
    json_body(request, ())
    found.disable(disable_reason(scope.owner))
    found.refresh_from_db()
    return JsonResponse(endpoint_json(found))


def _test(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    found = scope.endpoint(pk)
    json_body(request, ())
    return JsonResponse(send_test(found, scope.owner).as_json())


def _replay(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    found = scope.endpoint(pk)
    data = json_body(request, ("since", "failed_only"))
    problems: dict[str, list[str]] = {}
    if "since" not in data:
        problems["since"] = ["This field is required."]
    failed_only = data.get("failed_only", True)
    if not isinstance(failed_only, bool):
        problems["failed_only"] = ["Must be true or false."]
    try:
        since = parse_since(data.get("since"))
    except ValueError as exc:
        problems.setdefault("since", [str(exc)])
    if problems:
        raise _invalid(problems)
    try:
        count = replay_failed(found, since, failed_only=failed_only)
    except EndpointDisabled as exc:
        raise ApiError(409, "endpoint_disabled", str(exc)) from None
    return JsonResponse({"replayed": count})


def _attempts(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    found = scope.endpoint(pk)
    try:
        page = attempts_page(found, request.GET)
    except InvalidQuery as exc:
        raise _invalid(exc.fields) from None
    return _listing(request, page, [attempt_json(a, detail=False) for a in page.rows])


def _attempt(request: HttpRequest, scope: OwnerScope, pk: int) -> HttpResponse:
    return JsonResponse(attempt_json(scope.attempt(pk), detail=True))


def _event_types(request: HttpRequest, scope: OwnerScope) -> HttpResponse:
    rows = [events.event_type_json(event_type) for event_type in events.event_types()]
    return JsonResponse({"results": rows, "next": None})


def _openapi(request: HttpRequest, scope: OwnerScope) -> HttpResponse:
    return JsonResponse(document(request))


endpoints = api_view({"GET": _list_endpoints, "POST": _create_endpoint})
endpoint = api_view({"GET": _get_endpoint, "PATCH": _patch_endpoint, "DELETE": _delete_endpoint})
endpoint_rotate_secret = api_view({"POST": _rotate_secret})
endpoint_enable = api_view({"POST": _enable})
endpoint_disable = api_view({"POST": _disable})
endpoint_test = api_view({"POST": _test})
endpoint_replay = api_view({"POST": _replay})
endpoint_attempts = api_view({"GET": _attempts})
attempt = api_view({"GET": _attempt})
event_types = api_view({"GET": _event_types})
openapi = api_view({"GET": _openapi})
