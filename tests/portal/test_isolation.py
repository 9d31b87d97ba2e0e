"""Two customers: every route of the portal, pages and API, with the other one's ids.

The routes come from ``signalhooks.portal.urls`` itself, so a route added later is
covered (or fails here until it is). Every method a route answers is tried with Bob's
endpoint or attempt id from Alice's session: each answers 404, nothing of Bob's
changes, no request reaches Bob's receiver, and none of Bob's URLs or event ids
appears in anything Alice sees.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import URLPattern

from signalhooks.models import Endpoint, OutboxDelivery
from signalhooks.portal import urls
from tests.helpers import unique_path
from tests.portal.support import PORTAL, attempt_of, client_of, delivery_of, endpoint_of
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "patch", "delete")
SINCE = "2000-01-01T00:00:00Z"


def routes() -> list[URLPattern]:
    return [p for p in urls.urlpatterns if isinstance(p, URLPattern)]


def concrete(pattern: URLPattern, pk: int) -> str:
    return PORTAL + re.sub(r"<int:pk>", str(pk), str(pattern.pattern))


def call(client: Any, pattern: URLPattern, method: str, pk: int, url: str) -> Any:
    """``method`` on the route with a body that is valid for an endpoint of ``url``, so
    that a 404 comes from the owner's scope and not from the input."""
    name = pattern.name or ""
    bodies: dict[str, Any] = {
        "endpoint_create": {"url": url, "payload_format": "signalhooks"},
        "endpoint_edit": {"url": url, "payload_format": "signalhooks"},
        "endpoint_replay": {"since": SINCE, "failed_only": "on"},
        "api_endpoints": {"url": url},
        "api_endpoint": {"description": "taken"},
        "api_endpoint_replay": {"since": SINCE},
    }
    target = concrete(pattern, pk)
    if method == "get":
        return client.get(target)
    if name.startswith("api_"):
        body = json.dumps(bodies.get(name, {}))
        return getattr(client, method)(target, data=body, content_type="application/json")
    return getattr(client, method)(target, data=bodies.get(name, {}))


@pytest.fixture
def bob_world(bob, http, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
    path = unique_path("bobs-receiver")
    ep = endpoint_of(bob, http.url(path), description="Bob's shop")
    ep.disable("paused by Bob")  # enable and replay would both change something
    attempt = attempt_of(ep, event_id="msg_bobs_event_7f3a", target=str(ep))
    delivery_of(ep, "msg_bobs_event_7f3a", OutboxDelivery.DEAD)
    return {"endpoint": ep, "attempt": attempt, "path": path}


def snapshot(ep: Endpoint) -> Any:
    return (
        Endpoint.objects.values().get(pk=ep.pk),
        list(OutboxDelivery.objects.values_list("status", "attempts")),
    )


def test_every_route_answers_404_with_the_other_owners_ids(alice, bob_world, http):
    bobs, attempt = bob_world["endpoint"], bob_world["attempt"]
    endpoint_of(alice)  # Alice has endpoints of her own
    before = snapshot(bobs)
    client = client_of(alice)
    tried = 0
    for pattern in routes():
        if "<int:pk>" not in str(pattern.pattern):
            continue
        pk = attempt.pk if "attempt" in str(pattern.pattern).split("<")[0] else bobs.pk
        for method in METHODS:
            answer = call(client, pattern, method, pk, http.url(bob_world["path"]))
            if answer.status_code == 405:
                continue
            tried += 1
            assert answer.status_code == 404, (method, pattern.name, answer.status_code)
            assert "Bob" not in answer.content.decode()
            if pattern.name and pattern.name.startswith("api_"):
                assert answer.json()["error"]["code"] == "not_found"
    assert tried >= 25  # every page and API route with an id, each of its methods
    assert snapshot(bobs) == before
    assert http.requests(bob_world["path"]) == []


def test_the_other_owners_urls_and_event_ids_never_appear(alice, bob_world, event_catalog, http):
    bobs = bob_world["endpoint"]
    mine = endpoint_of(alice, http.url(unique_path("alices-receiver")), description="Alice's shop")
    attempt = attempt_of(mine, event_id="msg_alices_event")
    client = client_of(alice)
    seen = ""
    for pattern in routes():
        if pattern.name in ("endpoint_delete", "api_endpoint"):
            methods: tuple[str, ...] = ("get",)  # deleting is the last thing Alice does
        else:
            methods = ("get", "post")
        pk = attempt.pk if "attempt" in str(pattern.pattern).split("<")[0] else mine.pk
        for method in methods:
            answer = call(client, pattern, method, pk, mine.url)
            assert answer.status_code in (200, 201, 302, 405, 409), (method, pattern.name)
            seen += answer.content.decode()
    assert "Alice's shop" in seen and "msg_alices_event" in seen
    assert bob_world["path"] not in seen and "msg_bobs_event_7f3a" not in seen
    assert "Bob's shop" not in seen and f"/webhooks/{bobs.pk}/" not in seen


def test_same_id_of_another_owner_type_or_no_owner_is_not_the_owners(alice):
    pizza = Pizza.objects.create(pk=alice.pk, name="owner with the same id")
    theirs = Endpoint.objects.create(url="https://hooks.example.com/pizza", owner=pizza)
    nobodys = Endpoint.objects.create(url="https://hooks.example.com/nobody")
    client = client_of(alice)
    listing = client.get(f"{PORTAL}api/endpoints/").json()["results"]
    assert listing == []
    for ep in (theirs, nobodys):
        assert client.get(f"{PORTAL}{ep.pk}/").status_code == 404
        assert client.get(f"{PORTAL}api/endpoints/{ep.pk}/").status_code == 404


def test_an_owner_never_moves_an_endpoint_to_another(alice, bob, event_catalog):
    ep = endpoint_of(alice)
    client = client_of(alice)
    answer = client.patch(
        f"{PORTAL}api/endpoints/{ep.pk}/",
        data=json.dumps({"owner_id": str(bob.pk)}),
        content_type="application/json",
    )
    assert answer.status_code == 400 and "owner_id" in answer.json()["error"]["fields"]
    client.post(
        f"{PORTAL}{ep.pk}/edit/",
        {"url": ep.url, "payload_format": "signalhooks", "owner_id": str(bob.pk)},
    )
    ep.refresh_from_db()
    assert ep.owner == alice
