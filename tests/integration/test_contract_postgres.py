"""The bodies of each format through the durable outbox on PostgreSQL (in process and by the
worker), validated against the catalog; a format switch leaves stored rows as they were."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models.signals import post_save

import signalhooks
from signalhooks.endpoints.models import PAYLOAD_FORMATS
from signalhooks.hooks import EndpointsHook
from signalhooks.models import OutboxDelivery
from tests.contract_support import restore_capture, specimen  # noqa: F401
from tests.endpoint_support import endpoint, endpoint_settings, endpoints_on_pg, path_of  # noqa: F401
from tests.integration.test_contract import checked_data
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Specimen

pytestmark = [
    pytest.mark.usefixtures(
        "endpoint_settings", "retire_durable_hooks", "endpoints_on_pg", "restore_capture"
    ),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "pg"]),
]
rows = OutboxDelivery.objects.using("pg")


@pytest.fixture(autouse=True)
def retried_at_once(settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE_RETRY_SCHEDULE": [0, 0]}


def test_every_format_in_process_and_by_the_worker(http, connect):
    connect(post_save, EndpointsHook(previous_attributes=True), Specimen)
    eps = {fmt: endpoint(http, f"pg-{fmt}", payload_format=fmt) for fmt in PAYLOAD_FORMATS}
    for ep in eps.values():
        http.behave(path_of(ep), statuses=[200, 503, 200])
    made = specimen(using="pg")  # delivered in process
    assert signalhooks.flush(10)  # before the update is: 200, then 503
    made.title, made.lasting = "by the worker", None
    made.save()  # fails in process: the worker sends the row
    assert signalhooks.flush(10)
    assert rows.filter(status="pending").count() == len(eps)
    call_command("signalhooks_worker", "--once", "--database", "pg")
    assert set(rows.values_list("status", flat=True)) == {"delivered"}
    for fmt, ep in eps.items():
        created, failed, by_worker = http.wait_for(3, path_of(ep))
        assert by_worker.body == failed.body
        for request in (created, by_worker):
            data = checked_data(request, fmt, ep.secret)
        if fmt != "signalhooks":
            assert data["previous_attributes"] == {
                "title": "Ünïcode title",
                "lasting": "P1DT02H00M03.000004S",
            }


def test_a_switch_of_format_leaves_stored_rows_as_they_were(http, connect):
    connect(post_save, EndpointsHook(), Specimen)
    ep = endpoint(http, "pg-switch", payload_format="cloudevents")
    http.behave(path_of(ep), statuses=[503, 200])
    specimen(using="pg", title="stored as cloudevents")
    assert signalhooks.flush(10)
    ep.payload_format = "standard"
    ep.save()
    specimen(using="pg", title="sent as standard")
    assert signalhooks.flush(10)
    call_command("signalhooks_worker", "--once", "--database", "pg")
    _, new, stored = http.wait_for(3, path_of(ep))
    assert checked_data(new, "standard", ep.secret)["title"] == "sent as standard"
    assert checked_data(stored, "cloudevents", ep.secret)["title"] == "stored as cloudevents"
