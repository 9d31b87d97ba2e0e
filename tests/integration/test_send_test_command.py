"""manage.py signalhooks_send_test: list hooks, fire a sample event, report the outcome."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.signals import post_save

from signalhooks.hooks import HTTPSignalHook
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
