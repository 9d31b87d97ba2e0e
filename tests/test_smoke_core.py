import base64
import json
import time

import pytest
from django.core import serializers
from django.db.models.signals import post_save

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.testapp.models import Pizza


@pytest.mark.django_db(transaction=True)
def test_created_event_reaches_http_target(http, connect):
    hook = connect(post_save, HTTPSignalHook(request_url=http.url("/smoke")), Pizza)
    pizza = Pizza.objects.create(name="Napolitana", price="10.50")
    [request] = http.wait_for(1, "/smoke")
    body = request.json()
    assert body["Event"] == "testapp.Pizza:created"
    assert body["InstanceId"] == str(pizza.pk)
    decoded = base64.b64decode(body["Instance"]).decode()
    [obj] = serializers.deserialize("json", "[" + decoded + "]")
    assert obj.object.name == "Napolitana"
    assert request.headers["content-type"] == "application/json"
    assert hook is not None
