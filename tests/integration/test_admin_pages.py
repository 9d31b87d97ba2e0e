"""The staff admin driven like a browser: pages rendered, forms posted with CSRF tokens.

Receivers are the real recording server; the admin runs on SQLite with the project
shape of ``tests.admin_support``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import signalhooks
from signalhooks.endpoints.index import endpoint_index
from signalhooks.hooks import EndpointsHook
from signalhooks.models import DeliveryAttempt, Endpoint, OutboxDelivery
from signalhooks.outbox.admin import local_time
from tests.admin_support import admin_site_fixture, csrf_token, staff_fixture  # noqa: F401
from tests.endpoint_support import endpoint, endpoint_settings, path_of  # noqa: F401
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.support.waiting import wait_until
from tests.testapp.models import Pizza

pytestmark = pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks", "admin_site")
ADMIN = "/admin/signalhooks"


def _change_url(ep: Endpoint) -> str:
    return f"{ADMIN}/endpoint/{ep.pk}/change/"


def _messages(page) -> list[str]:
    return [str(m) for m in page.context["messages"]]


def test_the_change_page_sends_a_test_event_and_shows_its_outcome(http, staff):
    ep = endpoint(http, "button")
    http.behave(path_of(ep), statuses=[503], body=b"down for maintenance")
    page = staff.get(_change_url(ep))
    html = page.content.decode()
    test_url, rotate_url = f"{ADMIN}/endpoint/{ep.pk}/test/", f"{ADMIN}/endpoint/{ep.pk}/rotate/"
    assert f'action="{test_url}"' in html and f'action="{rotate_url}"' in html
    assert staff.post(test_url).status_code == 403  # no CSRF token: refused
    assert staff.get(test_url).status_code == 405  # nothing changes on GET
    assert http.requests(path_of(ep)) == []
    token = csrf_token(staff, _change_url(ep))
    answer = staff.post(test_url, {"csrfmiddlewaretoken": token}, follow=True)
    assert answer.redirect_chain == [(_change_url(ep), 302)]
    assert _messages(answer) == [f"{ep}: failed: HTTP 503"]
    [attempt] = DeliveryAttempt.objects.filter(endpoint_id=ep.pk)
    assert (attempt.is_test, attempt.status, attempt.response_body) == (
        True,
        503,
        "down for maintenance",
    )
    assert len(http.requests(path_of(ep))) == 1


def test_the_change_page_rotates_the_secret_and_shows_it_once(http, staff):
    ep = endpoint(http, "rotate")
    old = ep.secret
    assert old not in staff.get(_change_url(ep)).content.decode()
    token = csrf_token(staff, _change_url(ep))
    page = staff.post(f"{ADMIN}/endpoint/{ep.pk}/rotate/", {"csrfmiddlewaretoken": token})
    ep.refresh_from_db()
    assert ep.secret != old and ep.signing_secrets() == [ep.secret, old]
    assert ep.secret in page.content.decode() and "not shown again" in page.content.decode()
    assert ep.secret not in staff.get(_change_url(ep)).content.decode()
    staff.force_login(User.objects.create_user("viewer", is_staff=True))
    token = csrf_token(staff, "/admin/")  # staff without the change permission on endpoints
    rotate = staff.post(f"{ADMIN}/endpoint/{ep.pk}/rotate/", {"csrfmiddlewaretoken": token})
    assert rotate.status_code == 403 and Endpoint.objects.get(pk=ep.pk).secret == ep.secret


def test_ticking_is_active_resets_the_failure_history(http, staff, settings, connect):
    """Re-enabled on the change page, the endpoint is not disabled again by its next
    failure (its old failing_since would have)."""
    connect(post_save, EndpointsHook(durable=False), Pizza)
    ep = endpoint(http, "revived", failing_since=timezone.now() - timedelta(days=6))
    endpoint_index.current()  # this process's health state knows the old failure
    ep.disable("every delivery failed since last week")
    form = staff.get(_change_url(ep)).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(is_active="on", csrfmiddlewaretoken=csrf_token(staff, _change_url(ep)))
    data["headers"], data["event_types"] = "{}", ""
    assert staff.post(_change_url(ep), data).status_code == 302
    ep.refresh_from_db()
    assert (ep.is_active, ep.disabled_reason, ep.failing_since) == (True, "", None)
    http.behave(path_of(ep), statuses=[503])
    Pizza.objects.create(name="fails once more")
    assert signalhooks.flush(30)
    from signalhooks.endpoints.health import writer

    writer.write_now()
    ep.refresh_from_db()
    assert ep.is_active and ep.failing_since is not None
    assert timezone.now() - ep.failing_since < timedelta(minutes=1)


def test_replay_leaves_disabled_endpoints_out_unless_asked(http, staff, connect):
    connect(post_save, EndpointsHook(), Pizza)
    ep = endpoint(http, "replayed")
    http.behave(path_of(ep), statuses=[400])
    Pizza.objects.create(name="refused")
    assert signalhooks.flush(10)
    ep.disable("customer asked")
    since = timezone.localtime() - timedelta(hours=1)
    changelist = f"{ADMIN}/endpoint/"
    data = {
        "action": "replay_failed",
        "_selected_action": [ep.pk],
        "apply": "1",
        "since_0": since.strftime("%Y-%m-%d"),
        "since_1": since.strftime("%H:%M:%S"),
        "since": since.strftime("%Y-%m-%d %H:%M:%S"),
        "csrfmiddlewaretoken": csrf_token(staff, changelist),
    }
    page = staff.post(changelist, data, follow=True)
    assert _messages(page) == [
        f"{ep} is disabled (customer asked): its failed deliveries were not replayed; they "
        "would fail again at once, without a request. Enable it first (or tick 'Enable the "
        "disabled endpoints first').",
        "0 failed deliveries queued again; signalhooks_worker sends them.",
    ]
    assert list(OutboxDelivery.objects.values_list("status", flat=True)) == ["dead"]
    page = staff.post(changelist, {**data, "enable": "on"}, follow=True)
    assert _messages(page) == [
        "1 endpoints enabled.",
        "1 failed deliveries queued again; signalhooks_worker sends them.",
    ]
    ep.refresh_from_db()
    assert ep.is_active and ep.disabled_reason == ""
    assert list(OutboxDelivery.objects.values_list("status", flat=True)) == ["pending"]


def test_a_delivery_page_shows_the_request_and_its_attempts(http, staff, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0]}
    connect(post_save, EndpointsHook(), Pizza)
    ep = endpoint(http, "shown")
    http.behave(path_of(ep), statuses=[500, 200], body=b"<b>error</b> page")
    Pizza.objects.create(name="Margherita")
    assert signalhooks.flush(10)
    [row] = OutboxDelivery.objects.all()
    wait_until(lambda: row.attempt_log.exists(), 2, "the attempt")
    html = staff.get(f"{ADMIN}/outboxdelivery/{row.pk}/change/").content.decode()
    assert "&quot;v&quot;: 2" not in html and "instance_json" not in html
    assert "as sent by attempt 1" in html and "webhook-signature: v1," in html
    assert "{\n  &quot;Event&quot;: &quot;testapp.Pizza:created&quot;," in html  # indented JSON
    assert "Next attempt at" in html and "Locked by" in html  # pending: still scheduled
    assert "&lt;b&gt;error&lt;/b&gt; page" in html  # the attempt's response, escaped
    from django.core.management import call_command

    call_command("signalhooks_worker", "--once")
    page = staff.get(f"{ADMIN}/outboxdelivery/{row.pk}/change/")
    html = page.content.decode()
    assert "as sent by attempt 2" in html
    assert "Next attempt at" not in html and "Locked by" not in html and "Lease until" not in html
    [attempts] = page.context["inline_admin_formsets"]
    assert [form.original.number for form in attempts] == [2, 1]  # newest first
    first = row.attempt_log.get(number=1)
    assert local_time(first.started_at) in html and "1:00" not in local_time(first.started_at)
    endpoint_page = staff.get(_change_url(ep)).content.decode()
    assert local_time(row.created_at) in endpoint_page  # the admin's localised times
    assert row.created_at.isoformat(timespec="seconds") not in endpoint_page


def test_a_delivery_not_sent_yet_is_rendered_from_its_event(http, staff, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_INLINE": False}
    connect(post_save, EndpointsHook(), Pizza)
    endpoint(http, "later")
    Pizza.objects.create(name="Quattro")
    [row] = OutboxDelivery.objects.all()
    html = staff.get(f"{ADMIN}/outboxdelivery/{row.pk}/change/").content.decode()
    assert "rendered from the stored event; not sent yet" in html
    assert f"webhook-id: {row.event_id}" in html and "webhook-signature are computed" in html
    assert "{\n  &quot;Event&quot;: &quot;testapp.Pizza:created&quot;," in html
    assert "instance_json" not in html and "&quot;v&quot;: 2" not in html


def test_the_attempts_log_has_its_own_read_only_list(http, staff, connect):
    connect(post_save, EndpointsHook(), Pizza)
    ep, other = endpoint(http, "listed"), endpoint(http, "other")
    http.behave(path_of(ep), statuses=[404])
    Pizza.objects.create(name="listed")
    assert signalhooks.flush(10)
    wait_until(lambda: DeliveryAttempt.objects.count() == 2, 2, "two attempts")
    failed = DeliveryAttempt.objects.get(endpoint_id=ep.pk)
    page = staff.get(f"{ADMIN}/deliveryattempt/", {"ok__exact": "0"})
    assert list(page.context["cl"].result_list) == [failed]
    page = staff.get(f"{ADMIN}/deliveryattempt/", {"status_class": "4xx"})
    assert list(page.context["cl"].result_list) == [failed]
    page = staff.get(f"{ADMIN}/deliveryattempt/", {"status_class": "2xx", "is_test__exact": "0"})
    assert [a.endpoint_id for a in page.context["cl"].result_list] == [other.pk]
    page = staff.get(f"{ADMIN}/deliveryattempt/", {"q": str(other.pk)})
    assert [a.endpoint_id for a in page.context["cl"].result_list] == [other.pk]
    page = staff.get(f"{ADMIN}/deliveryattempt/", {"q": failed.event_id})
    assert len(page.context["cl"].result_list) == 2  # one event, two endpoints
    detail = staff.get(f"{ADMIN}/deliveryattempt/{failed.pk}/change/")
    assert detail.status_code == 200 and "webhook-signature" in detail.content.decode()
    assert staff.get(f"{ADMIN}/deliveryattempt/add/").status_code == 403
    assert staff.get(f"{ADMIN}/deliveryattempt/{failed.pk}/delete/").status_code == 403


def test_the_endpoint_list_shows_health_and_owners_without_a_query_per_row(http, staff, connect):
    connect(post_save, EndpointsHook(), Pizza)
    users = [User.objects.create_user(f"customer{i}") for i in range(3)]
    user_type = ContentType.objects.get_for_model(User)
    pizza = Pizza.objects.create(name="an owner too")
    pizza_type = ContentType.objects.get_for_model(Pizza)
    failing = endpoint(http, "failing", owner_type=user_type, owner_id=str(users[0].pk))
    endpoint(http, "fine", owner_type=pizza_type, owner_id=str(pizza.pk))
    gone = endpoint(http, "gone", owner_type=user_type, owner_id="999999")
    gone.disable("410 Gone")
    Endpoint.objects.filter(pk=failing.pk).update(failing_since=timezone.now())
    OutboxDelivery.objects.bulk_create(
        OutboxDelivery(
            event_id=str(i),
            event_name="e",
            hook_key="k",
            target="t",
            payload="{}",
            endpoint_id=failing.pk,
        )
        for i in range(2)
    )
    page = staff.get(f"{ADMIN}/endpoint/")
    html = page.content.decode()
    assert "customer0" in html and "Pizza object" in html
    assert "auth.user 999999 (missing)" in html
    assert "disabled</strong>: 410 Gone" in html
    assert re.search(r"failing</strong> since [^<]+, 2 retries pending", html)
    assert html.count(">active<") == 1  # only the healthy one shows as active
    filtered = staff.get(f"{ADMIN}/endpoint/", {"owner_type__id__exact": pizza_type.pk})
    assert [e.owner_type_id for e in filtered.context["cl"].result_list] == [pizza_type.pk]
    with CaptureQueriesContext(connection) as few:
        staff.get(f"{ADMIN}/endpoint/")
    for i in range(3, 10):
        endpoint(http, f"more{i}", owner_type=user_type, owner_id=str(users[i % 3].pk))
    with CaptureQueriesContext(connection) as many:
        staff.get(f"{ADMIN}/endpoint/")
    assert len(many) == len(few)


def test_an_owner_that_does_not_exist_is_refused_by_the_form(staff):
    user_type = ContentType.objects.get_for_model(User)
    add = f"{ADMIN}/endpoint/add/"
    data = {
        "url": "https://hooks.example.com/x",
        "headers": "{}",
        "event_types": "",
        "payload_format": "signalhooks",
        "is_active": "on",
        "owner_type": user_type.pk,
        "owner_id": "424242",
        "csrfmiddlewaretoken": csrf_token(staff, add),
    }
    page = staff.post(add, data)
    assert page.status_code == 200  # the form again, with the error next to the field
    assert page.context["adminform"].form.errors == {"owner_id": ["No user with id '424242'."]}
    assert Endpoint.objects.count() == 0
