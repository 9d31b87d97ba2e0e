"""The admin site in a real project's shape, for tests that drive its pages with a client.

The test settings have no admin, middleware or templates: ``admin_site`` (fixture) adds what a
project with the admin has (:func:`tests.support.project.project_settings`), and
creates the admin's log table for the test, which ``migrate`` did not (the admin is not
installed when the test database is created).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from tests.support.project import project_settings

ADMIN_APPS = ["django.contrib.admin", "django.contrib.messages"]


@pytest.fixture(name="admin_site")
def admin_site_fixture(settings: Any, transactional_db: None) -> Iterator[Any]:
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, *ADMIN_APPS]
    settings.ROOT_URLCONF = "tests.admin_urls"
    project_settings(settings)
    from django.contrib.admin.models import LogEntry  # importable once the admin is installed

    with connection.schema_editor() as editor:
        editor.create_model(LogEntry)
    try:
        yield settings
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(LogEntry)


@pytest.fixture(name="staff")
def staff_fixture(admin_site: Any) -> Client:
    """A logged-in superuser's browser, which sends CSRF tokens only when a form has one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("staff", password="unused"))
    return client


def csrf_token(client: Client, url: str) -> str:
    """The CSRF token of the page at ``url``, as a browser would send it back."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return str(page.context["csrf_token"])
