"""Issue 2, point 7: failing targets never raise, never delay others, and are reported."""

from __future__ import annotations

import logging

import pytest
from django.db.models.signals import post_save

import signalhooks
from signalhooks import DeliveryResult
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import outcomes, unique_path
from tests.support.ports import free_port
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db(transaction=True)


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {key: after[key] - before[key] for key in ("delivered", "failed", "retried")}


def test_refused_connection_is_retried_then_reported(http, connect, caplog):
    caplog.set_level(logging.INFO, logger="signalhooks")
    fast = unique_path("fast")
    refused = HTTPSignalHook(request_url=f"http://127.0.0.1:{free_port()}/x", max_attempts=2)
    ok = HTTPSignalHook(request_url=http.url(fast))
    connect(post_save, refused, Pizza)
    connect(post_save, ok, Pizza)
    before = signalhooks.stats()
    with outcomes() as seen:
        Pizza.objects.create(name="refused")
        [failure] = seen.wait(refused)
        [success] = seen.wait(ok)
    assert isinstance(failure, DeliveryResult) and isinstance(success, DeliveryResult)
    assert (failure.ok, failure.attempts, failure.status) == (False, 2, None)
    assert "Connect" in failure.error or "refused" in failure.error.lower(), failure.error
    assert success.ok and success.status == 200
    assert seen.signalled(refused) == [False] and seen.signalled(ok) == [True]
    assert delta(before, signalhooks.stats()) == {"delivered": 1, "failed": 1, "retried": 1}
    warnings = [r for r in caplog.records if r.name == "signalhooks" and r.levelname == "WARNING"]
    assert any(refused.target.name in r.getMessage() for r in warnings)
    infos = [r for r in caplog.records if r.name == "signalhooks" and r.levelname == "INFO"]
    assert any(ok.target.name in r.getMessage() for r in infos)


def test_timeout_fails_the_slow_target_without_delaying_the_fast_one(http, connect):
    slow, fast = unique_path("slow"), unique_path("fast")
    http.behave(slow, delay=2.0)
    slow_hook = HTTPSignalHook(request_url=http.url(slow), timeout=0.2, max_attempts=1)
    fast_hook = HTTPSignalHook(request_url=http.url(fast))
    connect(post_save, slow_hook, Pizza)  # connected first: called first
    connect(post_save, fast_hook, Pizza)
    with outcomes() as seen:
        Pizza.objects.create(name="slow")
        [fast_request] = http.wait_for(1, fast)
        [slow_request] = http.requests(slow)
        # The fast request arrived while the slow target was still sitting on its request.
        assert slow_request.responded_at is None
        assert fast_request.received_at < slow_request.received_at + 0.2
        [result] = seen.wait(slow_hook)
    assert (result.ok, result.attempts) == (False, 1)
    assert result.error == "timed out after 0.2s"
    assert 0.2 <= result.duration < 1.5


def test_5xx_is_retried_until_attempts_are_exhausted(http, connect):
    path = unique_path("500")
    http.behave(path, statuses=[500])
    hook = connect(post_save, HTTPSignalHook(request_url=http.url(path), max_attempts=3), Pizza)
    with outcomes() as seen:
        Pizza.objects.create(name="five hundred")
        [result] = seen.wait(hook)
    assert (result.ok, result.status, result.attempts, result.error) == (False, 500, 3, "HTTP 500")
    assert len(http.requests(path)) == 3


def test_4xx_fails_at_once(http, connect):
    path = unique_path("400")
    http.behave(path, statuses=[400], body=b"bad field")
    hook = connect(post_save, HTTPSignalHook(request_url=http.url(path), max_attempts=5), Pizza)
    with outcomes() as seen:
        Pizza.objects.create(name="four hundred")
        [result] = seen.wait(hook)
    assert signalhooks.flush(5)
    assert (result.ok, result.status, result.attempts) == (False, 400, 1)
    assert result.response == "bad field"
    assert len(http.requests(path)) == 1


def test_redirect_is_a_failure_not_followed(http, connect):
    path = unique_path("302")
    http.behave(path, statuses=[(302, {"Location": http.url("/elsewhere")})])
    hook = connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    with outcomes() as seen:
        Pizza.objects.create(name="moved")
        [result] = seen.wait(hook)
    assert (result.ok, result.status, result.attempts) == (False, 302, 1)
    assert http.requests("/elsewhere") == []


def test_send_robust_with_hooks_connected_returns_without_errors(http, connect):
    paths = unique_path("robust"), unique_path("robust-500")
    http.behave(paths[1], statuses=[500])
    hooks = [
        connect(post_save, HTTPSignalHook(request_url=http.url(paths[0])), Pizza),
        connect(post_save, HTTPSignalHook(request_url=http.url(paths[1]), max_attempts=1), Pizza),
        connect(post_save, HTTPSignalHook(request_url=f"http://127.0.0.1:{free_port()}/"), Pizza),
    ]
    pizza = Pizza.objects.create(name="robust")
    responses = post_save.send_robust(sender=Pizza, instance=pizza, created=False)
    assert [(r, value) for r, value in responses if r in hooks] == [(h, None) for h in hooks]
    assert signalhooks.flush(10)


def test_send_robust_can_log_a_hook_that_raises(caplog):
    # Our hooks do not raise, so this uses a deliberately broken subclass: it proves that
    # when a hook *does* raise (a bug), send_robust's logging of receiver.__qualname__
    # works instead of turning "robust" into an AttributeError.
    class Broken(HTTPSignalHook):
        def __call__(self, signal=None, sender=None, **kwargs):
            raise RuntimeError("bug in a hook")

    hook = Broken(request_url="http://127.0.0.1:1/never")
    post_save.connect(hook, sender=Pizza, weak=False)
    try:
        responses = post_save.send_robust(sender=Pizza, instance=Pizza())
        [error] = [value for receiver, value in responses if receiver is hook]
    finally:
        post_save.disconnect(hook, sender=Pizza)
    assert isinstance(error, RuntimeError)
    assert isinstance(hook.__qualname__, str) and "Broken" in hook.__qualname__
    assert any("bug in a hook" in str(r.exc_info) for r in caplog.records if r.exc_info)
