"""Issue 5, points 1-2: Standard Webhooks signatures, verified only by the official
``standardwebhooks`` package on what a real local server received."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_save
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import outcomes, unique_path
from tests.support.received import ReceivedRequest
from tests.testapp.models import Pizza


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def verify(secret: str, request: ReceivedRequest) -> Any:
    """What a receiver does: the official verifier on the raw body and headers."""
    return Webhook(secret).verify(request.body, dict(request.headers))


def tampered(body: bytes) -> bytes:
    """The body with one byte changed (an ASCII letter, so it still decodes)."""
    index = body.index(b"Pizza") if b"Pizza" in body else len(body) // 2
    return body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]


@pytest.mark.django_db(transaction=True)
def test_signed_delivery_verifies_and_tampering_fails(http, connect):
    secret = new_secret()
    path = unique_path("signed")
    connect(post_save, HTTPSignalHook(http.url(path), secret=secret), Pizza)
    before = int(time.time())
    Pizza.objects.create(name="Margherita", price="9.00")
    [request] = http.wait_for(1, path)

    payload = verify(secret, request)  # raises WebhookVerificationError if wrong
    assert payload["Event"] == "testapp.Pizza:created"
    assert request.headers["webhook-id"] == payload["EventId"]
    assert before <= int(request.headers["webhook-timestamp"]) <= int(time.time())
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered(request.body), dict(request.headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, dict(request.headers))


def test_several_secrets_sign_with_each_for_rotation(http):
    old, new = new_secret(), new_secret()
    path = unique_path("rotation")
    hook = HTTPSignalHook(http.url(path), secret=[old, new])
    result = asyncio.run(hook.async_receiver(sender=None, order=7))
    assert result.ok, result
    [request] = http.requests(path)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify(old, request)["Data"] == {"order": 7}
    assert verify(new, request)["Data"] == {"order": 7}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, dict(request.headers))


def test_retries_keep_webhook_id_and_sign_each_attempt_afresh(http):
    secret = new_secret()
    path = unique_path("signed-retry")
    http.behave(path, statuses=[503, 503, 200])
    hook = HTTPSignalHook(http.url(path), secret=secret, max_attempts=3)
    result = asyncio.run(hook.async_receiver(sender=None, n=1))
    assert result.ok and result.attempts == 3, result
    requests = http.requests(path)
    assert len(requests) == 3
    assert {r.headers["webhook-id"] for r in requests} == {result.event_id}
    for request in requests:
        verify(secret, request)


def test_overridden_payload_is_signed_as_sent(http):
    """A 0.1.1-style subclass renders its own body; the signature covers those bytes."""

    class Custom(HTTPSignalHook):
        def get_request_payload(self, instance=None, created=None):
            return {"custom": "body", "ünï": "çødé"}

    secret = new_secret()
    path = unique_path("signed-custom")
    result = asyncio.run(Custom(http.url(path), secret=secret).async_receiver(sender=None))
    assert result.ok, result
    [request] = http.requests(path)
    assert verify(secret, request) == {"custom": "body", "ünï": "çødé"}


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("c2VjcmV0LWtleS1tYXRlcmlhbA==", "must start with 'whsec_'"),
        ("whsec_not*base64!!-secret-material", "not valid base64"),
        ("whsec_", "empty key"),
        (12345, "must be a 'whsec_' string"),
        ([], "non-empty list"),
        (["whsec_c2VjcmV0LWtleS1tYXRlcmlhbA==", "Zm9vYmFyLXNlY3JldA=="], "secret[1]"),
    ],
)
def test_malformed_secret_fails_at_construction_without_echoing_it(secret, problem):
    with pytest.raises(ImproperlyConfigured) as caught:
        HTTPSignalHook("https://example.com/hook", secret=secret)
    message = str(caught.value)
    assert problem in message
    for part in secret if isinstance(secret, list) else [secret]:
        key = str(part).removeprefix("whsec_")
        if key:
            assert key not in message


@pytest.mark.django_db(transaction=True)
def test_secret_never_in_repr_logs_or_results(http, connect, caplog):
    secret = new_secret()
    key = secret.removeprefix("whsec_")
    path = unique_path("signed-fail")
    http.behave(path, statuses=[400])
    hook = HTTPSignalHook(http.url(path), secret=secret, max_attempts=1)
    connect(post_save, hook, Pizza)
    caplog.set_level(logging.DEBUG, logger="signalhooks")
    with outcomes() as seen:
        Pizza.objects.create(name="Diavola", price="11.00")
        [result] = seen.wait(hook)
    assert not result.ok and result.status == 400
    assert signalhooks.flush(10)

    texts = [repr(hook), repr(hook.target), repr(hook.target.signer), str(result), caplog.text]
    assert "failed" in caplog.text  # the failure was logged at all
    for text in texts:
        assert secret not in text and key not in text
