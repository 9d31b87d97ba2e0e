"""Issue 5, points 7-9: per-hook payload options, conditional delivery, event names."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.signals import post_init, post_save
from django.dispatch import Signal
from django.test.utils import CaptureQueriesContext

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import outcomes, unique_path
from tests.testapp.models import Category, Gadget, Pizza, Tags, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def instance_of(request: Any) -> dict[str, Any]:
    """The ``Instance`` of a received body, decoded to the serializer's JSON object."""
    decoded: dict[str, Any] = json.loads(base64.b64decode(request.json()["Instance"]))
    return decoded


def delivered(http: Any, path: str) -> list[Any]:
    """Everything that reached ``path`` once all accepted deliveries have finished."""
    assert signalhooks.flush(10)
    return http.requests(path)


# --- fields / exclude / serializer / natural keys --------------------------------------


def test_fields_and_exclude_shape_the_instance_without_sharing_snapshots(http, connect):
    paths = {name: unique_path(name) for name in ("all", "fields", "exclude")}
    connect(post_save, HTTPSignalHook(http.url(paths["all"])), Ticket)
    connect(post_save, HTTPSignalHook(http.url(paths["fields"]), fields=["status"]), Ticket)
    connect(post_save, HTTPSignalHook(http.url(paths["exclude"]), exclude=["title"]), Ticket)
    ticket = Ticket.objects.create(title="Printer", status="open", priority=2)

    everything = instance_of(http.wait_for(1, paths["all"])[0])
    assert set(everything["fields"]) == {"title", "status", "priority", "category"}
    picked = instance_of(http.wait_for(1, paths["fields"])[0])
    assert picked["fields"] == {"status": "open"} and picked["pk"] == ticket.pk
    rest = instance_of(http.wait_for(1, paths["exclude"])[0])
    assert set(rest["fields"]) == {"status", "priority", "category"}


def test_unknown_field_name_is_a_clear_failed_delivery(http):
    hook = HTTPSignalHook(http.url(unique_path("typo")), fields=["stauts"])
    ticket = Ticket.objects.create(title="Typo")
    result = asyncio.run(hook.async_receiver(sender=Ticket, instance=ticket, created=False))
    assert not result.ok
    assert "fields= names stauts, not field(s) of testapp.Ticket" in (result.error or "")


def test_custom_serializer_returning_dict_or_text(http, connect):
    as_dict, as_text = unique_path("ser-dict"), unique_path("ser-text")
    connect(
        post_save,
        HTTPSignalHook(http.url(as_dict), serializer=lambda t: {"id": t.pk, "s": t.status}),
        Ticket,
    )
    connect(
        post_save, HTTPSignalHook(http.url(as_text), serializer=lambda t: "T" + t.title), Ticket
    )
    ticket = Ticket.objects.create(title="Custom", status="new")
    assert instance_of(http.wait_for(1, as_dict)[0]) == {"id": ticket.pk, "s": "new"}
    body = http.wait_for(1, as_text)[0].json()
    assert base64.b64decode(body["Instance"]).decode() == "TCustom"


def test_natural_keys(http, connect):
    path = unique_path("natural")
    connect(post_save, HTTPSignalHook(http.url(path), use_natural_keys=True), Ticket)
    category = Category.objects.create(slug="hardware")
    Ticket.objects.create(title="Natural", category=category)
    payload = instance_of(http.wait_for(1, path)[0])
    assert payload["fields"]["category"] == ["hardware"]


def test_payload_options_are_validated():
    with pytest.raises(ImproperlyConfigured, match="not both"):
        HTTPSignalHook("https://e.com/", fields=["a"], exclude=["b"])
    with pytest.raises(ImproperlyConfigured, match="list of field names"):
        HTTPSignalHook("https://e.com/", fields="status")  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match="cannot be combined"):
        HTTPSignalHook("https://e.com/", serializer=str, fields=["a"])
    with pytest.raises(ImproperlyConfigured, match="when= must be a callable"):
        HTTPSignalHook("https://e.com/", when=True)  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match="when_changed= must be a list"):
        HTTPSignalHook("https://e.com/", when_changed="status")  # type: ignore[arg-type]


def test_unserializable_custom_field_names_model_and_field(http, connect):
    path = unique_path("gadget")
    hook = connect(post_save, HTTPSignalHook(http.url(path)), Gadget)
    before = signalhooks.stats()["failed"]
    with outcomes() as seen:
        Gadget.objects.create(name="Widget", tags=Tags({"blue", "round"}))  # must not raise
        [result] = seen.wait(hook)
    assert not result.ok
    assert "cannot serialize field testapp.Gadget.tags" in (result.error or "")
    assert "Tags is not JSON serializable" in (result.error or "")
    assert signalhooks.stats()["failed"] >= before + 1
    assert delivered(http, path) == []


# --- conditional delivery ----------------------------------------------------------------


def statuses(http: Any, path: str) -> list[str]:
    return [instance_of(r)["fields"]["status"] for r in delivered(http, path)]


def test_when_changed_delivers_only_changes_of_watched_fields(http, connect):
    path = unique_path("changed")
    connect(post_save, HTTPSignalHook(http.url(path), when_changed=["status"]), Ticket)
    ticket = Ticket.objects.create(title="A", status="open")  # created: always
    ticket.save()  # nothing changed
    ticket.title = "B"
    ticket.save()  # an unwatched field
    ticket.status = "closed"
    ticket.save()  # watched: delivered
    ticket.save()  # unchanged since the last save
    loaded = Ticket.objects.get(pk=ticket.pk)
    loaded.status = "reopened"
    loaded.save()  # previous values captured at load time
    assert statuses(http, path) == ["open", "closed", "reopened"]


def test_update_fields_are_respected(http, connect):
    path = unique_path("update-fields")
    connect(post_save, HTTPSignalHook(http.url(path), when_changed=["status"]), Ticket)
    ticket = Ticket.objects.create(title="A")
    assert len(delivered(http, path)) == 1
    ticket.status = "closed"
    ticket.save(update_fields=["title"])  # disjoint from when_changed: skipped
    assert len(delivered(http, path)) == 1
    ticket.save(update_fields=["status"])  # status was never written: still a change
    assert statuses(http, path) == ["open", "closed"]
    ticket.save(update_fields=["status"])  # written, unchanged
    assert len(delivered(http, path)) == 2


def test_every_hook_of_one_save_sees_the_same_change(http, connect):
    first, second = unique_path("first"), unique_path("second")
    connect(post_save, HTTPSignalHook(http.url(first), when_changed=["status"]), Ticket)
    connect(
        post_save, HTTPSignalHook(http.url(second), when_changed=["priority", "status"]), Ticket
    )
    ticket = Ticket.objects.create(title="Both")
    ticket.status = "closed"
    ticket.save()
    ticket.priority = 5
    ticket.save()
    assert len(delivered(http, first)) == 2
    assert len(delivered(http, second)) == 3


def test_when_changed_costs_no_query_and_no_receiver_on_other_models(http, connect):
    path = unique_path("no-query")
    connect(post_save, HTTPSignalHook(http.url(path), when_changed=["status"]), Ticket)
    ticket = Ticket.objects.create(title="Q")
    ticket.status = "closed"
    with CaptureQueriesContext(connection) as queries:
        ticket.save()
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE"), queries.captured_queries
    assert len(delivered(http, path)) == 2
    assert not post_init.has_listeners(Pizza)  # Pizza has no watched field
    assert post_init.has_listeners(Ticket)


def test_when_predicate_gets_instance_and_signal_kwargs(http, connect):
    path = unique_path("when")
    seen: list[dict[str, Any]] = []

    def expensive(instance: Pizza, **kwargs: Any) -> bool:
        seen.append(kwargs)
        return float(instance.price) > 10  # "5.00" as given to create()

    connect(post_save, HTTPSignalHook(http.url(path), when=expensive), Pizza)
    Pizza.objects.create(name="Cheap", price="5.00")
    Pizza.objects.create(name="Dear", price="15.00")
    [request] = delivered(http, path)
    assert instance_of(request)["fields"]["name"] == "Dear"
    assert seen[0]["created"] is True and "update_fields" in seen[0]


def test_when_on_a_custom_signal_and_a_raising_predicate(http):
    path = unique_path("when-custom")
    hook = HTTPSignalHook(http.url(path), when=lambda instance, **kw: kw["amount"] > 100)
    small = asyncio.run(hook.async_receiver(sender=None, amount=5))
    big = asyncio.run(hook.async_receiver(sender=None, amount=500))
    assert not small.ok and "condition was false" in (small.error or "")
    assert big.ok
    assert [r.json()["Data"]["amount"] for r in http.requests(path)] == [500]
    broken = HTTPSignalHook(http.url(path), when=lambda instance, **kw: 1 / 0)
    result = asyncio.run(broken.async_receiver(sender=None, amount=1))  # reported, not raised
    assert not result.ok and "ZeroDivisionError" in (result.error or "")


def test_a_raising_event_name_callable_is_reported_not_raised_into_save(http, connect):
    # Reporting the failure asks for the event name again: that must not raise either.
    path = unique_path("name-raises")
    hook = connect(post_save, HTTPSignalHook(http.url(path), event=lambda kw: 1 / 0), Pizza)
    with outcomes() as seen:
        Pizza.objects.create(name="nameless")  # must not raise
        [result] = seen.wait(hook)
    assert not result.ok and "ZeroDivisionError" in (result.error or "")
    assert result.event == "testapp.Pizza:created"  # the hook's name failed: the default one
    assert result.event_id  # the dispatch had begun


# --- event names ---------------------------------------------------------------------------


def test_event_name_string_and_callable_for_model_signals(http, connect):
    fixed, computed = unique_path("name-fixed"), unique_path("name-computed")
    connect(post_save, HTTPSignalHook(http.url(fixed), event="pizza.changed"), Pizza)
    connect(
        post_save,
        HTTPSignalHook(
            http.url(computed),
            event=lambda kw: "pizza." + ("new" if kw["created"] else "edited"),
        ),
        Pizza,
    )
    pizza = Pizza.objects.create(name="Named", price="1.00")
    pizza.save()
    assert [r.json()["Event"] for r in delivered(http, fixed)] == ["pizza.changed"] * 2
    assert sorted(r.json()["Event"] for r in delivered(http, computed)) == [
        "pizza.edited",
        "pizza.new",
    ]


def test_event_name_string_and_callable_for_custom_signals(http, connect):
    order_paid = Signal()
    fixed, computed = unique_path("custom-fixed"), unique_path("custom-computed")
    connect(order_paid, HTTPSignalHook(http.url(fixed), event="order.paid"))
    connect(
        order_paid,
        HTTPSignalHook(http.url(computed), event=lambda kw: f"order.paid.{kw['currency']}"),
    )
    order_paid.send(sender=None, currency="EUR", amount=12)
    [fixed_request] = http.wait_for(1, fixed)
    [computed_request] = http.wait_for(1, computed)
    assert fixed_request.json()["Event"] == "order.paid"
    assert computed_request.json()["Event"] == "order.paid.EUR"
    assert computed_request.json()["Data"] == {"currency": "EUR", "amount": 12}
