"""What a Django project with logins has: middleware, sessions, messages and templates.

The test settings have none of it: tests that drive pages with a client add it to
pytest-django's ``settings`` (:func:`project_settings`), and the portal benchmark's
settings are made of it. Sessions live in signed cookies, so no sessions table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
