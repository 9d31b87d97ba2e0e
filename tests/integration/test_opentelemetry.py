"""Traces: the request that saves a model continues into the receiving service.

The session runs the real OpenTelemetry SDK (``tests.otel_support``); the receiving
service extracts the context with OpenTelemetry's propagator and handles each request
in a SERVER span, so a test reads the whole trace: request -> ``send <event>``
(PRODUCER) -> ``POST`` (CLIENT) -> the receiver's SERVER span.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.test import override_settings
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, StatusCode, get_current_span

import signalhooks
from signalhooks.hooks import HTTPSignalHook, SNSSignalHook
from tests.aws import drain
from tests.helpers import fresh_engine
from tests.httpx_support import use_path
from tests.support.ports import free_port
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db(transaction=True)


def one(spans):
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def trace_of(headers) -> int:
    return get_current_span(extract(dict(headers))).get_span_context().trace_id


def test_webhook_continues_the_trace_of_the_request(otel, receiver, connect):
    connect(post_save, HTTPSignalHook(receiver.url("/traced")), Pizza)
    with otel.tracer.start_as_current_span("request") as request:
        Pizza.objects.create(name="Traced")
    [received] = receiver.wait_for(1, "/traced")
    assert signalhooks.flush(10)
    trace_id = request.get_span_context().trace_id
    assert trace_of(received.headers) == trace_id

    producer = one(otel.spans(kind=SpanKind.PRODUCER))
    assert producer.name == "send testapp.Pizza:created"
    assert producer.parent.span_id == request.get_span_context().span_id
    assert producer.attributes["messaging.operation.type"] == "send"
    assert producer.attributes["messaging.message.id"] == received.json()["EventId"]
    assert producer.attributes["signalhooks.attempts"] == 1
    client = one(otel.children(producer, otel.spans(kind=SpanKind.CLIENT)))
    assert client.name == "POST"
    assert dict(client.attributes) == {
        "http.request.method": "POST",
        "server.address": "127.0.0.1",
        "server.port": receiver.port,
        "url.full": receiver.url("/traced"),
        "http.response.status_code": 200,
    }
    server = one(otel.spans(name="receive /traced"))
    assert server.parent.span_id == client.context.span_id
    assert {s.context.trace_id for s in (producer, client, server)} == {trace_id}


def test_context_is_captured_at_signal_time_not_at_commit(otel, receiver, connect):
    connect(post_save, HTTPSignalHook(receiver.url("/atomic")), Pizza)
    # The span ends first; the commit (and the delivery) happen outside any span.
    with transaction.atomic(), otel.tracer.start_as_current_span("request") as request:
        Pizza.objects.create(name="Later")
    [received] = receiver.wait_for(1, "/atomic")
    assert trace_of(received.headers) == request.get_span_context().trace_id


def test_retries_are_client_spans_of_one_delivery(otel, receiver, connect):
    receiver.behave("/flaky", statuses=[503, 200])
    connect(post_save, HTTPSignalHook(receiver.url("/flaky")), Pizza)
    with otel.tracer.start_as_current_span("request") as request:
        Pizza.objects.create(name="Twice")
    first, second = receiver.wait_for(2, "/flaky")
    assert signalhooks.flush(10)
    assert (
        trace_of(first.headers) == trace_of(second.headers) == request.get_span_context().trace_id
    )
    assert first.headers["traceparent"] != second.headers["traceparent"]  # one span each
    producer = one(otel.spans(kind=SpanKind.PRODUCER))
    assert producer.status.status_code == StatusCode.UNSET
    assert producer.attributes["signalhooks.attempts"] == 2
    failed, ok = sorted(otel.children(producer, otel.spans()), key=lambda s: s.start_time)
    assert failed.attributes["http.response.status_code"] == 503
    assert failed.attributes["error.type"] == "503"
    assert failed.status.status_code == StatusCode.ERROR
    assert "http.request.resend_count" not in failed.attributes
    assert ok.attributes["http.request.resend_count"] == 1
    assert "error.type" not in ok.attributes


def test_a_failed_delivery_ends_its_span_in_error(otel, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "MAX_ATTEMPTS": 2}
    url = f"http://127.0.0.1:{free_port()}/refused"
    connect(post_save, HTTPSignalHook(url), Pizza)
    Pizza.objects.create(name="Nobody home")
    assert signalhooks.flush(10)
    producer = one(otel.spans(kind=SpanKind.PRODUCER))
    assert producer.parent is None  # no request span: the delivery starts a trace
    assert producer.status.status_code == StatusCode.ERROR
    assert producer.attributes["signalhooks.attempts"] == 2
    attempts = otel.children(producer, otel.spans(kind=SpanKind.CLIENT))
    assert len(attempts) == 2
    for span in attempts:
        assert "http.response.status_code" not in span.attributes
        assert span.attributes["error.type"].startswith("aiohttp.")  # the cause's class
        assert span.status.status_code == StatusCode.ERROR


def test_url_full_has_no_credentials_or_query_secrets(otel, receiver, connect):
    url = receiver.url("/secret").replace("http://", "http://user:hunter2@") + "?token=s3cr3t&x="
    connect(post_save, HTTPSignalHook(url), Pizza)
    Pizza.objects.create(name="Shh")
    [received] = receiver.wait_for(1, "/secret")
    assert received.query == {"token": "s3cr3t", "x": ""}  # the request itself is unchanged
    assert signalhooks.flush(10)
    client = one(otel.spans(kind=SpanKind.CLIENT))
    full = client.attributes["url.full"]
    assert full == (
        f"http://REDACTED:REDACTED@127.0.0.1:{receiver.port}/secret?token=REDACTED&x=REDACTED"
    )
    spans_text = json.dumps([s.to_json() for s in otel.spans()])
    assert "hunter2" not in spans_text and "s3cr3t" not in spans_text


def test_opentelemetry_setting_off_means_no_spans_and_no_headers(otel, receiver, connect):
    connect(post_save, HTTPSignalHook(receiver.url("/off")), Pizza)
    with override_settings(SIGNALHOOKS={"OPENTELEMETRY": False}):
        with otel.tracer.start_as_current_span("request"):
            Pizza.objects.create(name="Dark")
        [received] = receiver.wait_for(1, "/off")
        assert signalhooks.flush(10)
    assert "traceparent" not in received.headers
    assert otel.spans(kind=SpanKind.PRODUCER) == []
    assert otel.spans(kind=SpanKind.CLIENT) == []


# HTTP_TRANSPORT="httpx" takes its fastest path here, httpx2 on aiohttp's pool: the
# aiohttp instrumentation sees those requests too.
@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_no_duplicate_client_span_with_the_aiohttp_instrumentation(
    otel, receiver, connect, transport
):
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument()
    try:
        # A new engine: the instrumentation only sees sessions created after it.
        with fresh_engine(HTTP_TRANSPORT=transport):
            connect(post_save, HTTPSignalHook(receiver.url("/instrumented")), Pizza)
            with otel.tracer.start_as_current_span("request"):
                Pizza.objects.create(name="Once")
            [received] = receiver.wait_for(1, "/instrumented")
            assert signalhooks.flush(10)
            ours = one(otel.spans(kind=SpanKind.CLIENT))
            assert ours.instrumentation_scope.name == "signalhooks"
            server = one(otel.spans(name="receive /instrumented"))
            assert server.parent.span_id == ours.context.span_id
            # Control: with signalhooks' tracing off, the instrumentation does trace it.
            otel.clear()
            with override_settings(
                SIGNALHOOKS={"OPENTELEMETRY": False, "HTTP_TRANSPORT": transport}
            ):
                Pizza.objects.create(name="By them")
                receiver.wait_for(2, "/instrumented")
                assert signalhooks.flush(10)
            theirs = one(otel.spans(kind=SpanKind.CLIENT))
            assert theirs.instrumentation_scope.name != "signalhooks"
    finally:
        instrumentor.uninstrument()
    assert received.headers["traceparent"].split("-")[2] == format(ours.context.span_id, "016x")


def test_no_duplicate_client_span_with_the_httpx_instrumentation(
    otel, receiver, connect, monkeypatch
):
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    # The instrumentation wraps httpx's own transport: the path that sends with it.
    use_path(monkeypatch, "httpx-sharded")
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument()
    try:
        with fresh_engine(HTTP_TRANSPORT="httpx"):
            connect(post_save, HTTPSignalHook(receiver.url("/httpx")), Pizza)
            with otel.tracer.start_as_current_span("request") as request:
                Pizza.objects.create(name="Httpx")
            [received] = receiver.wait_for(1, "/httpx")
            assert signalhooks.flush(10)
            ours = one(otel.spans(kind=SpanKind.CLIENT))
            assert ours.instrumentation_scope.name == "signalhooks"
            otel.clear()
            with override_settings(SIGNALHOOKS={"OPENTELEMETRY": False, "HTTP_TRANSPORT": "httpx"}):
                Pizza.objects.create(name="By them")
                receiver.wait_for(2, "/httpx")
                assert signalhooks.flush(10)
            assert one(otel.spans(kind=SpanKind.CLIENT)).instrumentation_scope.name != "signalhooks"
    finally:
        instrumentor.uninstrument()
    assert trace_of(received.headers) == request.get_span_context().trace_id


def test_sns_message_carries_traceparent_and_has_one_publish_span(otel, sns_queue, connect):
    from opentelemetry.instrumentation.botocore import AiobotocoreInstrumentor

    instrumentor = AiobotocoreInstrumentor()
    instrumentor.instrument()
    try:
        hook = SNSSignalHook(sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url)
        connect(post_save, hook, Pizza)
        with otel.tracer.start_as_current_span("request") as request:
            Pizza.objects.create(name="Published")
        [envelope] = drain(sns_queue.queue_url, 1)
        assert signalhooks.flush(10)
        spans = otel.spans()
        # Control: with signalhooks' tracing off, botocore's instrumentation traces it.
        otel.clear()
        with override_settings(SIGNALHOOKS={"OPENTELEMETRY": False}):
            Pizza.objects.create(name="By them")
            drain(sns_queue.queue_url, 1)
            assert signalhooks.flush(10)
        assert [s for s in otel.spans() if s.attributes.get("rpc.service") == "SNS"]
    finally:
        instrumentor.uninstrument()
    assert [s for s in spans if s.attributes.get("rpc.service") == "SNS"] == []
    attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
    assert len(attributes) == 6  # the five of the seed format, and traceparent
    producer = one([s for s in spans if s.kind == SpanKind.PRODUCER])
    assert producer.attributes["messaging.system"] == "aws.sns"
    # The message carries the delivery span's context: the message's creation context.
    assert trace_of(attributes) == request.get_span_context().trace_id
    assert attributes["traceparent"].split("-")[2] == format(producer.context.span_id, "016x")
    publish = one(otel.children(producer, spans))  # botocore's span is suppressed
    assert publish.kind == SpanKind.CLIENT
    assert publish.name == f"Publish {sns_queue.topic_arn.rpartition(':')[2]}"
    assert publish.attributes["messaging.system"] == "aws.sns"
    assert publish.attributes["messaging.operation.type"] == "send"
    assert publish.attributes["messaging.destination.name"] == sns_queue.topic_arn
    assert publish.attributes["messaging.message.id"] == envelope["MessageId"]


def test_publish_batch_span_links_every_delivery(otel, sns_queue, connect):
    hook = SNSSignalHook(
        sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url, event="b", max_in_flight=1
    )
    signal = Signal()
    connect(signal, hook)
    with otel.tracer.start_as_current_span("request"):
        for n in range(12):
            signal.send(sender=None, n=n)
    assert signalhooks.flush(10)
    drain(sns_queue.queue_url, 12)
    producers = otel.spans(kind=SpanKind.PRODUCER)
    assert len(producers) == 12
    batches = [s for s in otel.spans(kind=SpanKind.CLIENT) if s.name.startswith("PublishBatch")]
    assert batches, "the lane should have coalesced some events into a PublishBatch"
    for batch in batches:
        count = batch.attributes["messaging.batch.message_count"]
        assert count == len(batch.links) > 1
        assert batch.parent is None
        linked = {link.context.span_id for link in batch.links}
        assert linked <= {p.context.span_id for p in producers}


def test_trace_context_is_left_out_rather_than_exceed_ten_attributes(
    otel, sns_queue, connect, caplog
):
    class Crowded(SNSSignalHook):
        def get_sns_msg_attributes(self, instance=None, created=None):
            return {f"A{i}": {"DataType": "String", "StringValue": "x"} for i in range(10)}

    connect(post_save, Crowded(sns_queue.topic_arn, endpoint_url=sns_queue.endpoint_url), Pizza)
    with caplog.at_level(logging.WARNING, "signalhooks"):
        with otel.tracer.start_as_current_span("request"):
            Pizza.objects.create(name="Full")
        [envelope] = drain(sns_queue.queue_url, 1)
    assert set(envelope["MessageAttributes"]) == {f"A{i}" for i in range(10)}
    assert any("traceparent" in r.getMessage() for r in caplog.records)
    assert signalhooks.flush(10)
    assert one(otel.spans(kind=SpanKind.PRODUCER)).status.status_code == StatusCode.UNSET


def test_delivery_metrics_by_outcome_and_target(otel, receiver, connect):
    receiver.behave("/m-bad", statuses=[400])
    ok_hook = HTTPSignalHook(receiver.url("/m-ok"))
    bad_hook = HTTPSignalHook(receiver.url("/m-bad"))
    before = {
        (p.attributes["signalhooks.target"], p.attributes["signalhooks.outcome"]): p.value
        for p in otel.points("signalhooks.deliveries")
    }
    connect(post_save, ok_hook, Pizza)
    connect(post_save, bad_hook, Pizza)
    Pizza.objects.create(name="Counted")
    Pizza.objects.create(name="Twice")
    assert signalhooks.flush(10)
    counts = {
        (p.attributes["signalhooks.target"], p.attributes["signalhooks.outcome"]): p.value
        for p in otel.points("signalhooks.deliveries")
    }
    ok_key, bad_key = (ok_hook.target.name, "delivered"), (bad_hook.target.name, "failed")
    assert counts[ok_key] - before.get(ok_key, 0) == 2
    assert counts[bad_key] - before.get(bad_key, 0) == 2
    durations = {
        p.attributes["signalhooks.target"]: p for p in otel.points("signalhooks.delivery.duration")
    }
    assert durations[ok_hook.target.name].count >= 2
    assert 0 < durations[ok_hook.target.name].sum < 10
    stats = signalhooks.stats()
    for name, key in (
        ("signalhooks.pending", "pending"),
        ("signalhooks.accepted", "accepted"),
        ("signalhooks.retries", "retried"),
        ("signalhooks.drops", "dropped"),
    ):
        [point] = otel.points(name)
        assert point.value == stats[key], name
