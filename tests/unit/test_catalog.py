"""The event catalog: types generated from the connected hooks, declarations, OpenAPI."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi

from signalhooks import catalog
from signalhooks.catalog import declared as declared_module
from signalhooks.hooks import EndpointsHook
from tests.contract_support import specimen
from tests.testapp.models import Bundle, Order, Pizza, Specimen

ORDER_SCHEMA = {
    "type": "object",
    "properties": {"order": {"type": "integer"}, "total": {"type": "string"}},
    "required": ["order"],
}


@pytest.fixture(autouse=True)
def declarations() -> Iterator[None]:
    """Each test starts with no declaration, and its own are forgotten after it."""
    saved = dict(declared_module._declared)
    declared_module._declared.clear()
    yield
    declared_module._declared.clear()
    declared_module._declared.update(saved)


def by_name() -> dict[str, catalog.EventType]:
    return {event_type.name: event_type for event_type in catalog.event_types()}


def valid(schema: dict, instance: object) -> bool:
    return Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(instance)


# -- generated from the hooks ----------------------------------------------------------


def test_model_signals_give_created_updated_and_deleted(connect):
    hook = connect(post_save, EndpointsHook(durable=False), Specimen)
    connect(post_delete, hook, Specimen)
    connect(post_save, EndpointsHook(durable=False), Bundle)
    types = by_name()
    names = [name for name in types if name.startswith("testapp.")]
    assert (
        names
        == sorted(names)
        == [
            "testapp.Bundle:created",
            "testapp.Bundle:updated",
            "testapp.Specimen:created",
            "testapp.Specimen:deleted",
            "testapp.Specimen:updated",
        ]
    )
    assert types["testapp.Specimen:created"].description == "A lab specimen was created."
    assert types["testapp.Specimen:deleted"].description == "A lab specimen was deleted."
    assert types["testapp.Bundle:updated"].description == "A bundle was updated."
    assert "testapp.Bundle:deleted" not in types  # not connected to post_delete


def test_every_field_type_has_its_schema(connect):
    connect(post_save, EndpointsHook(durable=False), Specimen)
    schema = by_name()["testapp.Specimen:created"].schema
    props = schema["properties"]
    assert schema["type"] == "object"
    assert schema["required"] == ["id", *(f.name for f in Specimen._meta.local_fields[1:])]
    expected = {
        "id": {"type": "integer"},
        "title": {"type": "string", "maxLength": 60, "description": "What the customer sees."},
        "body": {"type": "string"},
        "count": {"type": "integer"},
        "big": {"type": "integer"},
        "small": {"type": "integer"},
        "positive": {"type": "integer", "minimum": 0},
        "positive_small": {"type": "integer", "minimum": 0},
        "positive_big": {"type": "integer", "minimum": 0},
        "price": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
        "ratio": {"type": "number"},
        "active": {"type": "boolean"},
        "day": {"type": ["string", "null"], "format": "date"},
        "moment": {"type": ["string", "null"], "format": "date-time"},
        "lasting": {"type": ["string", "null"], "format": "duration"},
        "token": {"type": "string", "format": "uuid"},
        "extra": {},
        "email": {"type": "string", "maxLength": 254},  # blank: no "email" format for ""
        "blob": {"type": ["string", "null"], "contentEncoding": "base64"},
        "pizza": {"type": ["integer", "null"]},  # the related pk's type
        "order": {"type": ["string", "null"], "format": "uuid"},  # Order's pk is a UUID
        "category": {"type": ["integer", "null"]},  # one-to-one
        "status": {"type": "string", "maxLength": 10, "enum": ["draft", "live"]},
        "level": {"type": ["integer", "null"], "enum": [1, 2, None]},
        "note": {"type": ["string", "null"], "maxLength": 20},
    }
    for name, wanted in expected.items():
        got = {k: v for k, v in props[name].items() if k != "title"}
        assert got == wanted, name
    assert props["alarm"]["type"] == ["string", "null"] and "pattern" in props["alarm"]
    assert props["slug"]["pattern"] == r"^[-a-zA-Z0-9_]*$"
    assert props["title"]["title"] == "Title"


def test_many_to_many_fields_are_lists_of_related_pks(connect):
    connect(post_save, EndpointsHook(durable=False), Bundle)
    props = by_name()["testapp.Bundle:created"].schema["properties"]
    assert props["pizzas"]["type"] == "array"
    assert props["pizzas"]["items"] == {"type": "integer"}
    assert props["orders"]["items"] == {"type": "string", "format": "uuid"}


def test_fields_and_exclude_shape_the_schema(connect):
    connect(post_save, EndpointsHook(durable=False, fields=["title", "price"]), Specimen)
    connect(post_save, EndpointsHook(durable=False, exclude=["pizzas"]), Bundle)
    types = by_name()
    assert types["testapp.Specimen:updated"].schema["required"] == ["id", "title", "price"]
    assert list(types["testapp.Bundle:created"].schema["properties"]) == ["id", "name", "orders"]


def test_a_named_hook_on_a_model_signal_generates_its_name(connect):
    connect(post_save, EndpointsHook(durable=False, event="orders.saved"), Order)
    types = by_name()
    assert "testapp.Order:created" not in types
    saved = types["orders.saved"]
    assert saved.description == "An order was saved."
    assert saved.schema["properties"]["id"] == {
        "title": "Primary key",
        "type": "string",
        "format": "uuid",
    }


def test_a_hook_for_any_sender_covers_every_model(connect):
    connect(post_delete, EndpointsHook(durable=False))
    names = set(by_name())
    assert {"testapp.Pizza:deleted", "testapp.Specimen:deleted", "auth.User:deleted"} <= names


def test_hooks_whose_bodies_the_models_do_not_describe_generate_nothing(connect):
    connect(post_save, EndpointsHook(durable=False, serializer=lambda i: {"x": 1}), Pizza)
    connect(post_save, EndpointsHook(durable=False, event=lambda kwargs: "x"), Order)
    assert not [name for name in by_name() if name.startswith("testapp.")]


def test_examples_are_whole_bodies_that_match_their_schemas(connect):
    connect(post_save, EndpointsHook(durable=False), Specimen)
    connect(post_save, EndpointsHook(durable=False), Bundle)
    for event_type in catalog.event_types():
        example = event_type.example
        assert set(example) == {"type", "timestamp", "data"}
        assert example["type"] == event_type.name
        assert valid(event_type.schema, example["data"]), event_type.name
        assert valid(catalog.body_schema(event_type), example), event_type.name


# -- declarations --------------------------------------------------------------------


def test_declared_types_join_the_catalog():
    declared = catalog.declare(
        "orders.placed", description="An order was placed.", schema=ORDER_SCHEMA
    )
    assert by_name()["orders.placed"] == declared
    assert declared.example["data"] == {"order": 1, "total": "example"}  # made from the schema
    given = catalog.declare(
        "orders.refunded",
        description="An order was refunded.",
        schema=ORDER_SCHEMA,
        example={"order": 7, "total": "12.50"},
    )
    assert given.example == {
        "type": "orders.refunded",
        "timestamp": "2026-01-31T12:00:00.000000Z",
        "data": {"order": 7, "total": "12.50"},
    }


def test_declaring_twice_is_harmless_unless_the_content_differs():
    first = catalog.declare("orders.placed", description="Placed.", schema=ORDER_SCHEMA)
    assert catalog.declare("orders.placed", description="Placed.", schema=ORDER_SCHEMA) == first
    with pytest.raises(ImproperlyConfigured, match="already declared with another"):
        catalog.declare("orders.placed", description="Placed!", schema=ORDER_SCHEMA)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "orders.*"}, "is not an event type name"),
        ({"name": ""}, "is not an event type name"),
        ({"name": "orders placed"}, "is not an event type name"),
        ({"schema": {"type": "objekt"}}, "not a valid JSON Schema .* at type"),
        ({"schema": {"properties": {"a": {"minimum": "zero"}}}}, "not a valid JSON Schema"),
        ({"schema": "object"}, "must be a JSON Schema"),
        ({"description": None}, "description= must be a string"),
        ({"example": {"total": "1"}}, "example= does not match schema=: 'order' is a required"),
        ({"example": {"order": "one"}}, r"'one' is not of type 'integer' \(at order\)"),
        ({"example": {"order": 1, "at": object()}}, "example= is not JSON"),
    ],
)
def test_bad_declarations_are_refused_with_why(kwargs, message):
    arguments = {"description": "An order.", "schema": ORDER_SCHEMA, **kwargs}
    name = arguments.pop("name", "orders.placed")
    with pytest.raises(ImproperlyConfigured, match=message):
        catalog.declare(name, **arguments)
    assert name not in declared_module._declared


def test_a_declaration_cannot_take_a_generated_name(connect):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    with pytest.raises(ImproperlyConfigured, match="generated from the models"):
        catalog.declare("testapp.pizza:CREATED", description="x", schema=ORDER_SCHEMA)


def test_a_clash_found_later_is_a_check_error_and_stops_the_catalog(connect):
    catalog.declare("testapp.Pizza:created", description="Early.", schema=ORDER_SCHEMA)
    connect(post_save, EndpointsHook(durable=False), Pizza)  # connected after the declaration
    [error] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E013"]
    assert "'testapp.Pizza:created'" in error.msg
    with pytest.raises(ImproperlyConfigured, match="clash with types generated"):
        catalog.event_types()


def test_declare_without_jsonschema_says_what_to_install(monkeypatch):
    # The package is installed here; None in sys.modules makes its import fail as if not.
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    with pytest.raises(ImproperlyConfigured, match=r"pip install 'signalhooks\[jsonschema\]'"):
        catalog.declare("orders.placed", description="x", schema=ORDER_SCHEMA)


def test_produces_marks_a_callable_and_checks_its_names():
    @catalog.produces("orders.placed", "orders.cancelled")
    def name(kwargs):
        return "orders.placed"

    assert name.signalhooks_event_types == ("orders.placed", "orders.cancelled")
    with pytest.raises(ImproperlyConfigured, match="is not an event type name"):
        catalog.produces("orders.*")
    with pytest.raises(ImproperlyConfigured, match="at least one"):
        catalog.produces()


# -- the check of what cannot be described -------------------------------------------


def w005(hook) -> list[str]:
    return [
        m.msg for m in run_checks(tags=["signalhooks"]) if m.obj is hook and m.id.endswith("W005")
    ]


def test_a_named_hook_on_a_custom_signal_needs_its_name_declared(connect):
    placed = Signal()
    hook = connect(placed, EndpointsHook(durable=False, event="orders.placed"))
    [message] = w005(hook)
    assert "'orders.placed' not declared" in message
    catalog.declare("orders.placed", description="An order was placed.", schema=ORDER_SCHEMA)
    assert w005(hook) == []
    assert "orders.placed" in by_name()


def test_a_custom_signal_without_a_name_is_reported(connect):
    hook = connect(Signal(), EndpointsHook(durable=False))
    [message] = w005(hook)
    assert "has no event= name" in message


def test_an_event_callable_must_say_what_it_produces(connect):
    def unmarked(kwargs):
        return "orders.placed"

    hook = connect(Signal(), EndpointsHook(durable=False, event=unmarked))
    [message] = w005(hook)
    assert "unmarked returns cannot be known" in message
    marked = catalog.produces("orders.placed", "orders.cancelled")(lambda kwargs: "x")
    hook = connect(Signal(), EndpointsHook(durable=False, event=marked))
    [message] = w005(hook)
    assert "'orders.cancelled', 'orders.placed' not declared" in message
    for name in ("orders.placed", "orders.cancelled"):
        catalog.declare(name, description=name, schema=ORDER_SCHEMA)
    assert w005(hook) == []


def test_a_body_shaped_by_a_serializer_needs_declarations(connect):
    hook = connect(post_save, EndpointsHook(durable=False, use_natural_keys=True), Pizza)
    [message] = w005(hook)
    assert "'testapp.Pizza:created', 'testapp.Pizza:updated' not declared" in message
    for action in ("created", "updated"):
        catalog.declare(f"testapp.Pizza:{action}", description="x", schema=ORDER_SCHEMA)
    assert w005(hook) == []
    disconnected = EndpointsHook(durable=False, event=lambda kwargs: "x")
    assert w005(disconnected) == []  # never sends anything: W001's business


# -- OpenAPI and the command -----------------------------------------------------------


def test_openapi_document_is_valid_and_describes_every_type(connect):
    connect(post_save, EndpointsHook(durable=False), Specimen)
    connect(post_save, EndpointsHook(durable=False), Bundle)
    catalog.declare("orders.placed", description="An order was placed.", schema=ORDER_SCHEMA)
    document = catalog.openapi({"title": "Shop webhooks", "version": "2"})
    validate_openapi(document)
    assert document["info"] == {"title": "Shop webhooks", "version": "2"}
    assert document["paths"] == {}
    assert list(document["webhooks"]) == [t.name for t in catalog.event_types()]
    post = document["webhooks"]["orders.placed"]["post"]
    body = post["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["data"] == ORDER_SCHEMA
    assert body["schema"]["properties"]["type"]["const"] == "orders.placed"
    assert valid(body["schema"], body["example"])
    assert [p["name"] for p in post["parameters"]] == [
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    ]
    assert catalog.webhooks() == document["webhooks"]


def test_the_command_prints_openapi_or_the_schemas(connect):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    out = StringIO()
    call_command("signalhooks_schema", "--title", "Pizzas", stdout=out)
    document = json.loads(out.getvalue())
    validate_openapi(document)
    assert document["info"]["title"] == "Pizzas"
    assert "testapp.Pizza:created" in document["webhooks"]
    out = StringIO()
    call_command("signalhooks_schema", "--format", "jsonschema", stdout=out)
    schemas = json.loads(out.getvalue())
    created = schemas["testapp.Pizza:created"]
    assert created["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(created)
    assert created["properties"]["price"]["type"] == "string"


# -- the schemas and the values sent agree ---------------------------------------------


def data_of(instance) -> dict:
    from signalhooks.snapshot.data import standard_data
    from signalhooks.snapshot.serialization import serialize_instance

    return standard_data(
        model=instance._meta.label,
        instance_json=serialize_instance(instance),
        custom=False,
        instance_id=str(instance.pk),
        previous_json=None,
        data_json=None,
    )


@pytest.mark.django_db(transaction=True)
def test_the_values_sent_match_the_schema_for_every_field_type(connect):
    connect(post_save, EndpointsHook(durable=False), Specimen)
    connect(post_save, EndpointsHook(durable=False), Bundle)
    schema = by_name()["testapp.Specimen:created"].schema
    saved = specimen()
    reloaded = Specimen.objects.get(pk=saved.pk)
    data = data_of(reloaded)
    assert valid(schema, data), list(Draft202012Validator(schema).iter_errors(data))
    assert data_of(saved) == data  # in memory or reloaded: the same body
    assert data["id"] == saved.pk and data["pizza"] == saved.pizza.pk
    assert data["order"] == str(saved.order.pk)
    assert data["price"] == "12.50" and data["big"] == 2**40 and data["ratio"] == 0.25
    assert data["moment"] == "2026-02-03T04:05:06.789Z"
    assert data["alarm"] == "07:08:09.123"  # milliseconds, as Django's JSON encoder writes
    assert data["lasting"] == "P1DT02H00M03.000004S"
    assert data["extra"] == {"nested": [1, "two", None], "ok": True}
    assert data["level"] == 2 and data["note"] is None
    empty = Specimen.objects.create(title="nulls")  # every nullable field left empty
    assert valid(schema, data_of(empty))

    bundle = Bundle.objects.create(name="box")
    bundle.pizzas.add(saved.pizza)
    bundle.orders.add(saved.order)
    bundle_data = data_of(bundle)
    assert bundle_data["pizzas"] == [saved.pizza.pk]
    assert bundle_data["orders"] == [str(saved.order.pk)]
    assert valid(by_name()["testapp.Bundle:created"].schema, bundle_data)


@pytest.mark.django_db(transaction=True)
def test_values_as_assigned_in_memory_are_sent_as_the_database_has_them(connect):
    import datetime

    connect(post_save, EndpointsHook(durable=False), Specimen)
    schema = by_name()["testapp.Specimen:created"].schema
    made = specimen(
        price=10,  # an int in a DecimalField: "10.00" in the database
        count="5",
        ratio=1,
        moment=datetime.datetime(
            2026, 2, 3, 6, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        ),
        token="4b1fd2fa7b6e4d3f9a0c5e2d1b8a7c6f",
        pizza=None,
        pizza_id=None,
    )
    data = data_of(made)
    assert valid(schema, data), list(Draft202012Validator(schema).iter_errors(data))
    assert data["price"] == "10.00" and data["count"] == 5 and data["ratio"] == 1.0
    assert data["moment"] == "2026-02-03T04:00:00Z"  # UTC
    assert data["token"] == "4b1fd2fa-7b6e-4d3f-9a0c-5e2d1b8a7c6f"
    assert data == data_of(Specimen.objects.get(pk=made.pk))
