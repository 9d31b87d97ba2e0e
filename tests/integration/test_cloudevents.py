"""CloudEvents 1.0 bodies, parsed by the ``cloudevents`` SDK on what real receivers got."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from cloudevents.core.formats.json import JSONFormat
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_save
from django.dispatch import Signal
from standardwebhooks.webhooks import Webhook

import signalhooks
from signalhooks import conf
from signalhooks.hooks import HTTPSignalHook, SNSSignalHook
from signalhooks.testing import capture_hooks
from tests.aws import drain
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


def parse(request):
    return from_http_event(HTTPMessage(dict(request.headers), request.body))


def test_webhook_is_a_signed_structured_mode_cloudevent(http, connect):
    hook = HTTPSignalHook(
        http.url("/ce"), format="cloudevents", source="https://shop.example/pizzas", secret=SECRET
    )
    connect(post_save, hook, Pizza)
    pizza = Pizza.objects.create(name="Quattro", price="9.50")
    [request] = http.wait_for(1, "/ce")
    Webhook(SECRET).verify(request.body, dict(request.headers))  # raises if not signed right
    assert request.headers["Content-Type"] == "application/cloudevents+json; charset=utf-8"
    event = parse(request)
    assert event.get_specversion() == "1.0"
    assert event.get_id() == request.headers["webhook-id"]
    assert event.get_type() == "testapp.Pizza:created"
    assert event.get_source() == "https://shop.example/pizzas"
    assert event.get_subject() == str(pizza.pk)
    assert event.get_datacontenttype() == "application/json"
    assert abs((datetime.now(UTC) - event.get_time()).total_seconds()) < 60
    data = event.get_data()
    assert data["InstanceId"] == str(pizza.pk)
    assert data["Instance"] == {
        "model": "testapp.pizza",
        "pk": pizza.pk,
        "fields": {"name": "Quattro", "price": "9.50"},
    }


def test_default_source_and_a_custom_signals_data(http, connect, settings):
    connect_signal = Signal()
    connect(connect_signal, HTTPSignalHook(http.url("/ce-signal"), format="cloudevents"))
    connect_signal.send(sender=None, oven=3, minutes=7)
    [request] = http.wait_for(1, "/ce-signal")
    event = parse(request)
    assert event.get_source() == "/signalhooks" == conf.DEFAULTS["CLOUDEVENTS_SOURCE"]
    assert event.get_type() == "signal"
    assert event.get_subject() is None
    assert event.get_data() == {"Data": {"oven": 3, "minutes": 7}}

    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "CLOUDEVENTS_SOURCE": "urn:shop:kitchen"}
    connect_signal.send(sender=None, oven=4)
    request = http.wait_for(2, "/ce-signal")[1]
    assert parse(request).get_source() == "urn:shop:kitchen"


def test_sns_message_is_the_same_envelope(sns_queue, connect):
    hook = SNSSignalHook(
        sns_queue.topic_arn,
        endpoint_url=sns_queue.endpoint_url,
        message_body="cloudevents",
        source="/shop",
    )
    connect(post_save, hook, Pizza)
    pizza = Pizza.objects.create(name="Bianca")
    [envelope] = drain(sns_queue.queue_url, 1)
    assert signalhooks.flush(10)
    event = JSONFormat().read(None, envelope["Message"])
    assert (event.get_type(), event.get_source()) == ("testapp.Pizza:created", "/shop")
    assert event.get_data()["Instance"]["fields"]["name"] == "Bianca"
    attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
    assert attributes["EventId"] == event.get_id()
    assert attributes["InstanceId"] == str(pizza.pk)
    assert "Instance" not in attributes  # the instance travels once, in the message


def test_capture_hooks_shows_the_envelope(connect):
    connect(post_save, HTTPSignalHook("https://kitchen.example/ce", format="cloudevents"), Pizza)
    with capture_hooks() as sent:
        Pizza.objects.create(name="Captured")
    [delivery] = sent
    assert delivery.payload["specversion"] == "1.0"
    assert delivery.payload["id"] == delivery.event_id
    assert delivery.headers["Content-Type"].startswith("application/cloudevents+json")


def test_options_are_checked():
    with pytest.raises(ImproperlyConfigured, match=r"format= must be 'event'.*not 'xml'"):
        HTTPSignalHook("https://a.example/h", format="xml")
    with pytest.raises(ImproperlyConfigured, match="source= applies to format='cloudevents'"):
        HTTPSignalHook("https://a.example/h", source="/x")
    with pytest.raises(ImproperlyConfigured, match="source= must be a non-empty string"):
        HTTPSignalHook("https://a.example/h", format="cloudevents", source="")

    class Custom(HTTPSignalHook):
        def get_request_payload(self, instance=None, created=None):
            return {"mine": True}

    with pytest.raises(ImproperlyConfigured, match="cannot be combined"):
        Custom("https://a.example/h", format="cloudevents")
    arn = "arn:aws:sns:eu-west-1:123456789012:t"
    with pytest.raises(ImproperlyConfigured, match="message_body= must be 'attributes'") as raised:
        SNSSignalHook(arn, message_body="xml")
    assert "'seed' is its earlier name" in str(raised.value)
    with pytest.raises(ImproperlyConfigured, match="source= applies to message_body"):
        SNSSignalHook(arn, source="/x")
    assert conf.validate({"CLOUDEVENTS_SOURCE": " "}) == [
        "SIGNALHOOKS['CLOUDEVENTS_SOURCE'] must be a non-empty URI-reference, not ' '."
    ]
    assert conf.validate({"OPENTELEMETRY": "no"}) == [
        "SIGNALHOOKS['OPENTELEMETRY'] must be bool, not 'no'."
    ]


def test_default_hooks_keep_their_outbox_keys():
    # Rows find their hook by a digest of the target's settings: the new options must
    # not change it for hooks that do not use them.
    from signalhooks.outbox.codec import hook_key

    plain = hook_key(HTTPSignalHook("https://a.example/keys"))
    assert "format" not in vars(HTTPSignalHook("https://a.example/keys").target)
    assert hook_key(HTTPSignalHook("https://a.example/keys", format="cloudevents")) != plain
    assert "source" not in vars(SNSSignalHook("arn:aws:sns:eu-west-1:123456789012:k").target)
