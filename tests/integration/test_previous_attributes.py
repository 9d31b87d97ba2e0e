"""``previous_attributes=True``: exactly the sent fields a save changed, with their old values.

Instances loaded by the ORM, refreshed, deferred, saved twice in one transaction, and
saved with ``update_fields``; the option's errors, at construction and as a check.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from signalhooks.hooks import EndpointsHook, HTTPSignalHook, capture
from signalhooks.models import Endpoint
from signalhooks.testing import capture_hooks
from tests.contract_support import errors, event_type, restore_capture  # noqa: F401
from tests.testapp.models import Category, Gadget, Pizza, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("restore_capture")]


def standard_hook(**options: Any) -> HTTPSignalHook:
    return HTTPSignalHook(
        "https://receiver.example/tickets", format="standard", previous_attributes=True, **options
    )


def previous(sent: list[Any]) -> list[Any]:
    """Each captured body's previous_attributes (``None``: the key is left out)."""
    return [delivery.payload["data"].get("previous_attributes") for delivery in sent]


@pytest.fixture
def ticket(connect) -> Ticket:
    connect(post_save, standard_hook(), Ticket)
    made = Ticket.objects.create(title="Printer", status="open", priority=1)
    return Ticket.objects.get(pk=made.pk)  # loaded by the ORM


def test_an_update_carries_the_changed_fields_old_values(ticket):
    with capture_hooks() as sent:
        ticket.status = "closed"
        ticket.save()
        ticket.save()  # nothing changed
        created = Ticket.objects.create(title="new")
        created.priority = 4
        created.save()  # changed since its creation
    assert previous(sent) == [{"status": "open"}, None, None, {"priority": 0}]
    assert sent[0].payload["data"]["status"] == "closed"


def test_a_model_is_watched_from_the_first_instance_after_connecting(connect):
    # Category: no other test watches it, so this is the first hook to need its values.
    assert not capture.planned(Category)
    made = Category.objects.create(slug="before-the-hook")
    connect(post_save, standard_hook(), Category)
    loaded = Category.objects.get(pk=made.pk)  # the first instance after connecting
    loaded.slug = "renamed"
    with capture_hooks() as sent:
        loaded.save()
    assert previous(sent) == [{"slug": "before-the-hook"}]


def test_two_saves_in_one_transaction_compare_with_the_save_before(ticket):
    with capture_hooks() as sent, transaction.atomic():
        ticket.status = "pending"
        ticket.save()
        ticket.status = "closed"
        ticket.priority = 5
        ticket.save()
    assert previous(sent) == [{"status": "open"}, {"status": "pending", "priority": 1}]


def test_refreshed_values_are_the_new_baseline(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status="changed elsewhere", priority=7)
    ticket.refresh_from_db()
    ticket.title = "Scanner"
    with capture_hooks() as sent:
        ticket.save()
    assert previous(sent) == [{"title": "Printer"}]  # not the change made elsewhere

    ticket.priority = 8  # changed in memory, then only status is refreshed
    Ticket.objects.filter(pk=ticket.pk).update(status="again elsewhere")
    ticket.refresh_from_db(fields=["status"])
    with capture_hooks() as sent:
        ticket.save()
    assert previous(sent) == [{"priority": 7}]


def test_deferred_fields_loaded_later_are_compared_with_what_was_loaded(connect):
    connect(post_save, standard_hook(), Ticket)
    made = Ticket.objects.create(title="deferred", status="open")
    partial = Ticket.objects.only("title").get(pk=made.pk)
    assert partial.status == "open"  # loads the field (Django's refresh_from_db)
    partial.status = "closed"
    with capture_hooks() as sent:
        partial.save()
    assert previous(sent) == [{"status": "open"}]


def test_update_fields_limits_the_save_and_the_rest_stays_pending(ticket):
    ticket.status, ticket.priority = "closed", 9
    with capture_hooks() as sent:
        ticket.save(update_fields=["status"])
        ticket.save()
    assert previous(sent) == [{"status": "open"}, {"priority": 1}]


def test_only_sent_fields_and_only_real_changes(connect):
    connect(post_save, standard_hook(fields=["title"]), Ticket)
    connect(post_save, standard_hook(), Pizza)
    ticket = Ticket.objects.get(pk=Ticket.objects.create(title="t").pk)
    pizza = Pizza.objects.get(pk=Pizza.objects.create(name="p", price=Decimal("9.50")).pk)
    with capture_hooks() as sent:
        ticket.status = "closed"  # not sent by this hook
        ticket.save()
        pizza.price = "9.50"  # a str in memory, the same value in the database
        pizza.save()
        pizza.price = 10
        pizza.save()
    assert previous(sent) == [None, None, {"price": "9.50"}]
    assert sent[2].payload["data"]["price"] == "10.00"


def test_foreign_keys_and_the_catalog_schema(connect):
    connect(post_save, EndpointsHook(durable=False, previous_attributes=True), Ticket)
    Endpoint.objects.create(url="https://customer.example/hook", payload_format="standard")
    first, second = Category.objects.create(slug="a"), Category.objects.create(slug="b")
    ticket = Ticket.objects.get(pk=Ticket.objects.create(title="fk", category=first).pk)
    ticket.category = second
    with capture_hooks() as sent:
        ticket.save()
    [delivery] = sent
    body = delivery.payload  # the endpoint's standard body
    assert body["data"]["previous_attributes"] == {"category": first.pk}
    updated = event_type("testapp.Ticket:updated")
    assert errors(updated.schema, body["data"]) == []
    assert "previous_attributes" in updated.schema["properties"]
    assert "previous_attributes" not in event_type("testapp.Ticket:created").schema["properties"]


def test_models_without_such_hooks_pay_nothing(connect):
    connect(post_save, standard_hook(), Ticket)
    Ticket.objects.create(title="planned")
    gadget = Gadget.objects.create(name="not watched")
    assert capture.planned(Ticket) and not capture.planned(Gadget)
    assert "_signalhooks_previous" not in vars(Gadget.objects.get(pk=gadget.pk))


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "event"}, "previous_attributes=True needs format='standard'"),
        ({"format": "cloudevents"}, "format='cloudevents' has no place for them"),
        ({"format": "standard", "serializer": lambda i: {}}, "cannot be combined with serial"),
        ({"format": "standard", "use_natural_keys": True}, "or use_natural_keys=True"),
    ],
)
def test_previous_attributes_without_a_place_is_refused(options, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        HTTPSignalHook("https://e.example/", previous_attributes=True, **options)


def test_previous_attributes_must_be_a_bool_and_formats_known():
    with pytest.raises(ImproperlyConfigured, match="previous_attributes= must be True or False"):
        EndpointsHook(previous_attributes="yes")  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match=r"format= must be 'event'.*not 'xml'"):
        HTTPSignalHook("https://e.example/", format="xml")
    with pytest.raises(ImproperlyConfigured, match="format='standard' builds the body itself"):

        class Custom(HTTPSignalHook):
            def get_request_payload(self, instance=None, created=None):
                return {}

        Custom("https://e.example/", format="standard")


def test_a_signal_without_an_instance_is_a_check_error(connect):
    hook = connect(Signal(), EndpointsHook(durable=False, previous_attributes=True))
    fine = connect(post_delete, EndpointsHook(durable=False, previous_attributes=True), Pizza)
    found = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E014"]
    assert [m.obj for m in found] == [hook]
    assert "sends no saved instance" in found[0].msg
    assert fine not in [m.obj for m in found]
