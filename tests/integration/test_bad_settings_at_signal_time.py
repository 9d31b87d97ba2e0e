"""A bad ``SIGNALHOOKS`` value met at signal time (outside ``manage.py check``).

It never raises into ``save()``, ``send()`` or ``asend()``: each hook reports a failed
delivery whose log line names the event (its name, and its id once the dispatch has
begun) and the setting that is wrong. OpenTelemetry, which reads the settings too,
is off until they are valid again.
"""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from django.db.models.signals import post_save
from django.dispatch import Signal

from signalhooks.hooks import EndpointsHook, HTTPSignalHook
from signalhooks.telemetry import state
from tests.endpoint_support import endpoint_settings  # noqa: F401  (a fixture)
from tests.helpers import outcomes
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db(transaction=True)

BAD = {"TIMEOUT": "ten"}
SETTING = "SIGNALHOOKS['TIMEOUT'] must be int or float, not 'ten'"
EVENT_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
order_placed = Signal()


@pytest.fixture(params=["without OpenTelemetry", "with the OpenTelemetry SDK"])
def opentelemetry(request, monkeypatch):
    """Projects without the ``otel`` extra (the API not importable), and with the SDK."""
    if request.param == "without OpenTelemetry":
        monkeypatch.setattr(state, "otel_trace", None)
        monkeypatch.setattr(state, "otel_metrics", None)
    state.reset()
    yield
    state.reset()


def failure_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("failed ")]


@pytest.mark.usefixtures("opentelemetry")
def test_save_reports_the_event_and_the_setting(http, connect, settings, caplog):
    hook = connect(post_save, HTTPSignalHook(http.url("/bad-setting")), Pizza)
    settings.SIGNALHOOKS = BAD
    caplog.set_level(logging.WARNING, logger="signalhooks")
    with outcomes() as seen:
        Pizza.objects.create(name="never sent")  # does not raise
        [result] = seen.wait(hook)
    [line] = failure_lines(caplog)
    assert line.startswith("failed testapp.Pizza:created "), line
    assert SETTING in line and "HTTPSignalHook" in line and "post_save" in line
    assert result.event == "testapp.Pizza:created" and SETTING in (result.error or "")
    assert re.fullmatch(EVENT_ID, result.event_id) and result.event_id in line
    assert http.requests("/bad-setting") == []


def test_custom_signal_send_and_asend_report_the_hooks_event_name(http, connect, settings, caplog):
    hook = connect(order_placed, HTTPSignalHook(http.url("/bad"), event="orders.placed"))
    settings.SIGNALHOOKS = BAD
    caplog.set_level(logging.WARNING, logger="signalhooks")
    with outcomes() as seen:
        order_placed.send(sender=None, order_id=1)  # does not raise
        [result] = seen.wait(hook)
    assert (result.event, result.ok) == ("orders.placed", False) and SETTING in result.error
    awaited = asyncio.run(hook.async_receiver(signal=order_placed, sender=None, order_id=2))
    assert (awaited.event, awaited.ok) == ("orders.placed", False) and SETTING in awaited.error
    lines = failure_lines(caplog)
    assert len(lines) == 2 and all(line.startswith("failed orders.placed ") for line in lines)


@pytest.mark.usefixtures("endpoint_settings")
def test_endpoints_hook_reports_instead_of_raising(connect, settings, caplog):
    hook = connect(post_save, EndpointsHook(durable=False), Pizza)
    settings.SIGNALHOOKS = BAD
    caplog.set_level(logging.WARNING, logger="signalhooks")
    with outcomes() as seen:
        Pizza.objects.create(name="never sent")  # does not raise
        [result] = seen.wait(hook)
    assert result.event == "testapp.Pizza:created" and SETTING in result.error
    [line] = failure_lines(caplog)
    assert line.startswith("failed testapp.Pizza:created ") and SETTING in line
