"""The portal's JSON API: shapes, status codes, pagination, CSRF, tokens, bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from signalhooks.models import Endpoint, OutboxDelivery
from tests.endpoint_support import path_of, verify
from tests.helpers import unique_path
from tests.portal import owners
from tests.portal.support import PORTAL, attempt_of, client_of, delivery_of, endpoint_of

pytestmark = pytest.mark.django_db
API = f"{PORTAL}api/"
BERLIN = ZoneInfo("Europe/Berlin")
ENDPOINT_KEYS = {
    "id",
    "url",
    "description",
    "event_types",
    "headers",
    "rate_limit",
    "payload_format",
    "timeout",
    "max_attempts",
    "is_active",
    "disabled_reason",
    "failing_since",
    "created_at",
    "updated_at",
}


def call(client: Client, method: str, path: str, body: Any = None, **extra: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body) if body is not None else ""
    return getattr(client, method)(
        f"{API}{path}", data=data, content_type="application/json", **extra
    )


def error_of(answer: Any) -> dict[str, Any]:
    assert answer["Content-Type"] == "application/json"
    return answer.json()["error"]


def test_create_read_update_delete(alice):
    client = client_of(alice)
    created = call(
        client,
        "post",
        "endpoints/",
        {"url": "https://u:p@hooks.example.com/in?k=1", "event_types": ["shop.*"]},
    )
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    body = created.json()
    saved = Endpoint.objects.get()
    assert set(body) == ENDPOINT_KEYS | {"secret"} and body["secret"] == saved.secret
    assert body["url"] == "https://u:p@hooks.example.com/in?k=1"  # as the owner gave it
    assert created["Location"] == f"{API}endpoints/{saved.pk}/"
    assert saved.owner == alice and body["is_active"] and body["failing_since"] is None
    assert body["created_at"].endswith("Z")
    got = call(client, "get", f"endpoints/{saved.pk}/").json()
    assert set(got) == ENDPOINT_KEYS and got["id"] == saved.pk
    patched = call(client, "patch", f"endpoints/{saved.pk}/", {"rate_limit": 3, "description": "d"})
    assert patched.status_code == 200 and patched.json()["rate_limit"] == 3
    saved.refresh_from_db()
    assert saved.rate_limit == 3 and saved.event_types == ["shop.*"] and saved.description == "d"
    assert call(client, "delete", f"endpoints/{saved.pk}/").status_code == 204
    assert not Endpoint.objects.exists()
    assert call(client, "get", f"endpoints/{saved.pk}/").status_code == 404


def test_the_list_is_cursor_paginated(alice):
    made = [endpoint_of(alice, f"https://hooks.example.com/{i}") for i in range(105)]
    client = client_of(alice)
    first = call(client, "get", "endpoints/").json()
    assert [e["id"] for e in first["results"]] == [e.pk for e in made[:100]]
    assert first["next"].startswith("http://testserver/webhooks/api/endpoints/?cursor=")
    second = client.get(first["next"]).json()
    assert [e["id"] for e in second["results"]] == [e.pk for e in made[100:]]
    assert second["next"] is None
    bad = call(client, "get", "endpoints/?cursor=bm90IGEgY3Vyc29y")
    assert bad.status_code == 400 and "cursor" in error_of(bad)["fields"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "ftp://hooks.example.com"}, "url", "http:// or https://"),
        ({"url": "https://127.0.0.1/in"}, "url", "is a loopback address"),
        ({"url": "https://10.1.2.3/in"}, "url", "is a private address"),
        ({"url": "https://h.example", "event_types": ["shop order"]}, "event_types", "pattern"),
        ({"url": "https://h.example", "event_types": "shop.*"}, "event_types", "JSON array"),
        ({"url": "https://h.example", "headers": {"webhook-id": "x"}}, "headers", "set by"),
        ({"url": "https://h.example", "headers": ["X-A: 1"]}, "headers", "JSON object"),
        ({"url": "https://h.example", "rate_limit": 0}, "rate_limit", "greater than or equal"),
        ({"url": "https://h.example", "rate_limit": "abc"}, "rate_limit", "JSON integer"),
        ({"url": "https://h.example", "rate_limit": True}, "rate_limit", "JSON integer"),
        ({"url": "https://h.example", "payload_format": "xml"}, "payload_format", "not a valid"),
        ({"url": "https://h.example", "timeout": 0}, "timeout", "finite number > 0"),
        ({"url": "https://h.example", "timeout": "abc"}, "timeout", "JSON number"),
        ({"url": "https://h.example", "timeout": 60}, "timeout", "the service's limit"),
        ({"url": "https://h.example", "max_attempts": 0}, "max_attempts", "int >= 1"),
        ({"url": "https://h.example", "max_attempts": 2.5}, "max_attempts", "JSON integer"),
        ({"url": "https://h.example", "color": "red"}, "color", "Unknown field"),
        ({"url": "https://h.example", "is_active": False}, "is_active", "Read-only"),
        ({"description": "no url"}, "url", "cannot be blank"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(alice, body, field, message):
    client = client_of(alice)
    answer = call(client, "post", "endpoints/", body)
    assert answer.status_code == 400
    error = error_of(answer)
    assert error["code"] == "invalid" and message in " ".join(error["fields"][field])
    assert field in error["message"]
    assert not Endpoint.objects.exists()
    ep = endpoint_of(alice)
    before = Endpoint.objects.values().get(pk=ep.pk)
    patch = {k: v for k, v in body.items() if k != "url" or field == "url"}
    if field != "url" or "description" not in body:
        answer = call(client, "patch", f"endpoints/{ep.pk}/", patch)
        assert answer.status_code == 400 and field in error_of(answer)["fields"]
    assert Endpoint.objects.values().get(pk=ep.pk) == before


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', b"\xff\xfe"])
def test_malformed_json_is_refused(alice, raw):
    answer = call(client_of(alice), "post", "endpoints/", raw)
    assert answer.status_code == 400 and error_of(answer)["code"] == "invalid_json"
    assert not Endpoint.objects.exists()


def test_anonymous_401_no_owner_403_wrong_method_405(alice, settings):
    answer = call(Client(), "get", "endpoints/")
    assert answer.status_code == 401 and error_of(answer)["code"] == "not_authenticated"
    assert call(Client(), "get", "openapi.json").status_code == 401
    answer = call(client_of(alice), "put", "endpoints/", {})
    assert answer.status_code == 405 and answer["Allow"] == "GET, HEAD, POST"
    assert error_of(answer)["code"] == "method_not_allowed"
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "PORTAL_OWNER": "tests.portal.owners.nobody"}
    answer = call(client_of(alice), "get", "endpoints/")
    assert answer.status_code == 403 and error_of(answer)["code"] == "permission_denied"


def test_session_requests_need_the_csrf_token(alice, event_catalog):
    client = client_of(alice, enforce_csrf_checks=True)
    refused = call(client, "post", "endpoints/", {"url": "https://hooks.example.com/in"})
    assert refused.status_code == 403 and error_of(refused)["code"] == "csrf_failed"
    assert not Endpoint.objects.exists()
    assert call(client, "get", "endpoints/").status_code == 200  # safe methods need none
    client.get(f"{PORTAL}new/")  # a page sets the CSRF cookie, as in a browser
    token = client.cookies["csrftoken"].value
    accepted = call(
        client,
        "post",
        "endpoints/",
        {"url": "https://hooks.example.com/in"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 201


def test_token_clients_need_no_csrf_token(alice, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "PORTAL_OWNER": "tests.portal.owners.by_token"}
    owners.TOKENS["alice-token"] = "alice"
    client = Client(enforce_csrf_checks=True, headers={"authorization": "Bearer alice-token"})
    answer = call(client, "post", "endpoints/", {"url": "https://hooks.example.com/in"})
    assert answer.status_code == 201 and Endpoint.objects.get().owner == alice
    wrong = Client(headers={"authorization": "Bearer nope"})
    assert call(wrong, "get", "endpoints/").status_code == 401


def test_actions(alice, http, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
    ep = endpoint_of(alice, http.url(unique_path("portal-api")))
    client = client_of(alice)
    old = ep.secret
    rotated = call(client, "post", f"endpoints/{ep.pk}/rotate-secret/")
    ep.refresh_from_db()
    assert rotated.json() == {"secret": ep.secret} and ep.secret != old
    disabled = call(client, "post", f"endpoints/{ep.pk}/disable/").json()
    assert not disabled["is_active"] and disabled["disabled_reason"].startswith("disabled in")
    enabled = call(client, "post", f"endpoints/{ep.pk}/enable/").json()
    assert enabled["is_active"] and enabled["disabled_reason"] == ""
    http.behave(path_of(ep), statuses=[418], body=b"teapot")
    outcome = call(client, "post", f"endpoints/{ep.pk}/test/").json()
    assert outcome["ok"] is False and outcome["status"] == 418 and outcome["duration"] > 0
    assert "418" in outcome["error"]
    [received] = http.requests(path_of(ep))
    assert verify(ep.secret, received)["Event"] == "signalhooks.test"
    refused = call(client, "post", f"endpoints/{ep.pk}/enable/", {"force": True})
    assert refused.status_code == 400 and "force" in error_of(refused)["fields"]


def test_replay(alice):
    ep = endpoint_of(alice)
    delivery_of(ep, "recent", OutboxDelivery.DEAD)
    delivery_of(ep, "old", OutboxDelivery.DEAD, created_at=timezone.now() - timedelta(days=3))
    client = client_of(alice)
    since = (timezone.now() - timedelta(days=1)).replace(tzinfo=None).isoformat()  # naive: UTC
    answer = call(client, "post", f"endpoints/{ep.pk}/replay/", {"since": since})
    assert answer.status_code == 200 and answer.json() == {"replayed": 1}
    statuses = dict(OutboxDelivery.objects.values_list("event_id", "status"))
    assert statuses == {"recent": "pending", "old": "dead"}
    for body, field in (
        ({}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-02-30T00:00"}, "since"),
        ({"since": since, "failed_only": "yes"}, "failed_only"),
        ({"since": since, "endpoint": 3}, "endpoint"),
    ):
        answer = call(client, "post", f"endpoints/{ep.pk}/replay/", body)
        assert answer.status_code == 400 and field in error_of(answer)["fields"], body
    ep.disable("HTTP 410 Gone")
    answer = call(client, "post", f"endpoints/{ep.pk}/replay/", {"since": "2000-01-01T00:00Z"})
    assert answer.status_code == 409 and error_of(answer)["code"] == "endpoint_disabled"
    assert "disabled (HTTP 410 Gone)" in error_of(answer)["message"]


def test_attempts_list_filters_and_detail(alice):
    ep = endpoint_of(alice)
    now = timezone.now()
    for i in range(55):
        attempt_of(ep, event_id=f"msg_{i}", started_at=now - timedelta(minutes=i), ok=i != 3)
    failed = attempt_of(
        ep,
        started_at=now - timedelta(hours=5),
        ok=False,
        status=None,
        error_type="timeout",
        error="no answer within 5 s",
        is_test=True,
    )
    client = client_of(alice)
    first = call(client, "get", f"endpoints/{ep.pk}/attempts/").json()
    assert [a["event_id"] for a in first["results"]] == [f"msg_{i}" for i in range(50)]
    assert "request_body" not in first["results"][0]
    rest = client.get(first["next"]).json()
    assert len(rest["results"]) == 6 and rest["next"] is None
    only_failed = call(client, "get", f"endpoints/{ep.pk}/attempts/?status=failed").json()
    assert [a["id"] for a in only_failed["results"]][-1] == failed.pk
    assert [a["event_id"] for a in only_failed["results"]] == ["msg_3", failed.event_id]
    since = (now - timedelta(minutes=2, seconds=30)).astimezone(BERLIN).isoformat()
    recent = client.get(f"{API}endpoints/{ep.pk}/attempts/", {"since": since}).json()
    assert [a["event_id"] for a in recent["results"]] == ["msg_0", "msg_1", "msg_2"]
    for query in ("status=ok", "since=soon", "cursor=%%%"):
        bad = call(client, "get", f"endpoints/{ep.pk}/attempts/?{query}")
        assert bad.status_code == 400 and query.split("=")[0] in error_of(bad)["fields"]
    detail = call(client, "get", f"attempts/{failed.pk}/").json()
    assert detail["is_test"] and detail["error_type"] == "timeout" and detail["status"] is None
    assert detail["request_body"] and detail["response_body"] == "ok"
    assert detail["event_type"] == "testapp.Pizza:created" and detail["endpoint_id"] == ep.pk


def test_event_types(alice, event_catalog):
    answer = call(client_of(alice), "get", "event-types/").json()
    assert [t["name"] for t in answer["results"]] == [t.name for t in event_catalog]
    assert set(answer["results"][0]) == {"name", "description", "schema", "example"}
    assert answer["next"] is None
