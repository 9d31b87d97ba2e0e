"""The test project: its apps, and what a project with logins adds to them.

``APPS`` are the apps of the test settings and of the worker project. Middleware,
sessions (in signed cookies, so no sessions table), messages and templates are not in
the test settings: tests that drive pages with a client add them to pytest-django's
``settings`` (:func:`project_settings`), and the portal benchmark's settings are made
of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

APPS = ["django.contrib.contenttypes", "django.contrib.auth", "signalhooks", "tests.testapp"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"


def templates(dirs: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """The ``TEMPLATES`` setting: the apps' templates, then ``dirs``."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": list(dirs),
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ]
            },
        }
    ]


def project_settings(settings: Any, template_dirs: Sequence[Path] = ()) -> None:
    """Give ``settings`` (pytest-django's fixture) all of the above."""
    settings.MIDDLEWARE = list(MIDDLEWARE)
    settings.SESSION_ENGINE = SESSION_ENGINE
    settings.MESSAGE_STORAGE = MESSAGE_STORAGE
    settings.TEMPLATES = templates(template_dirs)
