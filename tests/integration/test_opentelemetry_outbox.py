"""Durable deliveries stay in the trace of the request, even when a worker sends them later."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models.signals import post_save
from opentelemetry.trace import SpanKind

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from signalhooks.outbox.models import OutboxDelivery
from tests.integration.test_opentelemetry import trace_of
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("retire_durable_hooks"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]


def test_worker_delivery_belongs_to_the_request_trace(otel, receiver, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0, 0]}
    receiver.behave("/durable", statuses=[503, 200])
    connect(post_save, HTTPSignalHook(receiver.url("/durable"), durable=True), Pizza)
    with otel.tracer.start_as_current_span("request") as request, transaction.atomic("pg"):
        Pizza.objects.using("pg").create(name="Stored")
    receiver.wait_for(1, "/durable")
    assert signalhooks.flush(10)
    [row] = OutboxDelivery.objects.using("pg").all()
    assert '"trace":{"traceparent":"00-' in row.payload
    assert row.status == "pending"  # the in-process attempt got a 503

    call_command("signalhooks_worker", "--once", "--database", "pg")  # "minutes later"
    first, second = receiver.wait_for(2, "/durable")
    trace_id = request.get_span_context().trace_id
    assert trace_of(first.headers) == trace_of(second.headers) == trace_id
    inline, worker = sorted(otel.spans(kind=SpanKind.PRODUCER), key=lambda s: s.start_time)
    for producer in (inline, worker):  # each a child of the request that saved the row
        assert producer.parent.span_id == request.get_span_context().span_id
    [retry] = otel.children(worker, otel.spans(kind=SpanKind.CLIENT))
    assert retry.attributes["http.request.resend_count"] == 1
    assert OutboxDelivery.objects.using("pg").get().status == "delivered"
