"""``api/openapi.json``: a valid OpenAPI 3.1 document of every API route, true to the answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from signalhooks.portal import urls
from tests.portal.support import PORTAL, attempt_of, client_of, endpoint_of

pytestmark = pytest.mark.django_db


def api_routes() -> dict[str, URLPattern]:
    found = {}
    for pattern in urls.urlpatterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLPattern) and route.startswith("api/"):
            found["/" + re.sub(r"<int:pk>", "{id}", route)] = pattern
    return found


def conforms(document: dict[str, Any], schema: str, value: Any) -> None:
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    Draft202012Validator(root).validate(value)


@pytest.fixture
def document(alice, event_catalog) -> dict[str, Any]:
    answer = client_of(alice).get(f"{PORTAL}api/openapi.json")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    return answer.json()


def test_the_document_is_valid_openapi_3_1(document, event_catalog):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://testserver/webhooks"}]
    assert set(document["webhooks"]) == {t.name for t in event_catalog}


def test_every_api_route_and_method_is_described(document):
    routes = api_routes()
    assert set(document["paths"]) == set(routes)
    for path, pattern in routes.items():
        methods = {m.lower() for m in pattern.callback.methods if m != "HEAD"}
        described = set(document["paths"][path]) - {"parameters"}
        assert described == methods, path


def test_answers_match_the_schemas(document, alice):
    client = client_of(alice)
    ep = endpoint_of(alice, rate_limit=3, headers={"X-A": "1"})
    attempt = attempt_of(ep, status=None, ok=False, error_type="timeout", is_test=True)
    api = f"{PORTAL}api/"
    conforms(document, "Endpoint", client.get(f"{api}endpoints/{ep.pk}/").json())
    conforms(document, "EndpointList", client.get(f"{api}endpoints/").json())
    conforms(document, "AttemptList", client.get(f"{api}endpoints/{ep.pk}/attempts/").json())
    conforms(document, "AttemptDetail", client.get(f"{api}attempts/{attempt.pk}/").json())
    conforms(document, "EventTypeList", client.get(f"{api}event-types/").json())
    created = client.post(
        f"{api}endpoints/", {"url": "https://h.example/x"}, content_type="application/json"
    )
    conforms(document, "EndpointWithSecret", created.json())
    error = client.post(f"{api}endpoints/", {"url": 1}, content_type="application/json")
    conforms(document, "Error", error.json())
    conforms(document, "Error", Client().get(f"{api}endpoints/").json())


def test_the_document_needs_the_same_login(portal_settings):
    assert Client().get(f"{PORTAL}api/openapi.json").status_code == 401
