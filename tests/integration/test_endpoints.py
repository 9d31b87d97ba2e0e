"""Endpoints stored in the database (SQLite): model, routing, hook options, test helpers."""

from __future__ import annotations

import asyncio

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django.test.utils import CaptureQueriesContext

import signalhooks
from signalhooks.hooks import EndpointsHook
from signalhooks.models import Endpoint, OutboxDelivery
from signalhooks.testing import capture_hooks, deliver_synchronously
from tests.endpoint_support import endpoint, endpoint_settings, path_of, verify  # noqa: F401
from tests.helpers import unique_path
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Category, Order, Pizza, Ticket

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks"),
    pytest.mark.django_db(transaction=True),
]


# -- routing ---------------------------------------------------------------------------


def test_each_event_goes_to_every_active_endpoint_whose_patterns_match(http, connect):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    connect(post_delete, EndpointsHook(durable=False), Pizza)
    every = endpoint(http, "every")
    pizzas = endpoint(http, "pizzas", event_types=["testapp.Pizza:*"])
    created = endpoint(http, "created", event_types=["TESTAPP.pizza:created"])  # any case
    app = endpoint(http, "app", event_types=["testapp.*"])
    deleted = endpoint(http, "deleted", event_types=["*:deleted"])
    other = endpoint(http, "other", event_types=["shop.*", "testapp.Order:*"])
    off = endpoint(http, "off", is_active=False)

    pizza = Pizza.objects.create(name="Margherita")
    pizza.delete()
    assert signalhooks.flush(10)
    received = {
        ep.pk: [r.json()["Event"] for r in http.requests(path_of(ep))]
        for ep in (every, pizzas, created, app, deleted, other, off)
    }
    both = ["testapp.Pizza:created", "testapp.Pizza:deleted"]
    assert sorted(received[every.pk]) == both
    assert sorted(received[pizzas.pk]) == both
    assert received[created.pk] == ["testapp.Pizza:created"]
    assert sorted(received[app.pk]) == both
    assert received[deleted.pk] == ["testapp.Pizza:deleted"]
    assert received[other.pk] == received[off.pk] == []


def test_body_is_the_http_hooks_body_signed_with_the_endpoints_secret(http, connect):
    from signalhooks.hooks import HTTPSignalHook

    ep = endpoint(http, "signed", headers={"X-Customer": "42"})
    plain = unique_path("plain")
    connect(post_save, EndpointsHook(durable=False), Pizza)
    connect(post_save, HTTPSignalHook(http.url(plain)), Pizza)
    Pizza.objects.create(name="Diavola")
    [request] = http.wait_for(1, path_of(ep))
    [reference] = http.wait_for(1, plain)
    assert request.body == reference.body  # the same event, the same bytes
    assert verify(ep.secret, request)["Event"] == "testapp.Pizza:created"
    assert request.headers["X-Customer"] == "42"
    assert request.headers["webhook-id"] == request.json()["EventId"]


def test_owner_filter_delivers_only_to_the_owners_endpoints(http, connect):
    first, second = Pizza.objects.create(name="first"), Pizza.objects.create(name="second")
    connect(post_save, EndpointsHook(owner=lambda order: order.pizza, durable=False), Order)
    mine = endpoint(http, "mine", owner=first, event_types=["testapp.Order:*"])
    theirs = endpoint(http, "theirs", owner=second)
    nobodys = endpoint(http, "nobodys")
    Order.objects.create(pizza=first, note="for the first shop")
    Order.objects.create(pizza=None, note="no owner")
    assert signalhooks.flush(10)
    assert [r.json()["Event"] for r in http.requests(path_of(mine))] == ["testapp.Order:created"]
    assert http.requests(path_of(theirs)) == []
    # owner() returned None: the endpoints without an owner
    assert len(http.requests(path_of(nobodys))) == 1


def test_no_matching_endpoint_costs_no_query(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_CACHE_TTL": 3600}
    connect(post_save, EndpointsHook(durable=False), Pizza)
    endpoint(http, "orders", event_types=["testapp.Order:*"])
    Pizza.objects.create(name="loads the index")
    pizza = Pizza(pk=10**6, name="never saved")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(50):
            post_save.send(sender=Pizza, instance=pizza, created=False)
    assert queries.captured_queries == []
    assert signalhooks.flush(10)
    assert http.requests() == []


def test_a_change_is_seen_at_once_in_the_process_that_made_it(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_CACHE_TTL": 3600}
    connect(post_save, EndpointsHook(durable=False), Pizza)
    Pizza.objects.create(name="loads an empty index")
    ep = endpoint(http, "new")
    Pizza.objects.create(name="to the new endpoint")
    assert len(http.wait_for(1, path_of(ep))) == 1
    Endpoint.objects.filter(pk=ep.pk).update(event_types=["nothing.*"])  # bulk changes too
    with transaction.atomic():
        Pizza.objects.create(name="not any more")
    assert signalhooks.flush(10)
    assert len(http.requests(path_of(ep))) == 1


# -- hook options and helpers ---------------------------------------------------------


def test_event_fields_and_when_changed_options(http, connect):
    hook = EndpointsHook(
        durable=False, event="tickets.changed", fields=["status"], when_changed=["status"]
    )
    connect(post_save, hook, Ticket)
    ep = endpoint(http, "tickets", event_types=["tickets.*"])
    ticket = Ticket.objects.create(title="t", status="open")
    ticket.title = "retitled"
    ticket.save()  # status unchanged: nothing
    ticket.status = "closed"
    ticket.save()
    assert signalhooks.flush(10)
    bodies = [r.json() for r in http.requests(path_of(ep))]
    assert [b["Event"] for b in bodies] == ["tickets.changed", "tickets.changed"]
    assert '"title"' not in str([r.body for r in http.requests(path_of(ep))])


def test_when_changed_remembers_saves_that_matched_no_endpoint(http, connect):
    connect(post_save, EndpointsHook(durable=False, when_changed=["status"]), Ticket)
    ticket = Ticket.objects.create(title="t", status="open")  # no endpoint yet
    ticket.status = "closed"
    ticket.save()  # no endpoint yet: still remembered as the previous value
    ep = endpoint(http, "later")
    ticket.title = "only the title"
    ticket.save()
    assert signalhooks.flush(10)
    assert http.requests(path_of(ep)) == []


def test_capture_hooks_and_deliver_synchronously(http, connect):
    connect(post_save, EndpointsHook(durable=False), Category)
    ep = endpoint(http, "helpers")
    with capture_hooks() as sent:
        Category.objects.create(slug="captured")
    [captured] = sent
    assert captured.target == f"endpoint {ep.pk} POST {ep.url}"
    assert captured.event == "testapp.Category:created"
    assert captured.headers["webhook-signature"].startswith("v1,")
    assert http.requests() == []
    with deliver_synchronously() as results:
        Category.objects.create(slug="delivered")
        assert [r.ok for r in results] == [True]  # already there when save() returns
    assert len(http.requests(path_of(ep))) == 1


def test_async_receiver_returns_one_result_per_endpoint(http):
    order_paid = Signal()
    hook = EndpointsHook(durable=False, event="order.paid")
    order_paid.connect(hook.async_receiver, weak=False)
    first = endpoint(http, "a1", event_types=["order.*"])
    second = endpoint(http, "a2", event_types=["order.paid"])
    endpoint(http, "a3", event_types=["order.refunded"])

    async def fire():
        return await order_paid.asend(sender=None, order_id=7)

    [(_, results)] = asyncio.run(fire())
    assert sorted(r.target for r in results) == sorted(
        f"endpoint {ep.pk} POST {ep.url}" for ep in (first, second)
    )
    assert all(r.ok and r.status == 200 for r in results)
    assert http.requests(path_of(first))[0].json()["Data"] == {"order_id": 7}


# -- durable (SQLite) -------------------------------------------------------------------


def test_durable_by_default_one_row_per_endpoint(http, connect):
    connect(post_save, EndpointsHook(), Pizza)
    eps = [endpoint(http, f"d{n}") for n in range(3)]
    with transaction.atomic():
        Pizza.objects.create(name="Capricciosa")
    assert signalhooks.flush(10)
    rows = list(OutboxDelivery.objects.order_by("endpoint_id"))
    assert [row.endpoint_id for row in rows] == [ep.pk for ep in eps]
    assert {row.status for row in rows} == {"delivered"}
    assert len({row.event_id for row in rows}) == 1


# -- the model ------------------------------------------------------------------------


def test_full_clean_explains_bad_urls_patterns_and_headers():
    with pytest.raises(ValidationError) as bad:
        Endpoint(
            url="ftp://files.example/x",
            event_types=["shop.Order:*", "shop order"],
            headers={"Host": "internal", "X-Ok": "1"},
        ).full_clean()
    errors = bad.value.message_dict
    assert "http:// or https://" in errors["url"][0]
    assert errors["event_types"] == [
        "'shop order' is not an event-type pattern: use 1 to 255 letters, digits and "
        '"_ . : - / *", e.g. "shop.Order:*" or "shop.*"'
    ]
    assert "Host" in errors["headers"][0] and "cannot be overridden" in errors["headers"][0]
    Endpoint(url="https://hooks.example.com/x", event_types=["shop.*"]).full_clean()


def test_private_addresses_are_refused_at_save(settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": True}
    for url, reason in [
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local/metadata"),
        ("http://[::1]/hook", "loopback"),
    ]:
        with pytest.raises(ValidationError) as bad:
            Endpoint(url=url).full_clean()
        assert f"{reason} address" in bad.value.message_dict["url"][0], url


def test_secret_is_generated_and_never_in_repr():
    ep = Endpoint.objects.create(url="https://hooks.example.com/x")
    assert ep.secret.startswith("whsec_") and len(ep.secret) > 40
    assert ep.secret not in repr(ep) and ep.secret not in str(ep)
    assert ep.masked_secret == ep.secret[:10] + "…"
    other = Endpoint.objects.create(url="https://hooks.example.com/y")
    assert other.secret != ep.secret


# -- delivery-time rules ----------------------------------------------------------------


def test_rate_limit_spaces_deliveries_to_one_endpoint(http, connect):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    limited = endpoint(http, "limited", rate_limit=20)
    free = endpoint(http, "free")
    for n in range(30):
        Pizza.objects.create(name=f"pizza {n}")
    assert signalhooks.flush(30)
    arrived = [r.received_at for r in http.requests(path_of(limited))]
    assert len(arrived) == 30 and len(http.requests(path_of(free))) == 30
    # A burst of 20, then 20 per second: the last 10 take at least half a second.
    assert arrived[-1] - arrived[0] >= 0.45


def test_private_addresses_are_refused_again_at_delivery(http, connect, settings):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    # Saved without full_clean() (or a name that resolved elsewhere when it was saved).
    ep = Endpoint.objects.create(url=http.localhost_url(unique_path("inside")))
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": True}
    with deliver_synchronously() as results:
        Pizza.objects.create(name="to localhost")
    [result] = results
    assert not result.ok and result.attempts == 1  # not retried
    assert "refused to connect to localhost (127.0.0.1): loopback address" in result.error
    assert http.requests(path_of(ep)) == []


def test_an_endpoint_saved_with_bad_data_is_skipped_with_the_reason(http, connect):
    from signalhooks.endpoints.index import endpoint_index
    from signalhooks.exceptions import PayloadError

    connect(post_save, EndpointsHook(durable=False), Pizza)
    bad = Endpoint.objects.create(url=http.url("/bad"), headers={"X-Count": 1})  # no full_clean
    good = endpoint(http, "good")
    Pizza.objects.create(name="only to the good one")
    assert signalhooks.flush(10)
    assert len(http.requests(path_of(good))) == 1 and http.requests("/bad") == []
    with pytest.raises(PayloadError, match=f"endpoint {bad.pk} cannot be sent to: .*X-Count"):
        endpoint_index.target_for(bad.pk)


def test_owner_is_given_whole_or_not_at_all():
    from django.contrib.contenttypes.models import ContentType

    half = Endpoint(url="https://hooks.example.com/x", owner_id="7")
    with pytest.raises(ValidationError, match="both the owner's type and id"):
        half.full_clean()
    half.owner_type = ContentType.objects.get_for_model(Pizza)
    with pytest.raises(ValidationError) as missing:  # a type and an id that match nothing
        half.full_clean()
    assert missing.value.message_dict == {"owner_id": ["No pizza with id '7'."]}
    half.owner_id = "not a number"
    with pytest.raises(ValidationError, match="No pizza with id 'not a number'"):
        half.full_clean()
    half.owner_id = str(Pizza.objects.create(name="the owner").pk)
    half.full_clean()
