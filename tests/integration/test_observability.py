"""Counters (signalhooks.stats) and the one structured log line per final outcome."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.conf import settings
from django.db.models.signals import post_save
from django.test import override_settings

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from signalhooks.testing import reset_engine
from tests.testapp.models import Pizza

COUNTERS = ("accepted", "delivered", "failed", "dropped", "retried", "pending")


def delta(before: dict[str, int]) -> dict[str, int]:
    after = signalhooks.stats()
    return {key: after[key] - before[key] for key in COUNTERS if key != "pending"} | {
        "pending": after["pending"]
    }


def outcome_records(caplog: pytest.LogCaptureFixture, path: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if path in getattr(r, "signalhooks", {}).get("target", "")]


@pytest.fixture
def path() -> str:
    return f"/obs-{uuid.uuid4().hex[:8]}"


@pytest.mark.django_db(transaction=True)
def test_stats_count_delivered_failed_retried_and_pending(http, connect, path):
    assert signalhooks.flush(10)
    assert set(COUNTERS) <= set(signalhooks.stats())
    before = signalhooks.stats()
    assert before["pending"] == 0
    http.behave(path + "/ok", delay=0.3)
    http.behave(path + "/bad", statuses=[400])
    http.behave(path + "/flaky", statuses=[503, 200])
    for suffix in ("/ok", "/bad", "/flaky"):
        connect(post_save, HTTPSignalHook(http.url(path + suffix)), Pizza)
    Pizza.objects.create(name="Counted")
    http.wait_for(1, path + "/ok")  # the slow one is in flight, so still pending
    assert signalhooks.stats()["pending"] >= 1
    assert signalhooks.flush(10)
    assert delta(before) == {
        "accepted": 3,
        "delivered": 2,
        "failed": 1,
        "dropped": 0,
        "retried": 1,
        "pending": 0,
    }


@pytest.mark.django_db(transaction=True)
def test_stats_count_drops_when_the_queue_is_full(http, connect, path, caplog):
    http.behave(path, delay=0.5)
    connect(post_save, HTTPSignalHook(http.url(path)), Pizza)
    assert signalhooks.flush(10)
    small = {**settings.SIGNALHOOKS, "MAX_QUEUE": 2}
    try:
        with override_settings(SIGNALHOOKS=small), caplog.at_level(logging.WARNING, "signalhooks"):
            reset_engine()  # the next delivery starts an engine with MAX_QUEUE=2
            before = signalhooks.stats()
            for n in range(3):
                Pizza.objects.create(name=f"queued {n}")
            assert delta(before) == {
                "accepted": 3,
                "delivered": 0,
                "failed": 1,
                "dropped": 1,
                "retried": 0,
                "pending": 2,
            }
            assert signalhooks.flush(10)
            assert delta(before)["delivered"] == 2 and delta(before)["pending"] == 0
    finally:
        reset_engine()  # back to the suite's settings
    assert any("queue full (MAX_QUEUE=2)" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_one_structured_line_per_final_outcome_without_secrets(http, connect, path, caplog):
    http.behave(path, statuses=[503, 503, 200])
    url = http.url(path).replace("http://", "http://user:pa55word@") + "?token=s3cret"
    connect(post_save, HTTPSignalHook(url), Pizza)
    with caplog.at_level(logging.INFO, "signalhooks"):
        Pizza.objects.create(name="Logged")
        assert signalhooks.flush(10)
    [record] = outcome_records(caplog, path)  # three attempts, one line
    assert record.name == "signalhooks" and record.levelno == logging.INFO
    fields = record.signalhooks
    assert fields["ok"] is True and fields["status"] == 200 and fields["attempts"] == 3
    assert fields["event"] == "testapp.Pizza:created" and fields["event_id"]
    assert fields["target"] == f"POST {http.url(path)}"
    assert fields["duration"] > 0 and fields["error"] is None
    text = record.getMessage() + repr(fields)
    assert "pa55word" not in text and "s3cret" not in text
    assert fields["event_id"] in record.getMessage()


@pytest.mark.django_db(transaction=True)
def test_failure_is_logged_as_warning_with_error(http, connect, path, caplog):
    http.behave(path, statuses=[410])
    connect(post_save, HTTPSignalHook(http.url(path)), Pizza)
    with caplog.at_level(logging.INFO, "signalhooks"):
        Pizza.objects.create(name="Gone")
        assert signalhooks.flush(10)
    [record] = outcome_records(caplog, path)
    assert record.levelno == logging.WARNING
    assert record.signalhooks["ok"] is False and record.signalhooks["status"] == 410
    assert record.signalhooks["error"].startswith("HTTP 410")
    assert "error=HTTP 410" in record.getMessage()
