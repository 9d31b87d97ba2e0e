"""Issue 2, point 12: the 0.1.1 extension points still shape what is sent."""

from __future__ import annotations

import threading

import pytest
from django.db.models.signals import post_delete, post_save

from signalhooks.hooks import HTTPSignalHook, SNSSignalHook
from tests.aws import drain
from tests.helpers import decode_instance, unique_path
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db(transaction=True)


class PayloadHook(HTTPSignalHook):
    threads: list[int] = []

    def get_request_payload(self, instance=None, created=None):
        # Runs in the caller's thread, so it may read the instance (and the DB) safely.
        self.threads.append(threading.get_ident())
        return {"name": instance.name, "price": instance.price, "created": created}


class HeadersParamsHook(HTTPSignalHook):
    def get_request_url_headers(self):
        return {**super().get_request_url_headers(), "Authorization": "Token t0k3n"}

    def get_request_url_params(self):
        return {"source": "pizzeria"}


class ExtendedPayloadHook(HTTPSignalHook):
    def get_request_payload(self, instance=None, created=None):
        return {**super().get_request_payload(instance, created), "Tenant": "north"}


class SNSMessageHook(SNSSignalHook):
    def get_sns_msg(self):
        return "pizza news"

    def get_sns_msg_attributes(self, instance=None, created=None):
        attributes = super().get_sns_msg_attributes(instance, created)
        attributes["Kitchen"] = {"DataType": "String", "StringValue": "north"}
        return attributes


def test_get_request_payload_replaces_the_body(http, connect):
    path = unique_path("payload")
    connect(post_save, PayloadHook(request_url=http.url(path)), Pizza)
    PayloadHook.threads.clear()
    Pizza.objects.create(name="Custom", price="9.90")
    [request] = http.wait_for(1, path)
    assert request.json() == {"name": "Custom", "price": "9.90", "created": True}
    assert request.headers["Content-Type"] == "application/json"
    assert PayloadHook.threads == [threading.get_ident()]


def test_get_request_url_headers_and_params_are_sent(http, connect):
    path = unique_path("headers")
    connect(post_save, HeadersParamsHook(request_url=http.url(path)), Pizza)
    pizza = Pizza.objects.create(name="Headers")
    [request] = http.wait_for(1, path)
    assert request.headers["Authorization"] == "Token t0k3n"
    assert request.headers["Content-Type"] == "application/json"
    assert request.query == {"source": "pizzeria"}
    body = request.json()
    assert (body["Event"], body["InstanceId"]) == ("testapp.Pizza:created", str(pizza.pk))


def test_super_payload_keeps_the_seed_keys_for_every_action(http, connect):
    path = unique_path("extended")
    hook = ExtendedPayloadHook(request_url=http.url(path))
    connect(post_save, hook, Pizza)
    connect(post_delete, hook, Pizza)
    pizza = Pizza.objects.create(name="Extended")
    http.wait_for(1, path)
    pizza.delete()
    bodies = [r.json() for r in http.wait_for(2, path)]
    assert [b["Event"] for b in bodies] == ["testapp.Pizza:created", "testapp.Pizza:deleted"]
    assert all(b["Tenant"] == "north" and b["InstanceId"] for b in bodies)
    assert decode_instance(bodies[1]["Instance"]).object.name == "Extended"


def test_get_sns_msg_and_attributes_shape_the_publish(sns_queue, connect):
    hook = SNSMessageHook(sns_topic_arn=sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url)
    connect(post_save, hook, Pizza)
    connect(post_delete, hook, Pizza)
    pizza = Pizza.objects.create(name="SNS custom")
    pk = pizza.pk
    [created] = drain(sns_queue.queue_url, 1)
    pizza.delete()
    [deleted] = drain(sns_queue.queue_url, 1)
    for envelope, action in ((created, "created"), (deleted, "deleted")):
        assert envelope["Message"] == "pizza news"
        attrs = {name: a["Value"] for name, a in envelope["MessageAttributes"].items()}
        assert attrs["Kitchen"] == "north"
        assert attrs["Event"] == f"testapp.Pizza:{action}"
        assert attrs["InstanceId"] == str(pk)
