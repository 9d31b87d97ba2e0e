"""Endpoint health, the admin, replay and deleted endpoints (SQLite, real receivers)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import User
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.management import CommandError, call_command
from django.db.models.signals import post_save
from django.utils import timezone

import signalhooks
from signalhooks.endpoints.admin import EndpointAdmin
from signalhooks.hooks import EndpointsHook
from signalhooks.models import Endpoint, OutboxDelivery
from tests.endpoint_support import endpoint, endpoint_settings, path_of, verify  # noqa: F401
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.support.waiting import wait_until
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks"),
    pytest.mark.django_db(transaction=True),
]


class Disabled:
    """Records ``endpoint_disabled`` (sent from the health thread)."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def __call__(self, sender, endpoint, reason, **kwargs) -> None:
        with self._lock:
            self.items.append((endpoint.pk, reason))


@pytest.fixture
def disabled():
    recorder = Disabled()
    signalhooks.endpoint_disabled.connect(recorder, weak=False)
    yield recorder
    signalhooks.endpoint_disabled.disconnect(recorder)


# -- health ---------------------------------------------------------------------------


def test_410_disables_the_endpoint_at_once(http, connect, disabled):
    connect(post_save, EndpointsHook(), Pizza)
    gone, fine = endpoint(http, "gone"), endpoint(http, "fine")
    http.behave(path_of(gone), statuses=[410])
    Pizza.objects.create(name="first")
    assert signalhooks.flush(10)
    wait_until(lambda: disabled.items, 10, "410 to disable the endpoint")
    gone.refresh_from_db()
    assert gone.disabled_reason.startswith(f"410 Gone from {gone.url} at ")
    assert disabled.items == [(gone.pk, gone.disabled_reason)]
    row = OutboxDelivery.objects.get(endpoint_id=gone.pk)
    assert (row.status, row.last_status) == ("dead", 410)
    Pizza.objects.create(name="second")
    assert signalhooks.flush(10)
    assert len(http.requests(path_of(gone))) == 1  # not routed there any more
    assert len(http.requests(path_of(fine))) == 2
    assert Endpoint.objects.get(pk=fine.pk).is_active


def test_failing_for_disable_after_disables(http, connect, disabled):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    days_ago = timezone.now() - timedelta(days=6)
    down = endpoint(http, "down", failing_since=days_ago)
    http.behave(path_of(down), statuses=[503])
    Pizza.objects.create(name="one more failure")
    assert signalhooks.flush(30)
    wait_until(lambda: disabled.items, 10, "the endpoint to be disabled")
    down.refresh_from_db()
    assert down.disabled_reason.startswith("every delivery failed since ")
    assert "ENDPOINT_DISABLE_AFTER = 432000 s" in down.disabled_reason
    assert disabled.items == [(down.pk, down.disabled_reason)]


def test_first_failure_is_recorded_and_a_success_clears_it(http, connect, disabled):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    flaky = endpoint(http, "flaky")
    http.behave(path_of(flaky), statuses=[503, 503, 503, 503, 503, 200])
    Pizza.objects.create(name="fails 5 times")
    assert signalhooks.flush(30)
    wait_until(
        lambda: Endpoint.objects.get(pk=flaky.pk).failing_since is not None, 10, "failing_since"
    )
    Pizza.objects.create(name="succeeds")
    assert signalhooks.flush(30)
    wait_until(lambda: Endpoint.objects.get(pk=flaky.pk).failing_since is None, 10, "cleared")
    assert Endpoint.objects.get(pk=flaky.pk).is_active and disabled.items == []


# -- the admin -------------------------------------------------------------------------


@pytest.fixture
def admin_request(rf, settings):
    # The admin's pages read its log entries: the admin app must be installed.
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.admin"]
    settings.ROOT_URLCONF = "tests.admin_urls"

    def make(data=None):
        request = rf.post("/", data or {})
        request.user = User.objects.get_or_create(username="admin", is_superuser=True)[0]
        request._messages = CookieStorage(request)
        return request

    return make


def messages_of(request) -> list[str]:
    return [str(m) for m in request._messages]


def test_admin_form_explains_bad_patterns_and_urls(admin_request):
    model_admin = EndpointAdmin(Endpoint, AdminSite())
    form_class = model_admin.get_form(admin_request())
    form = form_class(
        data={
            "url": "javascript:alert(1)",
            "event_types": "shop.Order:*\nshop order",
            "headers": "{}",
        }
    )
    assert not form.is_valid()
    assert "http:// or https://" in form.errors["url"][0]
    assert "'shop order' is not an event-type pattern" in form.errors["event_types"][0]
    form = form_class(
        data={
            "url": "https://hooks.example.com/x",
            "event_types": "shop.Order:*\n\nshop.*",
            "headers": '{"X-A": "1"}',
            "payload_format": "standard",
            "is_active": "on",
        }
    )
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.event_types == ["shop.Order:*", "shop.*"] and saved.headers == {"X-A": "1"}
    assert saved.payload_format == "standard"
    assert form_class(instance=saved).initial["event_types"] == "shop.Order:*\nshop.*"


def test_admin_shows_a_secret_once_and_rotates_it(admin_request):
    model_admin = EndpointAdmin(Endpoint, AdminSite())
    ep = Endpoint.objects.create(url="https://hooks.example.com/x")
    added = model_admin.response_add(admin_request(), ep)
    assert added.template_name == "signalhooks/admin/endpoint_secret.html"
    assert added.context_data["secrets"] == [(ep, ep.secret)]
    assert ep.secret not in model_admin.secret_display(ep)
    old = ep.secret
    request = admin_request()
    rotated = model_admin.rotate_secret(request, Endpoint.objects.filter(pk=ep.pk))
    ep.refresh_from_db()
    assert rotated.context_data["secrets"] == [(ep, ep.secret)] and ep.secret != old
    assert ep.signing_secrets() == [ep.secret, old]
    assert ep.signing_secrets(timezone.now() + timedelta(hours=25)) == [ep.secret]
    assert not any(ep.secret in m for m in messages_of(request))


def test_admin_disable_enable_and_test_event(http, admin_request, disabled):
    model_admin = EndpointAdmin(Endpoint, AdminSite())
    ep = endpoint(http, "admin")
    request = admin_request()
    model_admin.disable_endpoints(request, Endpoint.objects.all())
    ep.refresh_from_db()
    assert not ep.is_active and ep.disabled_reason == "disabled in the admin by admin"
    assert disabled.items == [(ep.pk, ep.disabled_reason)]
    model_admin.send_test_event(request, Endpoint.objects.all())  # sent even when disabled
    [received] = http.wait_for(1, path_of(ep))
    payload = verify(ep.secret, received)
    assert payload["Event"] == "signalhooks.test" and payload["Data"]["endpoint"] == ep.pk
    model_admin.enable_endpoints(request, Endpoint.objects.all())
    ep.refresh_from_db()
    assert ep.is_active and ep.disabled_reason == "" and ep.failing_since is None
    assert messages_of(request) == [
        "1 endpoints disabled.",
        f"{ep}: delivered (HTTP 200, {messages_of(request)[1].split(', ')[1]}",
        "1 endpoints enabled.",
    ]


def test_admin_attempts_log_success_rate_and_replay(http, connect, admin_request):
    connect(post_save, EndpointsHook(), Pizza)
    ep = endpoint(http, "log")
    http.behave(path_of(ep), statuses=[200, 400])
    Pizza.objects.create(name="delivered")
    Pizza.objects.create(name="refused")  # 400: not retried, dead
    assert signalhooks.flush(10)
    model_admin = EndpointAdmin(Endpoint, AdminSite())
    [shown] = model_admin.get_queryset(admin_request())
    assert model_admin.success_24h(shown) == "50.0% (1 delivered, 1 failed)"
    table = model_admin.recent(shown)
    assert table.count("<tr>") == 3 and "HTTP 400 (not retryable)" in table
    assert "/admin/signalhooks/outboxdelivery/" in table
    form_page = model_admin.replay_failed(admin_request(), Endpoint.objects.all())
    assert form_page.template_name == "signalhooks/admin/endpoint_replay.html"
    since = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    request = admin_request({"apply": "1", "since": since})
    assert model_admin.replay_failed(request, Endpoint.objects.all()) is None
    assert messages_of(request) == [
        "1 failed deliveries queued again; signalhooks_worker sends them."
    ]
    assert sorted(OutboxDelivery.objects.values_list("status", flat=True)) == [
        "delivered",
        "pending",
    ]


# -- replay and deleted endpoints ------------------------------------------------------------


def test_replay_command(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0]}
    connect(post_save, EndpointsHook(), Pizza)
    first, second = endpoint(http, "r1"), endpoint(http, "r2", event_types=["testapp.*"])
    http.behave(path_of(first), statuses=[503])
    Pizza.objects.create(name="replayed")
    assert signalhooks.flush(10)
    statuses = dict(OutboxDelivery.objects.values_list("endpoint_id", "status"))
    assert statuses == {first.pk: "dead", second.pk: "delivered"}
    http.behave(path_of(first), statuses=[200])
    since = (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    call_command("signalhooks_replay", "--since", since, "--failed-only", "--endpoint", first.pk)
    assert dict(OutboxDelivery.objects.values_list("endpoint_id", "status"))[first.pk] == "pending"
    call_command("signalhooks_worker", "--once")
    assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    # Everything since then, delivered rows included, for matching event names only.
    call_command("signalhooks_replay", "--since", since, "--event", "testapp.order:*")
    assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    call_command("signalhooks_replay", "--since", since, "--event", "TESTAPP.pizza:*")
    assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"pending"}
    with pytest.raises(CommandError, match="no endpoint with id 999999"):
        call_command("signalhooks_replay", "--since", since, "--endpoint", "999999")
    with pytest.raises(CommandError, match="not an ISO 8601 time"):
        call_command("signalhooks_replay", "--since", "yesterday")
    with pytest.raises(CommandError, match="is not an event-type pattern"):
        call_command("signalhooks_replay", "--since", since, "--event", "a b")


def test_deleted_or_disabled_endpoints_leave_dead_rows_with_the_reason(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0, 0]}
    connect(post_save, EndpointsHook(), Pizza)
    deleted, disabled, fine = endpoint(http, "x"), endpoint(http, "y"), endpoint(http, "z")
    for ep in (deleted, disabled, fine):
        http.behave(path_of(ep), statuses=[503, 200])
    Pizza.objects.create(name="first attempt fails")
    assert signalhooks.flush(10)
    assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"pending"}
    deleted_pk = deleted.pk
    deleted.delete()  # pending rows die at once
    row = OutboxDelivery.objects.get(endpoint_id=deleted_pk)
    assert (row.status, row.last_error) == ("dead", f"endpoint {deleted_pk} was deleted")
    # A row the worker finds for a missing endpoint (deleted elsewhere) dies too.
    OutboxDelivery.objects.filter(pk=row.pk).update(status="pending", last_error="")
    disabled.disable("customer asked")
    call_command("signalhooks_worker", "--once")
    reasons = dict(OutboxDelivery.objects.values_list("endpoint_id", "last_error"))
    statuses = dict(OutboxDelivery.objects.values_list("endpoint_id", "status"))
    assert statuses == {deleted_pk: "dead", disabled.pk: "dead", fine.pk: "delivered"}
    assert reasons[deleted_pk] == f"endpoint {deleted_pk} no longer exists (deleted)"
    assert reasons[disabled.pk] == f"endpoint {disabled.pk} is disabled: customer asked"
