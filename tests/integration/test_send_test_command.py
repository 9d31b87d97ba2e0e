"""manage.py signalhooks_send_test: list hooks, fire a sample event at a hook or at one stored
Endpoint, report the outcome."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.signals import post_save

from signalhooks.hooks import EndpointsHook, HTTPSignalHook
from tests.endpoint_support import endpoint, endpoint_settings, path_of, verify  # noqa: F401
from tests.testapp.models import Pizza


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("signalhooks_send_test", *args, stdout=out, no_color=True)
    return out.getvalue()


@pytest.fixture
def path() -> str:
    """A path no other test (or earlier hook in this process) uses."""
    return f"/send-test-{uuid.uuid4().hex[:10]}"


def test_sends_sample_event_and_prints_outcome(http, connect, path):
    http.behave(path, body=b'{"received": true}')
    connect(post_save, HTTPSignalHook(http.url(path) + "?token=s3cret"), Pizza)
    out = run(path)
    [request] = http.requests(path)
    body = request.json()
    assert body["Event"] == "signalhooks.test"
    assert body["Data"] == {"message": "Test event from manage.py signalhooks_send_test"}
    assert request.query == {"token": "s3cret"}
    assert f"to POST {http.url(path)} ..." in out
    assert re.search(r"outcome:\s+delivered", out)
    assert re.search(r"status:\s+200", out) and re.search(r"attempts:\s+1\n", out)
    assert re.search(r"latency:\s+\d+\.\d ms", out)
    assert '{"received": true}' in out
    assert "s3cret" not in out  # query strings often carry tokens


def test_failure_exits_non_zero_with_the_error(http, connect, path):
    http.behave(path, statuses=[404], body=b"no such hook")
    connect(post_save, HTTPSignalHook(http.url(path)), Pizza)
    out = io.StringIO()
    with pytest.raises(CommandError, match="delivery failed: HTTP 404"):
        call_command("signalhooks_send_test", path, "--event", "x.y", stdout=out)
    assert re.search(r"outcome:\s+FAILED", out.getvalue())
    assert "no such hook" in out.getvalue()
    assert http.requests(path)[0].json()["Event"] == "x.y"


def test_list_shows_index_and_connections_then_index_selects(http, connect, path):
    connect(post_save, HTTPSignalHook(http.url(path)), Pizza)
    listing = run("--list")
    [index] = re.findall(rf"^\[(\d+)\] HTTPSignalHook POST \S+{path}$", listing, re.M)
    after = listing.split(path, 1)[1].splitlines()[1]
    assert after.strip() == "post_save from testapp.Pizza"
    run(index, "--message", "by index")
    assert http.requests(path)[0].json()["Data"] == {"message": "by index"}


def test_unconnected_hook_is_flagged_in_list(http, path):
    HTTPSignalHook(http.url(path))
    listing = run("--list")
    assert listing.split(path, 1)[1].splitlines()[1].strip().startswith("(connected to no signal")


def test_selection_errors_are_clear(http, path):
    HTTPSignalHook(http.url(path + "/a"))
    HTTPSignalHook(http.url(path + "/b"))
    with pytest.raises(CommandError, match="2 hooks match"):
        run(path)
    with pytest.raises(CommandError, match="no hook matches"):
        run(path + "/c")
    with pytest.raises(CommandError, match=r"no hook \[100000\]"):
        run("100000")
    with pytest.raises(CommandError, match="name one by index"):
        run()
    assert http.requests() == []


def test_timeout_is_reported(http, connect, path):
    http.behave(path, delay=1.0)
    connect(post_save, HTTPSignalHook(http.url(path)), Pizza)
    with pytest.raises(CommandError, match=r"no final outcome within 0\.2s"):
        run(path, "--timeout", "0.2")


# -- one stored Endpoint: --endpoint ID ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("endpoint_settings")
def test_endpoint_gets_a_signed_test_event_and_the_outcome_is_printed(http):
    ep = endpoint(http, "send-test-endpoint", headers={"X-Shop": "pizza"})
    http.behave(path_of(ep), body=b'{"thanks": true}')
    out = run("--endpoint", str(ep.pk), "--message", "hello")
    [request] = http.requests(path_of(ep))
    payload = verify(ep.secret, request)  # signed with the endpoint's secret
    assert payload["Event"] == "signalhooks.test"
    assert payload["Data"] == {"message": "hello", "endpoint": ep.pk}
    assert request.headers["x-shop"] == "pizza"
    assert f"Sending signalhooks.test to {ep} ..." in out
    assert re.search(r"outcome:\s+delivered", out) and re.search(r"status:\s+200", out)
    assert re.search(r"latency:\s+\d+\.\d ms", out) and re.search(r"attempts:\s+1\n", out)
    assert '{"thanks": true}' in out


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("endpoint_settings")
def test_endpoint_failure_exits_non_zero_after_one_attempt(http):
    ep = endpoint(http, "send-test-failing", is_active=False)  # sent even when disabled
    http.behave(path_of(ep), statuses=[503], body=b"down for maintenance")
    out = io.StringIO()
    with pytest.raises(CommandError, match="delivery failed: HTTP 503"):
        call_command("signalhooks_send_test", "--endpoint", str(ep.pk), stdout=out)
    assert re.search(r"outcome:\s+FAILED", out.getvalue())
    assert "down for maintenance" in out.getvalue()
    assert len(http.requests(path_of(ep))) == 1  # one attempt, no retry


@pytest.mark.django_db(transaction=True)
def test_a_missing_endpoint_id_is_a_command_error(http):
    with pytest.raises(CommandError, match="no Endpoint with id 987654"):
        run("--endpoint", "987654")
    with pytest.raises(CommandError, match="give it alone"):
        run("--endpoint", "1", "--event", "x.y")
    assert http.requests() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("endpoint_settings")
def test_an_endpoints_hook_cannot_be_sent_to_and_says_why(http, connect):
    hook = connect(post_save, EndpointsHook(durable=False), Pizza)
    listing = run("--list")
    # Other tests' EndpointsHooks may still exist: each is refused the same way.
    index, *_ = re.findall(
        r"^\[(\d+)\] EndpointsHook endpoints \(the stored endpoints", listing, re.M
    )
    with pytest.raises(CommandError, match=r"not to one target of its own.*--endpoint ID"):
        run(index)
    assert hook.target.name == "endpoints" and http.requests() == []
