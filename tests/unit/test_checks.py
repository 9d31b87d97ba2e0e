"""System checks: every id can be triggered, and a correct configuration raises none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.test import override_settings

from signalhooks.hooks import EndpointsHook, HTTPSignalHook, SNSSignalHook
from signalhooks.hooks.wiring import connected_signals, connections
from signalhooks.registry import all_hooks
from tests.httpx_support import block
from tests.testapp.models import Pizza

ARN = "arn:aws:sns:eu-west-1:123456789012:checked-topic"
INSTALLED_WITHOUT_APP = ["django.contrib.contenttypes", "django.contrib.auth", "tests.testapp"]


def ids(messages, obj=None):
    return sorted(m.id for m in messages if obj is None or m.obj is obj)


def signalhooks_ids(**kwargs):
    return [i for i in ids(run_checks(tags=["signalhooks"], **kwargs)) if i.startswith("sig")]


@pytest.fixture
def hook(http, connect) -> Iterator[HTTPSignalHook]:
    """A connected HTTP hook whose target the test may break; repaired afterwards."""
    made = connect(post_save, HTTPSignalHook(http.url("/checked")), Pizza)
    url, method = made.target.url, made.target.method
    yield made
    made.target.url, made.target.method = url, method


def test_valid_configuration_has_no_errors(hook):
    # Hooks of other tests live on in this process, so only settings-wide errors
    # (obj None) and this test's hook are looked at.
    assert [m.id for m in run_checks(tags=["signalhooks"]) if m.obj is None] == []
    assert ids(run_checks(tags=["signalhooks"]), hook) == []
    assert [str(c) for c in connections(hook)] == ["post_save from testapp.Pizza"]


@override_settings(SIGNALHOOKS=["TIMEOUT", 5])
def test_settings_not_a_dict_is_e001():
    [message] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E001"]
    assert "must be a dict, not list" in message.msg and message.hint


@override_settings(SIGNALHOOKS={"TIMEOUTS": 5, "MAX_ATTEMPTS": 3})
def test_unknown_setting_is_e002():
    [message] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E002"]
    assert "'TIMEOUTS'" in message.msg and "TIMEOUT" in message.msg and message.hint
    assert "signalhooks.E003" not in signalhooks_ids()


@override_settings(SIGNALHOOKS={"TIMEOUT": "5", "MAX_ATTEMPTS": 0, "HTTP_TRANSPORT": "curl"})
def test_wrong_types_and_ranges_are_e003():
    messages = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E003"]
    text = " ".join(m.msg for m in messages)
    assert len(messages) == 3
    assert "'TIMEOUT'" in text and "'MAX_ATTEMPTS'" in text and "'HTTP_TRANSPORT'" in text
    assert all("default is" in m.hint for m in messages)


def test_conflicting_settings_are_e003():
    """Rules about several settings together are reported once, not lost per key."""
    conflict = {"HTTP_TRANSPORT": "httpx", "BLOCK_PRIVATE_ADDRESSES": True}
    with override_settings(SIGNALHOOKS=conflict):
        messages = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E003"]
    assert len(messages) == 1 and "BLOCK_PRIVATE_ADDRESSES" in messages[0].msg


def test_httpx_transport_without_any_httpx_package_is_e004(monkeypatch):
    # Every package is installed here; tests.httpx_support.block makes them unimportable,
    # the failure we cannot otherwise produce (tests/integration/test_without_httpx.py
    # sees the same from a process where they cannot be found at all).
    with override_settings(SIGNALHOOKS={"HTTP_TRANSPORT": "httpx"}):
        block(monkeypatch, "httpx", "httpx_aiohttp")
        assert "signalhooks.E004" not in signalhooks_ids()  # httpx2 alone serves
        block(monkeypatch, "httpx2")
        [message] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E004"]
    assert "httpx2 or httpx" in message.msg
    assert "signalhooks[httpx2]" in message.hint and "signalhooks[httpx]" in message.hint


def test_call_command_check_fails_with_id_and_hint():
    with (
        override_settings(SIGNALHOOKS={"RETRY_BACKOF": 1}),
        pytest.raises(SystemCheckError) as raised,
    ):
        call_command("check", "--tag", "signalhooks")
    assert "signalhooks.E002" in str(raised.value) and "HINT:" in str(raised.value)


def test_broken_http_url_is_e005(hook):
    hook.target.url = "ftp://files.example.com/drop"
    [message] = [m for m in run_checks(tags=["signalhooks"]) if m.obj is hook]
    assert message.id == "signalhooks.E005" and "ftp://files.example.com/drop" in message.msg


def test_method_without_body_is_e006(hook):
    hook.target.method = "GET"
    assert ids(run_checks(tags=["signalhooks"]), hook) == ["signalhooks.E006"]


def test_malformed_arn_is_e007(connect):
    sns = connect(post_save, SNSSignalHook(ARN, aws_region="eu-west-1"), Pizza)
    assert ids(run_checks(tags=["signalhooks"]), sns) == []
    sns.target.topic_arn = "arn:aws:sns:eu-west-1:checked-topic"
    try:
        assert ids(run_checks(tags=["signalhooks"]), sns) == ["signalhooks.E007"]
    finally:
        sns.target.topic_arn = ARN


def test_durable_hook_without_app_is_e008(hook, monkeypatch):
    with override_settings(INSTALLED_APPS=INSTALLED_WITHOUT_APP):
        assert ids(run_checks(tags=["signalhooks"]), hook) == []
        monkeypatch.setattr(hook, "durable", True)
        assert ids(run_checks(tags=["signalhooks"]), hook) == ["signalhooks.E008"]
    assert ids(run_checks(tags=["signalhooks"]), hook) == []  # the app is installed again


def test_ordered_hook_that_is_not_durable_is_e013(http, connect, settings):
    ordered = connect(post_save, HTTPSignalHook(http.url("/ordered"), ordered=True), Pizza)
    try:
        assert ids(run_checks(tags=["signalhooks"]), ordered) == ["signalhooks.E016"]
        settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "DURABLE": True}
        assert ids(run_checks(tags=["signalhooks"]), ordered) == []
    finally:
        ordered._order = None  # hooks outlive the test: keep later checks clean


def test_unconnected_hook_is_w001(http):
    lonely = HTTPSignalHook(http.url("/lonely"))
    [message] = [m for m in run_checks(tags=["signalhooks"]) if m.obj is lonely]
    assert message.id == "signalhooks.W001" and message.hint


def test_hook_connected_anywhere_is_not_w001(http):
    # A signal that lives only in this function: found through the slow path, weakly held.
    local_signal = Signal()
    weakly = HTTPSignalHook(http.url("/weak"))
    awaited = HTTPSignalHook(http.url("/awaited"))
    local_signal.connect(weakly)
    local_signal.connect(awaited.async_receiver)
    try:
        messages = run_checks(tags=["signalhooks"])
        assert ids(messages, weakly) == [] and ids(messages, awaited) == []
        assert connected_signals(awaited) == [local_signal]
        [connection] = connections(awaited)
        assert connection.is_async and connection.sender == "any sender"
    finally:
        local_signal.disconnect(weakly)
        local_signal.disconnect(awaited.async_receiver)
    assert ids(run_checks(tags=["signalhooks"]), weakly) == ["signalhooks.W001"]


# All databases: from Django 6.1, the model checks of a run without --database ask every
# database whether it supports JSONField (the Endpoint model has JSON fields).
@pytest.mark.django_db(databases="__all__")
@override_settings(MIGRATION_MODULES={"signalhooks": "tests.checks_outbox_migrations"})
def test_durable_hook_with_unapplied_migrations_is_w002(hook, monkeypatch):
    for other in all_hooks():  # durable hooks of earlier tests live on; set aside for now
        monkeypatch.setattr(other, "durable", False)
        if isinstance(other, EndpointsHook):  # they read the Endpoint table
            monkeypatch.setattr(other, "target_for", None)
    assert "signalhooks.W002" not in ids(run_checks(databases=["default"]))  # nothing durable
    monkeypatch.setattr(hook, "durable", True)
    assert "signalhooks.W002" not in ids(run_checks())  # database checks need --database
    [message] = [m for m in run_checks(databases=["default"]) if m.id == "signalhooks.W002"]
    assert "0001_outbox_check" in message.msg and "migrate signalhooks" in message.hint
    # Recorded inside the test's transaction, which is rolled back afterwards.
    MigrationRecorder(connection).record_applied("signalhooks", "0001_outbox_check")
    assert "signalhooks.W002" not in ids(run_checks(databases=["default"]))


def test_endpoints_hook_without_app_is_e009(connect):
    endpoints = connect(post_save, EndpointsHook(durable=False), Pizza)
    assert ids(run_checks(tags=["signalhooks"]), endpoints) == []
    with override_settings(INSTALLED_APPS=INSTALLED_WITHOUT_APP):
        [message] = [m for m in run_checks(tags=["signalhooks"]) if m.obj is endpoints]
    assert message.id == "signalhooks.E009" and "INSTALLED_APPS" in message.hint


@pytest.mark.django_db
@override_settings(MIGRATION_MODULES={"signalhooks": "tests.checks_outbox_migrations"})
def test_endpoints_hook_with_unapplied_migrations_is_w002(connect, monkeypatch):
    for other in all_hooks():
        monkeypatch.setattr(other, "durable", False)
        if isinstance(other, EndpointsHook):
            monkeypatch.setattr(other, "target_for", None)
    assert "signalhooks.W002" not in ids(run_checks(databases=["default"]))
    connect(post_save, EndpointsHook(durable=False), Pizza)
    [message] = [m for m in run_checks(databases=["default"]) if m.id == "signalhooks.W002"]
    assert "EndpointsHook" in message.msg


def test_endpoint_guard_off_is_w003_with_deploy():
    security = ["security"]  # the tag W003 is registered with, like Django's own
    assert "signalhooks.W003" not in ids(run_checks(tags=security, include_deployment_checks=True))
    with override_settings(SIGNALHOOKS={"ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}):
        assert "signalhooks.W003" not in ids(run_checks(tags=security))  # deployment only
        [message] = [
            m
            for m in run_checks(tags=security, include_deployment_checks=True)
            if m.id == "signalhooks.W003"
        ]
    assert "ENDPOINT_BLOCK_PRIVATE_ADDRESSES" in message.msg and message.hint


# -- Django Tasks mode --------------------------------------------------------------


def _tasks(**signalhooks):
    return override_settings(SIGNALHOOKS={"TASKS_QUEUE": "webhooks", **signalhooks})


def test_a_usable_tasks_backend_has_no_errors(settings):
    settings.DEBUG = True  # ImmediateBackend: fine while developing
    with _tasks(TASKS_BACKEND="immediate"):
        assert [m.id for m in run_checks(tags=["signalhooks"]) if m.obj is None] == []


def test_unknown_tasks_backend_is_an_error():
    with _tasks(TASKS_BACKEND="nowhere"):
        [message] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E011"]
    assert "'nowhere'" in message.msg and "'immediate'" in message.hint


def test_a_queue_the_backend_refuses_is_an_error():
    with _tasks(TASKS_BACKEND="immediate", TASKS_QUEUE="elsewhere"):
        [message] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E012"]
    assert "'elsewhere'" in message.msg and "['webhooks']" in message.msg


def test_a_backend_without_workers_in_production_is_a_warning(settings):
    settings.DEBUG = False
    with _tasks(TASKS_BACKEND="immediate"):
        [message] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.W004"]
    assert "ImmediateBackend" in message.msg and message.level == 30


def test_no_tasks_framework_is_an_error(monkeypatch):
    """Django < 6.0 without django-tasks: made here by hiding both modules (the suite
    installs the backport, and Django 6 brings its own), the one fake in this file."""
    from signalhooks.outbox import enqueue

    monkeypatch.setattr(enqueue, "_api", [None])
    with _tasks(TASKS_BACKEND="immediate"):
        [message] = [m for m in run_checks(tags=["signalhooks"]) if m.id == "signalhooks.E010"]
    assert "django-tasks" in message.msg


def test_tasks_settings_are_validated():
    with _tasks(TASKS_BACKEND=""):
        assert "signalhooks.E003" in signalhooks_ids()
    with _tasks(TASKS_BACKEND=5):
        assert "signalhooks.E003" in signalhooks_ids()
    with override_settings(SIGNALHOOKS={"DURABLE_INLINE": "no"}):
        assert "signalhooks.E003" in signalhooks_ids()
