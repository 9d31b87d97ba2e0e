"""Outbox rows: payloads and hook keys by stable names; format-1 rows still decode."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from signalhooks.exceptions import PayloadError, SerializationError
from signalhooks.hooks import HTTPSignalHook, SNSSignalHook
from signalhooks.outbox.codec import HookRegistry, decode, encode, hook_key
from signalhooks.snapshot.events import Event, InstanceJSON
from signalhooks.targets.http import HTTPRequest
from signalhooks.targets.sns import SNSMessage
from tests.outbox_support import (
    retire_durable_hooks,  # noqa: F401
)

ARN = "arn:aws:sns:eu-west-1:123456789012:orders"
# Rows exactly as the format-1 code (module paths for hook and request types) wrote them.
FORMAT_1 = json.loads((Path(__file__).parent.parent / "fixtures" / "format1_rows.json").read_text())


def test_payload_round_trips_the_event_and_rendered_requests():
    text = InstanceJSON('{"pk": 7}')
    event = Event(name="x:y", instance_id="7", instance=text, model="a.B", using="pg")
    for request in (
        None,
        HTTPRequest(b'{"a":"\xc3\xa9"}\xff', {"X-Key": "v"}, {"q": "1"}),
        SNSMessage("hello", {"Event": {"DataType": "String", "StringValue": "x:y"}}),
    ):
        assert decode(encode(event, request)) == (event, request)


def test_rows_keep_the_body_format_previous_values_and_a_custom_instance():
    event = Event(
        name="a.B:updated",
        instance_id="7",
        instance=InstanceJSON('{"sku": 7}', custom=True),
        previous=InstanceJSON('{"price": "9.50"}'),
        model="a.B",
    )
    doc = json.loads(encode(event, None, "cloudevents-standard"))
    assert doc["format"] == "cloudevents-standard"
    assert doc["event"]["previous_json"] == '{"price": "9.50"}'
    assert doc["event"]["instance_custom"] is True
    stored, _ = decode(json.dumps(doc))
    assert stored == replace(event, body_format="cloudevents-standard")
    assert stored.instance is not None and stored.instance.custom
    # Read back and stored again (a requeue), a row keeps the format it was accepted with.
    assert json.loads(encode(stored, None, "event"))["format"] == "cloudevents-standard"
    plain = json.loads(encode(Event(name="x"), None))
    assert {"format", "trace"}.isdisjoint(plain)
    assert {"previous_json", "instance_custom"}.isdisjoint(plain["event"])
    doc["format"] = "xml"
    with pytest.raises(PayloadError, match="unknown body format 'xml'"):
        decode(json.dumps(doc))


def test_endpoint_formats_are_the_settings_choices():
    from signalhooks import conf
    from signalhooks.endpoints.models import PAYLOAD_FORMATS
    from signalhooks.targets.http import BODY_FORMATS

    assert conf.SETTINGS["ENDPOINT_PAYLOAD_FORMAT"].choices == PAYLOAD_FORMATS
    from signalhooks.endpoints.target import BODY_FORMAT

    assert tuple(BODY_FORMAT) == PAYLOAD_FORMATS  # a body for every format, no other
    assert set(BODY_FORMAT.values()) <= set(BODY_FORMATS)


def test_payload_refuses_foreign_types_both_ways():
    with pytest.raises(SerializationError, match="signalhooks' request types"):
        encode(Event(name="x"), {"not": "a request"})
    doc = json.loads(encode(Event(name="x"), None))
    doc["request"] = {"$t": "os:system", "f": {}}
    with pytest.raises(PayloadError, match="refusing request type 'os:system'"):
        decode(json.dumps(doc))
    for garbage in ("{not json", "[]", '{"v": 99}', '{"v": 1, "event": {"nope": 1}}'):
        with pytest.raises(PayloadError):
            decode(garbage)


def test_hook_keys_follow_configuration_not_identity():
    a = HTTPSignalHook("https://example.com/hook", headers={"Authorization": "a"})
    same = HTTPSignalHook("https://example.com/hook", headers={"Authorization": "a"})
    other_secret = HTTPSignalHook("https://example.com/hook", headers={"Authorization": "b"})
    other_event = HTTPSignalHook("https://example.com/hook", event="custom")
    assert hook_key(a) == hook_key(same)
    assert len({hook_key(a), hook_key(other_secret), hook_key(other_event)}) == 3
    assert hook_key(a).startswith("http:")
    assert "Authorization" not in hook_key(a) and "example.com" not in hook_key(a)
    sns = SNSSignalHook(ARN, "AKIA", "secret-key")
    assert "secret-key" not in hook_key(sns)


def test_registry_falls_back_to_the_only_hook_with_the_same_target():
    hook = HTTPSignalHook("https://fallback.example/hook", headers={"X-Token": "new"})
    registry = HookRegistry()
    assert registry.find(hook_key(hook), hook.target.name) is hook
    stale = hook_key(hook).rpartition(":")[0] + ":0000"  # e.g. the token was rotated
    assert registry.find(stale, hook.target.name) is hook
    HTTPSignalHook("https://fallback.example/hook", headers={"X-Token": "other"})
    with pytest.raises(PayloadError, match="cannot tell which one"):
        registry.find(stale, hook.target.name)
    with pytest.raises(PayloadError, match="no longer exists"):
        registry.find("app.Gone:1", "POST https://gone.example/")


def test_rows_name_hooks_and_requests_by_stable_names():
    hook = HTTPSignalHook("https://stable.example/hook")
    assert hook_key(hook).startswith("http:")
    assert hook_key(SNSSignalHook(ARN)).startswith("sns:")
    request = HTTPRequest(b"{}", {"X-A": "1"}, None)
    doc = json.loads(encode(Event(name="x"), request))
    assert doc["v"] == 2 and doc["request"]["$t"] == "http.request"
    assert json.loads(encode(Event(name="x"), SNSMessage("m", {})))["request"]["$t"] == (
        "sns.message"
    )

    class Tenant(HTTPSignalHook):
        stored_name = "tests.tenant"

    class Unnamed(Tenant):  # a stored name is not inherited: it renders its own requests
        pass

    assert hook_key(Tenant("https://stable.example/t")).startswith("tests.tenant:")
    assert hook_key(Unnamed("https://stable.example/u")).startswith(
        "tests.unit.test_codec.test_rows_name_hooks_and_requests_by_stable_names.<locals>.Unnamed:"
    )


def test_format_1_rows_still_decode_and_find_their_hook():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    http = HTTPSignalHook("http://127.0.0.1:1/legacy", headers={"X-Legacy": "1"}, secret=secret)
    sns = SNSSignalHook("arn:aws:sns:us-east-1:123456789012:legacy", message_body="event")
    registry = HookRegistry()
    assert registry.find(FORMAT_1["http_key"], http.target.name) is http
    assert registry.find(FORMAT_1["sns_key"], sns.target.name) is sns
    event, request = decode(FORMAT_1["plain"])
    assert request is None
    assert event.id == "0b6f3c0e-1111-4222-8333-444455556666" and event.using == "pg"
    assert json.loads(event.instance_json or "")["fields"]["name"] == "Legacy"
    _, request = decode(FORMAT_1["http_request"])
    assert request == HTTPRequest(b'{"Event":"x"}', {"X-Legacy": "1"}, {"q": "1"})
    _, request = decode(FORMAT_1["sns_message"])
    assert request == SNSMessage("hello", {"Event": {"DataType": "String", "StringValue": "x"}})


def test_trace_context_round_trips_and_rows_without_it_decode():
    from opentelemetry.trace import SpanContext, TraceFlags, TraceState

    from signalhooks.outbox.codec import decode, encode
    from signalhooks.snapshot.events import Event

    context = SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "value")]),
    )
    text = encode(Event("x", trace=context), None)
    assert (
        '"trace":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"' in text
    )
    event, _ = decode(text)
    restored = event.trace
    assert (restored.trace_id, restored.span_id) == (context.trace_id, context.span_id)
    assert restored.trace_flags.sampled and restored.trace_state.get("vendor") == "value"

    untraced = encode(Event("x"), None)
    assert '"trace"' not in untraced  # format 2 as before
    assert decode(untraced)[0].trace is None
    broken = text.replace("00-0af7", "zz-0af7")
    assert decode(broken)[0].trace is None  # an unreadable context is dropped, not fatal
