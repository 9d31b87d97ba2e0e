"""Issue 2, points 1-2: the seed README's code and the seed message format, exactly."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models.signals import post_delete, post_save

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from signalhooks.registry import all_hooks
from tests.helpers import decode_instance, unique_path
from tests.testapp.models import Order, Pizza

pytestmark = pytest.mark.django_db(transaction=True)

SEED_KEYS = {"Event", "InstanceId", "Instance"}
#: Documented extras (README): the event id (same on every attempt) and an ISO-8601 UTC time.
EXTRA_KEYS = {"EventId", "Timestamp"}


def test_created_body_is_the_seed_format_plus_documented_extras(http, connect):
    path = unique_path("created")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    before = time.time()
    pizza = Pizza.objects.create(name="Napolitana", price="10.50")
    [request] = http.wait_for(1, path)

    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    body = request.json()
    assert set(body) == SEED_KEYS | EXTRA_KEYS
    assert body["Event"] == "testapp.Pizza:created"
    assert body["InstanceId"] == str(pizza.pk)
    obj = decode_instance(body["Instance"])
    assert (obj.object.pk, obj.object.name, obj.object.price) == (
        pizza.pk,
        "Napolitana",
        Decimal("10.50"),
    )
    assert str(uuid.UUID(body["EventId"])) == body["EventId"]
    assert body["Timestamp"].endswith("Z")
    stamp = datetime.fromisoformat(body["Timestamp"].replace("Z", "+00:00")).timestamp()
    assert before - 1 <= stamp <= time.time() + 1


def test_uuid_pk_model_created_updated_deleted_carry_full_payloads(http, connect):
    # 0.1.1 used instance.id (Order has none) and sent {} for updates and deletes.
    path = unique_path("order")
    hook = HTTPSignalHook(request_url=http.url(path))
    connect(post_save, hook, Order)
    connect(post_delete, hook, Order)
    pizza = Pizza.objects.create(name="Margherita")
    order = Order.objects.create(pizza=pizza, note="first")
    signalhooks.flush(5)  # keep arrival order = action order for the assertions below
    order.note = "second"
    order.save()
    signalhooks.flush(5)
    code = order.code
    order.delete()
    bodies = [r.json() for r in http.wait_for(3, path)]

    assert [b["Event"] for b in bodies] == [
        "testapp.Order:created",
        "testapp.Order:updated",
        "testapp.Order:deleted",
    ]
    assert [b["InstanceId"] for b in bodies] == [str(code)] * 3
    objects = [decode_instance(b["Instance"]).object for b in bodies]
    assert [o.note for o in objects] == ["first", "second", "second"]
    assert all(o.pk == code and o.pizza_id == pizza.pk for o in objects)
    assert len({b["EventId"] for b in bodies}) == 3


def test_seed_readme_code_verbatim_survives_garbage_collection(http):
    # The seed README connects inline with Django's default weak=True: without a strong
    # reference kept by signalhooks, the hook would be collected before the first save.
    path = unique_path("seed")
    url = http.url(path)

    from signalhooks.hooks import HTTPSignalHook, SNSSignalHook  # noqa: F401  (seed import line)

    post_save.connect(HTTPSignalHook(request_url=url, request_method="POST"), sender=Pizza)
    try:
        gc.collect()
        Pizza.objects.create(name="Seed")
        [request] = http.wait_for(1, path)
        assert request.json()["Event"] == "testapp.Pizza:created"
    finally:
        for hook in all_hooks():
            if getattr(hook, "request_url", None) == url:
                post_save.disconnect(hook, sender=Pizza)
        signalhooks.flush(5)


def test_event_is_a_snapshot_taken_at_signal_time(http, connect):
    path = unique_path("snapshot")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    pizza = Pizza.objects.create(name="before")
    pizza.name = "changed right after save, never saved"
    [request] = http.wait_for(1, path)
    assert decode_instance(request.json()["Instance"]).object.name == "before"


def test_two_saves_of_one_instance_are_two_snapshots(http, connect):
    # snapshot/dispatch.py shares one snapshot per dispatch; a second save must not reuse it.
    path = unique_path("twice")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    pizza = Pizza(name="one")
    pizza.save()
    pizza.name = "two"
    pizza.save()
    bodies = [r.json() for r in http.wait_for(2, path)]
    names = sorted(decode_instance(b["Instance"]).object.name for b in bodies)
    assert names == ["one", "two"]
    assert sorted(b["Event"] for b in bodies) == ["testapp.Pizza:created", "testapp.Pizza:updated"]
    assert bodies[0]["EventId"] != bodies[1]["EventId"]


def test_post_save_sent_twice_by_hand_is_two_events(http, connect):
    # No pre_save in between (which ends the memo's scope): the hook asking a second
    # time is what tells the second dispatch from the first.
    path = unique_path("byhand")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    pizza = Pizza.objects.create(name="one")
    pizza.name = "two"
    post_save.send(sender=Pizza, instance=pizza, created=False)
    bodies = [r.json() for r in http.wait_for(2, path)]
    assert len({b["EventId"] for b in bodies}) == 2
    assert sorted(decode_instance(b["Instance"]).object.name for b in bodies) == ["one", "two"]


def test_every_hook_of_one_dispatch_gets_the_same_event(http, connect):
    paths = [unique_path(f"fan{i}") for i in range(3)]
    for path in paths:
        connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    Pizza.objects.create(name="fan-out")
    bodies = [http.wait_for(1, path)[0].json() for path in paths]
    assert bodies[0] == bodies[1] == bodies[2]


def test_serialize_instance_extension_point_matches_the_payload(http, connect):
    path = unique_path("serialize")
    hook = connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    pizza = Pizza.objects.create(name="same")
    [request] = http.wait_for(1, path)
    assert hook.serialize_instance(pizza) == request.json()["Instance"]


BARE_SCRIPT = textwrap.dedent(
    """
    import sys
    import django
    from django.conf import settings

    settings.configure(INSTALLED_APPS=[], DATABASES={})  # no "signalhooks" app
    django.setup()
    from django.dispatch import Signal
    import signalhooks
    from signalhooks.hooks import HTTPSignalHook

    signal = Signal()
    signal.connect(HTTPSignalHook(request_url=sys.argv[1], event="bare"))
    signal.send(sender=None, x=1)
    sys.exit(0 if signalhooks.flush(10) else 3)
    """
)


def test_hooks_work_without_the_app_in_installed_apps(http, tmp_path):
    path = unique_path("bare")
    script = tmp_path / "bare.py"
    script.write_text(BARE_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(root)
    done = subprocess.run(
        [sys.executable, str(script), http.url(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [request] = http.requests(path)
    assert request.json()["Data"] == {"x": 1}


def test_instance_json_is_byte_for_byte_what_djangos_json_serializer_writes():
    """``serialize_instance`` takes a cheaper path than ``serializers.serialize``: same bytes."""
    from django.contrib.auth.models import Group, User
    from django.core import serializers

    from signalhooks.snapshot.serialization import serialize_instance
    from tests.testapp.models import Category, Ticket

    pizza = Pizza.objects.create(name="Quattro «stagioni» ünïcode", price=Decimal("9.90"))
    order = Order.objects.create(pizza=pizza, note='quotes " and \\ backslashes\nnewline')
    category = Category.objects.create(slug="food")
    ticket = Ticket.objects.create(title="t", status="open", category=category)
    user = User.objects.create(username="ada", last_login=datetime(2026, 11, 28, 4, 3))
    user.groups.add(Group.objects.create(name="cooks"))  # m2m: serialized with a query
    cases = [(pizza, {}), (order, {}), (ticket, {}), (user, {}), (pizza, {"fields": ["name"]})]
    # The fast path (signalhooks.serialization): FKs, datetimes, unsaved (pk None), contrib models.
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from signalhooks.outbox.models import OutboxDelivery

    cases += [(Permission.objects.select_related("content_type").first(), {})]
    cases += [(ContentType.objects.first(), {}), (Pizza(name="unsaved"), {})]
    cases += [(OutboxDelivery(), {})]
    cases.append((ticket, {"use_natural_foreign_keys": True, "use_natural_primary_keys": True}))
    for instance, options in cases:
        # Django 6.1 ends the document with a newline; the object itself is identical.
        expected = serializers.serialize("json", [instance], **options).rstrip("\n")
        assert "[" + serialize_instance(instance, **options) + "]" == expected, options


def test_event_ids_are_random_version_4_uuids():
    from signalhooks.snapshot.events import new_event_id

    ids = [new_event_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_snapshot_events_encode_lazily_and_equal_eager_ones():
    # The default snapshot copies raw values and encodes them on first use; the result
    # must be indistinguishable from an Event built with its text, and repr() and
    # dataclasses.replace() must not force the encoding in the caller's thread.
    import dataclasses

    from signalhooks.snapshot.dispatch import Dispatch
    from signalhooks.snapshot.events import Event, InstanceJSON
    from signalhooks.snapshot.serialization import serialize_instance

    pizza = Pizza(pk=3, name="lazy", price=Decimal("1.50"))
    event = Dispatch(post_save, Pizza, {"instance": pizza, "created": True}).event(None)
    assert event.instance is not None and not event.instance.is_encoded
    shown = repr(event)
    renamed = dataclasses.replace(event, name="other")
    assert not event.instance.is_encoded and renamed.instance is event.instance
    pizza.name = "changed after the signal"
    eager = Event(
        name=event.name,
        id=event.id,
        timestamp=event.timestamp,
        instance_id="3",
        instance=InstanceJSON(serialize_instance(Pizza(pk=3, name="lazy", price=Decimal("1.50")))),
        model="testapp.Pizza",
        using=None,
    )
    assert event == eager and repr(event) == repr(eager) == shown
    assert event.instance.is_encoded  # encoded once (by ==), then kept
    assert renamed.instance_json == eager.instance_json
    assert Event(name="x").instance_json is None


def test_values_that_could_change_or_fail_are_dumped_at_signal_time():
    # copy_values lets a value wait for the delivery thread only when dumping it later
    # certainly gives what dumping it now gives; otherwise (None) the caller dumps it.
    from datetime import time as clock

    from django.contrib.auth.models import User
    from django.utils.safestring import SafeString

    from signalhooks.outbox.models import OutboxDelivery
    from signalhooks.snapshot.serialization import copy_values, dump_instance
    from tests.testapp.models import Gadget

    for value in ("s", 1, 1.5, True, None, Decimal("2"), datetime(2026, 1, 1), uuid.uuid4()):
        pizza = Pizza(pk=1, name=value)
        values = copy_values(pizza)
        assert values is not None, value
        expected = dump_instance(pizza)
        pizza.name = "changed after the signal"
        assert values.dump() == expected, value
    for value in ([1, 2], {"a": 1}, {"tag"}, clock(1, 2), object(), SafeString("s")):
        assert copy_values(Pizza(pk=1, name=value)) is None, value

    # A DateTimeField has its own value_to_string: only datetimes (and None) wait.
    row = OutboxDelivery(pk=1, lease_until=datetime(2026, 1, 1, tzinfo=UTC))
    assert copy_values(row).dump() == dump_instance(row)  # type: ignore[union-attr]
    assert copy_values(OutboxDelivery(pk=1, lease_until="2026-01-01")) is None
    # Many-to-many fields to serialize (User.groups): Django's serializer, at once.
    assert copy_values(User(pk=1, username="u")) is None
    # A deferred field is missing from the instance: loading it is a query, dumped now.
    deferred = Pizza(pk=1, name="x")
    del deferred.__dict__["price"]
    assert copy_values(deferred) is None
    # A custom field class (TagsField): its value_to_string may read more than the value.
    assert copy_values(Gadget(pk=1, name="g")) is None
    # A file field's descriptor wraps the value in a FieldFile bound to the instance.
    from django.db import models
    from django.test.utils import isolate_apps

    with isolate_apps("tests.testapp"):  # not registered in the project's apps

        class Upload(models.Model):
            file = models.FileField()

            class Meta:
                app_label = "testapp"

        assert copy_values(Upload(pk=1, file="a.txt")) is None
    # UUID primary key and a foreign key: copied, and dumped like Django.
    order = Order(pizza_id=7, note="n")
    assert copy_values(order).dump() == dump_instance(order)  # type: ignore[union-attr]


def test_threads_encoding_one_snapshot_at_once_all_get_its_text_and_id():
    # The delivery thread and the caller (durable rows, testing helpers) may both read
    # instance_json or the event id first; each must see the same text and id, never
    # None, an error or an id of its own.
    import sys
    import threading

    from signalhooks.snapshot.dispatch import Dispatch
    from signalhooks.snapshot.serialization import serialize_instance

    pizza = Pizza(pk=9, name="raced", price=Decimal("3.00"))
    expected = serialize_instance(pizza)
    kwargs = {"instance": pizza, "created": True}
    events = [Dispatch(post_save, Pizza, kwargs).event(None) for _ in range(300)]
    assert all(e.instance is not None and not e.instance.is_encoded for e in events)
    seen: list[object] = []
    ids: list[tuple[int, str]] = []
    barrier = threading.Barrier(6)

    def read() -> None:
        barrier.wait()
        ids.extend((n, event.id) for n, event in enumerate(events))
        seen.extend(event.instance_json for event in events)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(seen) == 6 * 300
    assert all(text == expected for text in seen)
    assert len(ids) == 6 * 300 and len(set(ids)) == 300  # one id per event, all distinct
    assert len({event_id for _, event_id in ids}) == 300
