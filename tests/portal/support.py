"""Helpers of the portal tests: customers, their clients, endpoints and attempts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from signalhooks.models import DeliveryAttempt, Endpoint, OutboxDelivery

#: Where tests/portal/urls.py mounts the portal.
PORTAL = "/webhooks/"


def make_user(name: str) -> User:
    return User.objects.create_user(name, f"{name}@example.com", f"{name}-password")


def client_of(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def endpoint_of(owner: Any, url: str = "https://hooks.example.com/in", **fields: Any) -> Endpoint:
    return Endpoint.objects.create(url=url, owner=owner, **fields)


def attempt_of(endpoint: Endpoint, **fields: Any) -> DeliveryAttempt:
    values: dict[str, Any] = {
        "endpoint_id": endpoint.pk,
        "event_id": "msg_1",
        "event_name": "testapp.Pizza:created",
        "target": str(endpoint),
        "ok": True,
        "status": 200,
        "duration": 0.012,
        "request_headers": {"content-type": "application/json"},
        "request_body": '{"type": "testapp.Pizza:created"}',
        "response_body": "ok",
    }
    values.update(fields)
    return DeliveryAttempt.objects.create(**values)


def delivery_of(endpoint: Endpoint, event_id: str, status: str, **fields: Any) -> OutboxDelivery:
    """An outbox row of the endpoint (what success rates count and replays requeue)."""
    return OutboxDelivery.objects.create(
        event_id=event_id,
        event_name="testapp.Pizza:created",
        hook_key="k",
        target=str(endpoint),
        payload="{}",
        status=status,
        endpoint_id=endpoint.pk,
        **fields,
    )
