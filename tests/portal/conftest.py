"""Fixtures of the portal tests: a project with sessions, a login page and two customers.

``portal_settings`` gives the test settings what a project that mounts the portal has
(:func:`tests.support.project.project_settings`, a login page), with the portal under
``/webhooks/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from signalhooks.endpoints.health import writer
from signalhooks.endpoints.index import endpoint_index
from tests.outbox_support import retire_durable_hooks  # noqa: F401  (a fixture)
from tests.portal.support import make_user
from tests.support.project import project_settings

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture
def portal_settings(settings: Any) -> Iterator[Any]:
    settings.ROOT_URLCONF = "tests.portal.urls"
    project_settings(settings, [TEMPLATES_DIR])
    settings.LOGIN_URL = "/accounts/login/"
    settings.STATIC_URL = "/static/"  # the live server serves static files from there
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    endpoint_index.invalidate()
    yield settings
    writer.write_now()
    endpoint_index.invalidate()


@pytest.fixture
def alice(db: None, portal_settings: Any) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db: None, portal_settings: Any) -> User:
    return make_user("bob")


@pytest.fixture
def event_catalog(connect: Any, request: pytest.FixtureRequest) -> list[Any]:
    """The catalog of a project whose pizzas are announced to endpoints (to those without
    an owner: a test connects its own hook for an owner's)."""
    from django.db.models.signals import post_delete, post_save

    from signalhooks import catalog
    from signalhooks.hooks import EndpointsHook
    from tests.testapp.models import Pizza

    request.getfixturevalue("retire_durable_hooks")  # this hook and the test's own
    hook = EndpointsHook(owner=lambda pizza: None)
    connect(post_save, hook, Pizza)
    connect(post_delete, hook, Pizza)
    return catalog.event_types()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session's browser tests."""
    from tests.browser import missing, session

    reason = missing()
    if reason:
        pytest.skip(reason)
    with session() as driver:
        yield driver


@pytest.fixture
def portal_server(portal_settings: Any, transactional_db: None) -> Iterator[Any]:
    """pytest-django's live server, started after ``portal_settings``: a server's handler
    loads ``MIDDLEWARE`` once, when it starts, so the session-wide ``live_server`` (started
    before any function fixture) would serve without sessions."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def page(browser: Any, portal_server: Any) -> Any:
    """The browser on this test's server, with no cookie of an earlier test."""
    browser.get(f"{portal_server.url}/accounts/login/")
    browser.delete_all_cookies()
    return browser
