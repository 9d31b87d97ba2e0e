"""Metrics of endpoint deliveries: counted under their hook, not per URL, so that a metrics
backend keeps a bounded number of series however many endpoints customers add; the
endpoint id only when the project asks for it (``METRICS_ENDPOINT_ID``)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models.signals import post_save

import signalhooks
from signalhooks.endpoints.probe import send_test_event
from signalhooks.hooks import EndpointsHook
from tests.endpoint_support import endpoint, endpoint_settings, path_of  # noqa: F401
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks"),
    pytest.mark.django_db(transaction=True),
]
METRICS = ("signalhooks.deliveries", "signalhooks.delivery.duration")


def series(otel) -> Counter[tuple[tuple[str, object], ...]]:
    """Final outcomes per attribute set, as the SDK exports them now."""
    return Counter(
        {
            tuple(sorted(p.attributes.items())): p.value
            for p in otel.points("signalhooks.deliveries")
        }
    )


def test_endpoint_deliveries_are_counted_under_their_hook(otel, http, connect):
    connect(post_save, EndpointsHook(), Pizza)  # durable: outcomes recorded by the outbox
    good, bad = endpoint(http, "good"), endpoint(http, "bad")
    http.behave(path_of(bad), statuses=[400])
    before = series(otel)
    Pizza.objects.create(name="counted")
    Pizza.objects.create(name="twice")
    assert signalhooks.flush(10)
    assert send_test_event(good, "a test event").ok  # no hook: counted with the endpoints
    added = series(otel) - before
    assert added == {
        (("signalhooks.outcome", "delivered"), ("signalhooks.target", "endpoints")): 3,
        (("signalhooks.outcome", "failed"), ("signalhooks.target", "endpoints")): 2,
    }
    for name in METRICS:  # the URLs appear nowhere, the histogram's attributes included
        for point in otel.points(name):
            for value in point.attributes.values():
                assert path_of(good) not in str(value) and path_of(bad) not in str(value)


def test_the_endpoint_id_when_the_project_asks_for_it(otel, http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "METRICS_ENDPOINT_ID": True}
    connect(post_save, EndpointsHook(durable=False), Pizza)
    first, second = endpoint(http, "first"), endpoint(http, "second")
    before = series(otel)
    Pizza.objects.create(name="counted per endpoint")
    assert signalhooks.flush(10)
    delivered = (("signalhooks.outcome", "delivered"), ("signalhooks.target", "endpoints"))
    assert series(otel) - before == {
        (("signalhooks.endpoint.id", first.pk), *delivered): 1,
        (("signalhooks.endpoint.id", second.pk), *delivered): 1,
    }
    durations = {
        p.attributes.get("signalhooks.endpoint.id")
        for p in otel.points("signalhooks.delivery.duration")
    }
    assert {first.pk, second.pk} <= durations
