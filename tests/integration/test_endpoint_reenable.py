"""Enabling an endpoint again, by any route, starts its failure history afresh.

Otherwise the next failure would find the old ``failing_since`` (days ago, past
``ENDPOINT_DISABLE_AFTER``) and disable the endpoint again at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from signalhooks.endpoints.health import writer
from signalhooks.endpoints.index import endpoint_index
from signalhooks.models import Endpoint
from signalhooks.outcome.results import Attempt
from tests.endpoint_support import endpoint_settings  # noqa: F401

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings"),
    pytest.mark.django_db(transaction=True),
]
LAST_WEEK = timezone.now() - timedelta(days=7)
REASON = "every delivery failed since last week"


def _disabled(url: str = "https://hooks.example.com/x") -> Endpoint:
    ep = Endpoint.objects.create(url=url, failing_since=LAST_WEEK)
    ep.disable(REASON)
    return Endpoint.objects.get(pk=ep.pk)


def _fresh(ep: Endpoint) -> tuple[bool, str, object]:
    ep.refresh_from_db()
    return ep.is_active, ep.disabled_reason, ep.failing_since


@pytest.mark.parametrize(
    "route",
    [
        "enable",
        "save",
        "save_update_fields",
        "queryset_update",
    ],
)
def test_every_route_resets_the_reason_and_the_failure_history(route):
    ep = _disabled()
    assert _fresh(ep) == (False, REASON, LAST_WEEK)
    if route == "enable":
        ep.enable()
    elif route == "save":
        ep.is_active = True
        ep.save()
    elif route == "save_update_fields":
        ep.is_active = True
        ep.save(update_fields=["is_active"])
    else:
        assert Endpoint.objects.filter(pk=ep.pk).update(is_active=True) == 1
    assert _fresh(ep) == (True, "", None)


def test_saving_an_active_failing_endpoint_keeps_its_failure_history():
    ep = Endpoint.objects.create(url="https://hooks.example.com/y", failing_since=LAST_WEEK)
    ep = Endpoint.objects.get(pk=ep.pk)
    ep.description = "edited while failing"
    ep.save()
    Endpoint.objects.filter(pk=ep.pk).update(is_active=True)  # active already: unchanged
    assert _fresh(ep) == (True, "", LAST_WEEK)


def test_this_process_forgets_the_failures_of_an_endpoint_enabled_again():
    ep = _disabled()
    state = endpoint_index.current().by_id[ep.pk].state  # type: ignore[union-attr]
    assert state.blocked is not None and state.failing_since == LAST_WEEK.timestamp()
    ep.enable()
    assert state.blocked is None and state.failing_since is None


def test_a_stale_failure_history_elsewhere_does_not_disable_it_again():
    """Another process still holds last week's failing_since when the endpoint, enabled
    again here, fails there: the database has the last word before disabling."""
    ep = Endpoint.objects.create(url="https://hooks.example.com/z")
    state = endpoint_index.current().by_id[ep.pk].state  # type: ignore[union-attr]
    state.failing_since = LAST_WEEK.timestamp()  # what the other process still believes
    state.note([Attempt(ok=False, retryable=True, status=503)])
    writer.write_now()
    active, reason, since = _fresh(ep)
    assert (active, reason) == (True, "")
    assert since is not None and timezone.now() - since < timedelta(minutes=1)
    # With the database agreeing that it has failed for a week, it is disabled.
    Endpoint.objects.filter(pk=ep.pk).update(failing_since=LAST_WEEK)
    state.failing_since = LAST_WEEK.timestamp()
    state.note([Attempt(ok=False, retryable=True, status=503)])
    writer.write_now()
    assert _fresh(ep)[0] is False
