"""Helpers of the endpoint tests: settings, a fresh endpoint index, signature checks.

Receivers in these tests are real servers on 127.0.0.1, which endpoints refuse by
default (``ENDPOINT_BLOCK_PRIVATE_ADDRESSES``): the ``endpoint_settings`` fixture turns
the guard off; the tests of the guard turn it back on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from signalhooks.endpoints.health import writer
from signalhooks.endpoints.index import endpoint_index
from signalhooks.models import Endpoint
from tests.helpers import unique_path
from tests.support.received import ReceivedRequest
from tests.support.recording import RecordingServer


@pytest.fixture
def endpoint_settings(settings: Any) -> Iterator[Any]:
    """Local receivers allowed; the index reloaded before and after the test."""
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
    endpoint_index.invalidate()
    yield settings
    writer.write_now()  # nothing of this test's health is written during the next one
    endpoint_index.invalidate()


@pytest.fixture
def endpoints_on_pg(settings: Any) -> Iterator[None]:
    """The endpoint tables on the ``pg`` alias (PostgreSQL tests), the index reloaded."""
    settings.DATABASE_ROUTERS = ["tests.routers.EndpointsOnPostgres"]
    endpoint_index.invalidate()
    yield
    endpoint_index.invalidate()


def verify(secret: str, request: ReceivedRequest) -> Any:
    """What a receiver does: the official ``standardwebhooks`` verifier."""
    return Webhook(secret).verify(request.body, dict(request.headers))


def endpoint(http: RecordingServer, stem: str, **fields: Any) -> Endpoint:
    """An endpoint on the recording server, at a path no other test uses."""
    return Endpoint.objects.create(url=http.url(unique_path(stem)), **fields)


def path_of(ep: Endpoint) -> str:
    """The path of ``ep``'s URL, as the recording server records it."""
    return "/" + ep.url.split("/", 3)[3]
