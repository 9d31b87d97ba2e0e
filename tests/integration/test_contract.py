"""The bodies customers get, delivered for real (SQLite), against the catalog's schemas."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

import signalhooks
from signalhooks import catalog
from signalhooks.endpoints.index import endpoint_index
from signalhooks.endpoints.models import PAYLOAD_FORMATS
from signalhooks.hooks import EndpointsHook, HTTPSignalHook
from signalhooks.models import Endpoint, OutboxDelivery
from signalhooks.outbox.codec import encode, hook_key
from signalhooks.snapshot.events import custom_event
from tests.contract_support import errors, event_type, restore_capture, specimen  # noqa: F401
from tests.endpoint_support import endpoint, endpoint_settings, path_of, verify  # noqa: F401
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.support.received import ReceivedRequest
from tests.testapp.models import Bundle, Pizza, Specimen

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks", "restore_capture"),
    pytest.mark.django_db(transaction=True),
]


def checked(request: ReceivedRequest, fmt: str, secret: str) -> tuple[str, Any]:
    """What a customer does with a request: verify it, parse it, validate its data
    against the catalog. Returns the event type and the ``data`` (the event JSON for
    "signalhooks")."""
    body = verify(secret, request)  # the signature covers the body as sent
    event_id = request.headers["webhook-id"]
    if fmt == "signalhooks":
        assert request.headers["Content-Type"] == "application/json"
        assert body["EventId"] == event_id
        return body["Event"], body
    if fmt == "standard":
        assert request.headers["Content-Type"] == "application/json"
        assert set(body) == {"type", "timestamp", "data"}
        name, data = body["type"], body["data"]
        assert errors(catalog.body_schema(event_type(name)), body) == []
    else:
        assert request.headers["Content-Type"].startswith("application/cloudevents+json")
        event = from_http_event(HTTPMessage(dict(request.headers), request.body))
        assert event.get_id() == event_id
        name, data = event.get_type(), event.get_data()
    assert errors(event_type(name).schema, data) == [], name
    return name, data


def checked_data(request: ReceivedRequest, fmt: str, secret: str) -> Any:
    return checked(request, fmt, secret)[1]


def received(http, ep: Endpoint, count: int) -> list[ReceivedRequest]:
    return http.wait_for(count, path_of(ep))


@pytest.mark.parametrize("durable", [False, True], ids=["in-process", "durable"])
def test_every_format_delivers_bodies_that_validate_against_the_catalog(http, connect, durable):
    hook = EndpointsHook(durable=durable, previous_attributes=True)
    connect(post_save, hook, Specimen)
    connect(post_delete, hook, Specimen)
    connect(post_save, EndpointsHook(durable=durable), Bundle)
    eps = {fmt: endpoint(http, fmt, payload_format=fmt) for fmt in PAYLOAD_FORMATS}

    made = specimen()
    made.title, made.price, made.level = "renamed", Decimal("1.5"), None
    made.save()
    bundle = Bundle.objects.create(name="box")
    bundle.pizzas.add(made.pizza)
    bundle.save()
    pk = made.pk
    made.delete()

    names = {"testapp.Bundle:created", "testapp.Bundle:updated"}
    names |= {f"testapp.Specimen:{action}" for action in ("created", "updated", "deleted")}
    event_ids = {}
    for fmt, ep in eps.items():
        requests = received(http, ep, 5)  # concurrent deliveries: in any order
        datas = dict(checked(request, fmt, ep.secret) for request in requests)
        assert set(datas) == names
        ids = {request.headers["webhook-id"] for request in requests}
        assert ids == event_ids.setdefault("every format", ids)  # one id per event
        if fmt == "signalhooks":  # the 0.1 body, unchanged
            assert "previous_attributes" not in json.dumps(datas)
            continue
        created, updated, deleted = (
            datas[f"testapp.Specimen:{a}"] for a in ("created", "updated", "deleted")
        )
        bundle_updated = datas["testapp.Bundle:updated"]
        assert created["id"] == updated["id"] == deleted["id"] == pk
        assert created["price"] == "12.50" and updated["price"] == "1.50"
        assert "previous_attributes" not in created and "previous_attributes" not in deleted
        assert updated["previous_attributes"] == {
            "title": "Ünïcode title",
            "price": "12.50",
            "level": 2,
        }
        assert bundle_updated["pizzas"] == [created["pizza"]]
    if durable:  # flush() returns once the outcomes are written
        assert signalhooks.flush(10)
        assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_rows_the_worker_sends_have_the_same_bodies(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0]}
    connect(post_save, EndpointsHook(previous_attributes=True), Specimen)
    eps = {fmt: endpoint(http, f"w-{fmt}", payload_format=fmt) for fmt in PAYLOAD_FORMATS}
    for ep in eps.values():
        http.behave(path_of(ep), statuses=[200, 503, 200])
    made = specimen()
    assert signalhooks.flush(10)  # delivered before the update is (200, then 503)
    made.count = 99
    made.save()  # its first attempt fails: the worker sends it from the row
    assert signalhooks.flush(10)
    assert OutboxDelivery.objects.filter(status="pending").count() == len(eps)
    call_command("signalhooks_worker", "--once")
    for fmt, ep in eps.items():
        _, failed, by_worker = received(http, ep, 3)
        assert by_worker.body == failed.body  # byte for byte, from the row
        data = checked_data(by_worker, fmt, ep.secret)
        if fmt != "signalhooks":
            assert data["count"] == 99 and data["previous_attributes"] == {"count": -3}


def test_an_endpoint_switching_format_keeps_stored_rows_as_they_were(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0]}
    hook = EndpointsHook()
    connect(post_save, hook, Pizza)
    ep = endpoint(http, "switching", payload_format="standard")
    http.behave(path_of(ep), statuses=[503, 200])
    Pizza.objects.create(name="stored")  # fails once: a pending row, stored as standard
    assert signalhooks.flush(10)
    before = endpoint_index.target_for(ep.pk)
    assert before.format == "standard"

    ep.payload_format = "signalhooks"
    ep.save()
    after = endpoint_index.target_for(ep.pk)
    assert after is not before and after.format == "event"  # rebuilt for the new format
    Pizza.objects.create(name="after the switch")
    assert signalhooks.flush(10)
    call_command("signalhooks_worker", "--once")

    first, new, stored = received(http, ep, 3)
    assert set(new.json()) == {"Event", "InstanceId", "Instance", "EventId", "Timestamp"}
    assert stored.body == first.body and stored.json()["data"]["name"] == "stored"
    assert set(stored.json()) == {"type", "timestamp", "data"}
    ep.payload_format = "signalhooks"  # the same format again: the same target object
    ep.description = "renamed"
    ep.save()
    assert endpoint_index.target_for(ep.pk) is after


def test_a_row_stored_before_formats_existed_is_sent_in_the_event_json(http, connect):
    hook = EndpointsHook()
    connect(post_save, hook, Pizza)
    ep = endpoint(http, "legacy", payload_format="standard")
    event = custom_event("legacy.event", {"answer": 42})
    payload = encode(event, None)  # as rows were written: no "format" key
    assert "format" not in json.loads(payload)
    OutboxDelivery.objects.create(
        event_id=event.id,
        event_name=event.name,
        hook_key=hook_key(hook),
        target=endpoint_index.target_for(ep.pk).name,
        payload=payload,
        endpoint_id=ep.pk,
    )
    call_command("signalhooks_worker", "--once")
    [request] = received(http, ep, 1)
    assert verify(ep.secret, request)["Data"] == {"answer": 42}


def test_custom_signals_send_their_arguments_as_data(http, connect):
    placed, shipped = Signal(), Signal()
    connect(placed, HTTPSignalHook(http.url("/placed"), format="standard", event="orders.placed"))
    connect(shipped, EndpointsHook(durable=False, event="orders.shipped"))
    ep = endpoint(http, "shipped", payload_format="cloudevents")
    placed.send(sender=None, order=7, total=Decimal("23.50"))
    pizza = Pizza.objects.create(name="Calzone", price=Decimal("11.00"))
    shipped.send(sender=Pizza, instance=pizza, carrier="bike")
    [request] = http.wait_for(1, "/placed")
    assert request.json()["data"] == {"order": 7, "total": "23.50"}
    [request] = received(http, ep, 1)
    data = from_http_event(HTTPMessage(dict(request.headers), request.body)).get_data()
    assert data == {"id": pizza.pk, "name": "Calzone", "price": "11.00", "carrier": "bike"}


def test_http_hooks_send_the_standard_body(http, connect):
    path = "/standard-hook"
    hook = HTTPSignalHook(http.url(path), format="standard", previous_attributes=True)
    connect(post_save, hook, Specimen)
    made = specimen()
    made.active = True
    made.save()
    by_type = {request.json()["type"]: request for request in http.wait_for(2, path)}
    created, updated = by_type["testapp.Specimen:created"], by_type["testapp.Specimen:updated"]
    assert created.headers["Content-Type"] == "application/json"
    assert created.json()["timestamp"].endswith("Z")
    assert updated.json()["data"]["previous_attributes"] == {"active": False}
    post_save.disconnect(hook, sender=Specimen)
    connect(post_save, EndpointsHook(durable=False), Specimen)  # for the catalog's schema
    assert errors(event_type("testapp.Specimen:updated").schema, created.json()["data"]) == []


def test_an_unknown_payload_format_is_refused(http, connect):
    ep = Endpoint(url=http.url("/x"), payload_format="xml")
    with pytest.raises(ValidationError) as caught:
        ep.full_clean()
    assert "payload_format" in caught.value.message_dict
    connect(post_save, EndpointsHook(durable=False), Pizza)
    saved = endpoint(http, "xml", payload_format="xml")  # saved without full_clean()
    with pytest.raises(Exception, match="payload_format='xml' is not one of signalhooks"):
        endpoint_index.target_for(saved.pk)
    Pizza.objects.create(name="not sent to it")
    assert signalhooks.flush(10)
    assert http.requests(path_of(saved)) == []
