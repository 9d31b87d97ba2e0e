"""An endpoint's own timeout and attempts (SQLite, real receivers): validated like the hook
options, applied to every attempt, shown and edited in the admin."""

from __future__ import annotations

import math

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save

import signalhooks
from signalhooks.endpoints.admin import EndpointAdmin
from signalhooks.endpoints.index import endpoint_index
from signalhooks.engine.retry import durable_max_attempts
from signalhooks.exceptions import PayloadError
from signalhooks.hooks import EndpointsHook, HTTPSignalHook
from signalhooks.models import Endpoint
from tests.endpoint_support import endpoint, endpoint_settings, path_of  # noqa: F401
from tests.helpers import outcomes
from tests.outbox_support import retire_durable_hooks  # noqa: F401
from tests.testapp.models import Pizza

pytestmark = [
    pytest.mark.usefixtures("endpoint_settings", "retire_durable_hooks"),
    pytest.mark.django_db(transaction=True),
]
URL = "https://hooks.example.com/x"


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timeout", 0, "timeout must be a finite number > 0, not 0.0"),
        ("timeout", -1.5, "timeout must be a finite number > 0, not -1.5"),
        ("timeout", math.nan, "timeout must be a finite number > 0, not nan"),
        ("timeout", math.inf, "timeout must be a finite number > 0, not inf"),
        ("timeout", "soon", "“soon” value must be a float."),
        ("max_attempts", 0, "max_attempts must be an int >= 1, not 0"),
        ("max_attempts", -2, "max_attempts must be an int >= 1, not -2"),
        ("max_attempts", "twice", "“twice” value must be an integer."),
    ],
)
def test_full_clean_names_the_field_and_the_bad_value(field, value, message):
    with pytest.raises(ValidationError) as bad:
        Endpoint(url=URL, **{field: value}).full_clean()
    assert message in bad.value.message_dict[field]
    assert set(bad.value.message_dict) == {field}


def test_full_clean_accepts_numbers_in_range_and_empty():
    Endpoint(url=URL, timeout=0.25, max_attempts=1).full_clean()
    Endpoint(url=URL, timeout=30, max_attempts=12).full_clean()
    Endpoint(url=URL, timeout=None, max_attempts=None).full_clean()


def test_bad_numbers_saved_without_full_clean_are_skipped_with_the_reason(http, connect):
    connect(post_save, EndpointsHook(durable=False), Pizza)
    bad = endpoint(http, "bad")
    Endpoint.objects.filter(pk=bad.pk).update(timeout=0.0)  # no validation on update()
    good = endpoint(http, "good", timeout=2.5, max_attempts=3)
    Pizza.objects.create(name="only to the good one")
    assert signalhooks.flush(10)
    assert len(http.requests(path_of(good))) == 1 and http.requests(path_of(bad)) == []
    with pytest.raises(PayloadError, match=f"endpoint {bad.pk} cannot be sent to: .*timeout"):
        endpoint_index.target_for(bad.pk)


# -- delivery ---------------------------------------------------------------------------


def test_timeout_applies_per_endpoint_and_a_change_is_applied(http, connect):
    hook = connect(post_save, EndpointsHook(durable=False), Pizza)
    hasty = endpoint(http, "hasty", timeout=0.2, max_attempts=1)
    patient = endpoint(http, "patient")  # SIGNALHOOKS["TIMEOUT"]: 5 s in the tests
    for ep in (hasty, patient):
        http.behave(path_of(ep), delay=0.8)

    def outcome_of(ep: Endpoint, results) -> tuple[bool, str | None]:
        [result] = [r for r in results if r.endpoint_id == ep.pk]
        return result.ok, result.error

    with outcomes() as seen:
        Pizza.objects.create(name="slow answers")
        first = seen.wait(hook, 2)
        assert outcome_of(hasty, first) == (False, "timed out after 0.2s")
        assert outcome_of(patient, first) == (True, None)

        hasty.timeout = 3
        hasty.save()  # a new target, with the new timeout
        Pizza.objects.create(name="patient now")
        assert outcome_of(hasty, seen.wait(hook, 4)[2:]) == (True, None)


def test_in_process_attempts_per_endpoint(http, connect, settings):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "MAX_ATTEMPTS": 4}
    connect(post_save, EndpointsHook(durable=False), Pizza)
    twice = endpoint(http, "twice", max_attempts=2)
    default = endpoint(http, "default")
    for ep in (twice, default):
        http.behave(path_of(ep), statuses=[503])
    Pizza.objects.create(name="never accepted")
    assert signalhooks.flush(10)
    assert len(http.requests(path_of(twice))) == 2
    assert len(http.requests(path_of(default))) == 4  # MAX_ATTEMPTS


def test_only_an_endpoints_max_attempts_ends_the_durable_schedule(http):
    ep = endpoint(http, "capped", max_attempts=2)
    endpoint_index.invalidate()
    assert durable_max_attempts(endpoint_index.target_for(ep.pk)) == 2
    # A code hook's max_attempts counts its in-process attempts only (as documented).
    hook = HTTPSignalHook(http.url("/code"), durable=True, max_attempts=2)
    assert durable_max_attempts(hook.target) is None


# -- the admin ---------------------------------------------------------------------------


def test_admin_shows_and_edits_timeout_and_attempts(rf):
    request = rf.get("/")
    request.user = User.objects.get_or_create(username="admin", is_superuser=True)[0]
    model_admin = EndpointAdmin(Endpoint, AdminSite())
    form_class = model_admin.get_form(request)
    data = {"url": URL, "event_types": "", "headers": "{}", "is_active": "on"}
    data["payload_format"] = "signalhooks"
    form = form_class(data={**data, "timeout": "0", "max_attempts": "0"})
    assert not form.is_valid()
    assert form.errors["timeout"] == ["timeout must be a finite number > 0, not 0.0"]
    assert "max_attempts must be an int >= 1, not 0" in form.errors["max_attempts"]
    form = form_class(data={**data, "timeout": "2.5", "max_attempts": "3"})
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.timeout, saved.max_attempts) == (2.5, 3)
    shown = [
        name
        for _, options in model_admin.get_fieldsets(request, saved)
        for name in options["fields"]
    ]
    assert {"timeout", "max_attempts"} <= set(shown)
    change = form_class(instance=saved)
    assert 'value="2.5"' in str(change["timeout"]) and 'value="3"' in str(change["max_attempts"])
