"""Issue 2, points 1-2: the seed README's code and the seed message format, exactly."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime
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
    root = Path(__file__).resolve().parents[2]
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
