"""The portal's pages: sign-in, the list, the forms, the secret shown once, the actions.

Requests go through Django's test client with the middleware of a real project
(``portal_settings``); the receivers of test events are the recording server.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from signalhooks.models import Endpoint, OutboxDelivery
from tests.endpoint_support import path_of, verify
from tests.helpers import unique_path
from tests.portal.support import PORTAL, attempt_of, client_of, delivery_of, endpoint_of

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login_page(portal_settings):
    answer = Client().get(f"{PORTAL}12/?status=failed")
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?next=/webhooks/12/%3Fstatus%3Dfailed"
    assert Client().post(f"{PORTAL}new/", {"url": "https://x.example"}).status_code == 302
    assert Endpoint.objects.count() == 0


def test_a_signed_in_user_without_an_owner_gets_403(alice, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "PORTAL_OWNER": "tests.portal.owners.nobody"}
    assert client_of(alice).get(PORTAL).status_code == 403


def test_the_list_shows_url_state_rate_and_last_attempt(alice):
    active = endpoint_of(
        alice, "https://user:pw@hooks.example.com/in?token=abc", description="Shop"
    )
    failing = endpoint_of(alice, "https://hooks.example.com/failing")
    Endpoint.objects.filter(pk=failing.pk).update(failing_since=timezone.now() - timedelta(hours=2))
    endpoint_of(alice, "https://hooks.example.com/off").disable("HTTP 410 Gone")
    now = timezone.now()
    for status in (OutboxDelivery.DELIVERED, OutboxDelivery.DELIVERED, OutboxDelivery.DEAD):
        delivery_of(active, "e", status)
    attempt_of(active, started_at=now - timedelta(minutes=5), status=500, ok=False)
    newest = attempt_of(active, started_at=now - timedelta(minutes=1), status=200)
    page = client_of(alice).get(PORTAL).content.decode()
    assert "https://hooks.example.com/in" in page
    assert "token=abc" not in page and "user:pw" not in page
    assert "Shop" in page and "66.7%" in page
    assert "failing since" in page and "disabled</span>: HTTP 410 Gone" in page
    assert f"/webhooks/attempts/{newest.pk}/" in page


def test_creating_an_endpoint_shows_its_secret_once(alice, event_catalog):
    client = client_of(alice)
    form = client.get(f"{PORTAL}new/").content.decode()
    assert 'value="testapp.Pizza:created"' in form and "A pizza was created." in form
    answer = client.post(
        f"{PORTAL}new/",
        {
            "url": "https://hooks.example.com/orders",
            "description": "Orders",
            "event_types": ["testapp.Pizza:created", "shop.*\r\nbilling.Invoice:*"],
            "headers": "X-Customer: 42\r\n\r\nX-Region: eu",
            "rate_limit": "5",
            "payload_format": "standard",
        },
    )
    assert answer.status_code == 200
    created = Endpoint.objects.get()
    assert created.owner == alice and created.description == "Orders"
    assert created.event_types == ["testapp.Pizza:created", "shop.*", "billing.Invoice:*"]
    assert created.headers == {"X-Customer": "42", "X-Region": "eu"}
    assert created.rate_limit == 5 and created.payload_format == "standard"
    page = answer.content.decode()
    assert f'<code id="endpoint-secret">{created.secret}</code>' in page
    assert "https://www.standardwebhooks.com/" in page
    assert answer["Cache-Control"] == "no-store"
    for path in ("", f"{created.pk}/", f"{created.pk}/edit/", f"{created.pk}/rotate/"):
        assert created.secret not in client.get(f"{PORTAL}{path}").content.decode()
    edit = client.get(f"{PORTAL}{created.pk}/edit/").content.decode()
    assert 'value="testapp.Pizza:created" checked' in edit
    assert "shop.*\nbilling.Invoice:*</textarea>" in edit
    assert "X-Customer: 42\nX-Region: eu</textarea>" in edit


def test_editing_keeps_what_the_form_does_not_change(alice, event_catalog):
    ep = endpoint_of(alice, event_types=["shop.*"], headers={"X-A": "1"})
    client = client_of(alice)
    answer = client.post(
        f"{PORTAL}{ep.pk}/edit/",
        {
            "url": "https://hooks.example.com/new",
            "event_types": "",
            "headers": "",
            "payload_format": "signalhooks",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == f"{PORTAL}{ep.pk}/"
    ep.refresh_from_db()
    assert ep.url == "https://hooks.example.com/new" and ep.event_types == [] and ep.headers == {}
    assert ep.owner == alice
    assert "The endpoint is saved." in client.get(answer["Location"]).content.decode()


def test_test_event_outcome_is_shown_on_the_endpoint_page(alice, http, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
    ep = endpoint_of(alice, http.url(unique_path("portal-test")))
    http.behave(path_of(ep), statuses=[503], body=b"down for maintenance")
    answer = client_of(alice).post(f"{PORTAL}{ep.pk}/test/")
    assert answer.status_code == 200
    [received] = http.requests(path_of(ep))
    assert verify(ep.secret, received)["Event"] == "signalhooks.test"
    outcome = answer.content.decode().split('id="test-outcome"')[1].split("</div>")[0]
    assert "failed" in outcome and "HTTP 503" in outcome and " ms" in outcome
    listed = client_of(alice).get(f"{PORTAL}{ep.pk}/").content.decode().split("<tbody>")[1]
    assert "signalhooks.test" in listed and '<span class="tag">test</span>' in listed


def test_rotate_disable_enable_and_delete(alice):
    ep = endpoint_of(alice)
    client = client_of(alice)
    old = ep.secret
    confirm = client.get(f"{PORTAL}{ep.pk}/rotate/")
    assert confirm.status_code == 200 and Endpoint.objects.get().secret == old
    rotated = client.post(f"{PORTAL}{ep.pk}/rotate/")
    ep.refresh_from_db()
    assert ep.secret != old and ep.signing_secrets() == [ep.secret, old]
    assert ep.secret in rotated.content.decode() and rotated["Cache-Control"] == "no-store"
    client.post(f"{PORTAL}{ep.pk}/disable/")
    ep.refresh_from_db()
    assert not ep.is_active and ep.disabled_reason == "disabled in the webhook portal by alice"
    Endpoint.objects.filter(pk=ep.pk).update(failing_since=timezone.now())
    client.post(f"{PORTAL}{ep.pk}/enable/")
    ep.refresh_from_db()
    assert ep.is_active and ep.disabled_reason == "" and ep.failing_since is None
    assert "Yes, delete it" in client.get(f"{PORTAL}{ep.pk}/delete/").content.decode()
    assert Endpoint.objects.filter(pk=ep.pk).exists()
    gone = client.post(f"{PORTAL}{ep.pk}/delete/")
    assert gone.status_code == 302 and not Endpoint.objects.filter(pk=ep.pk).exists()


def test_nothing_changes_on_get(alice, event_catalog):
    ep = endpoint_of(alice)
    before = Endpoint.objects.values().get(pk=ep.pk)
    client = client_of(alice)
    for action in ("rotate", "test", "enable", "disable", "delete", "replay", "edit"):
        assert client.get(f"{PORTAL}{ep.pk}/{action}/").status_code == 200
    assert Endpoint.objects.values().get(pk=ep.pk) == before


def test_forms_need_the_csrf_token(alice):
    ep = endpoint_of(alice)
    client = client_of(alice, enforce_csrf_checks=True)
    assert client.post(f"{PORTAL}{ep.pk}/disable/").status_code == 403
    assert Endpoint.objects.get(pk=ep.pk).is_active


def test_replay_queues_the_failed_deliveries_since_a_time(alice):
    ep = endpoint_of(alice)
    old = timezone.now() - timedelta(days=2)
    delivery_of(ep, "dead", OutboxDelivery.DEAD)
    delivery_of(ep, "delivered", OutboxDelivery.DELIVERED)
    delivery_of(ep, "old", OutboxDelivery.DEAD, created_at=old)
    client = client_of(alice)
    form = client.get(f"{PORTAL}{ep.pk}/replay/").content.decode()
    assert 'name="since"' in form and 'name="failed_only"' in form
    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")  # UTC, naive
    answer = client.post(f"{PORTAL}{ep.pk}/replay/", {"since": since, "failed_only": "on"})
    assert "1 failed deliveries since" in answer.content.decode()
    statuses = dict(OutboxDelivery.objects.values_list("event_id", "status"))
    assert statuses == {"dead": "pending", "delivered": "delivered", "old": "dead"}


def test_replay_on_a_disabled_endpoint_says_so_and_queues_nothing(alice):
    ep = endpoint_of(alice)
    ep.disable("HTTP 410 Gone")
    delivery_of(ep, "e", OutboxDelivery.DEAD)
    answer = client_of(alice).post(f"{PORTAL}{ep.pk}/replay/", {"since": "2000-01-01T00:00"})
    page = answer.content.decode()
    assert "This endpoint is disabled (HTTP 410 Gone): nothing was replayed" in page
    assert OutboxDelivery.objects.get().status == OutboxDelivery.DEAD


def test_attempt_page_shows_request_and_response(alice):
    ep = endpoint_of(alice)
    attempt = attempt_of(
        ep,
        ok=False,
        status=500,
        error_type="500",
        error="HTTP 500",
        request_body='{"type":"testapp.Pizza:created","data":{"id":1}}',
        request_headers={"webhook-id": "msg_1", "content-type": "application/json"},
        response_body="<h1>Internal error</h1>",
    )
    page = client_of(alice).get(f"{PORTAL}attempts/{attempt.pk}/").content.decode()
    assert '"type": "testapp.Pizza:created",\n  "data": {\n    "id": 1\n  }' in page.replace(
        "&quot;", '"'
    )
    assert "webhook-id" in page and "&lt;h1&gt;Internal error&lt;/h1&gt;" in page
    assert '<td id="response-status">500</td>' in page and "HTTP 500" in page


def test_attempts_on_the_endpoint_page_newest_first_paginated_and_filtered(alice):
    ep = endpoint_of(alice)
    now = timezone.now()
    made = [
        attempt_of(ep, event_id=f"msg_{i}", started_at=now - timedelta(seconds=i), ok=i % 2 == 0)
        for i in range(60)
    ]
    client = client_of(alice)
    first = client.get(f"{PORTAL}{ep.pk}/")
    page = first.content.decode()
    assert page.index("msg_0<") < page.index("msg_1<") and "msg_50<" not in page
    more = page.split('<a href="')[-1].split('#attempts"')[0].replace("&amp;", "&")
    second = client.get(more).content.decode()
    assert "msg_50<" in second and "msg_0<" not in second
    failed = client.get(f"{PORTAL}{ep.pk}/?status=failed").content.decode()
    assert "msg_1<" in failed and "msg_2<" not in failed
    bad = client.get(f"{PORTAL}{ep.pk}/?since=yesterday")
    assert bad.status_code == 400 and "is not a time" in bad.content.decode()
    assert len(made) == 60


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "javascript:alert(1)", "http:// or https://"),
        ("url", "https://192.168.1.20/hooks", "is a private address"),
        ("url", "https://[::1]/hooks", "is a loopback address"),
        ("event_types", "shop order", "is not an event-type pattern"),
        ("headers", "Webhook-Signature: v1,forged", "set by signalhooks"),
        ("headers", "no colon here", "Line 1 is not a header"),
        ("rate_limit", "0", "greater than or equal to 1"),
        ("rate_limit", "abc", "Enter a whole number"),
        ("payload_format", "xml", "Select a valid choice"),
        ("timeout", "0", "finite number > 0"),
        ("timeout", "600", "the service's limit"),
        ("max_attempts", "0", "int >= 1"),
    ],
)
def test_bad_input_in_the_forms_is_shown_next_to_the_field(
    alice, event_catalog, field, value, message
):
    ep = endpoint_of(alice)
    before = Endpoint.objects.values().get(pk=ep.pk)
    data = {"url": "https://hooks.example.com/ok", "payload_format": "signalhooks", field: value}
    client = client_of(alice)
    for path in ("new/", f"{ep.pk}/edit/"):
        answer = client.post(f"{PORTAL}{path}", data)
        assert answer.status_code == 200
        errors = answer.context["form"].errors
        assert list(errors) == [field] and message in " ".join(errors[field])
        page = answer.content.decode()
        assert page.index(f'name="{field}"') < page.index(escape(message))
    assert Endpoint.objects.count() == 1
    assert Endpoint.objects.values().get(pk=ep.pk) == before


def test_a_replay_since_that_is_not_a_time_is_refused(alice):
    ep = endpoint_of(alice)
    delivery_of(ep, "e", OutboxDelivery.DEAD)
    answer = client_of(alice).post(f"{PORTAL}{ep.pk}/replay/", {"since": "last tuesday"})
    assert "is not a time" in " ".join(answer.context["form"].errors["since"])
    assert OutboxDelivery.objects.get().status == OutboxDelivery.DEAD
