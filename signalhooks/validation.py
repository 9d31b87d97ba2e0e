"""Constructor checks shared by the hooks: fail fast with ``ImproperlyConfigured``."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "check_durable",
    "check_limits",
    "check_url",
    "field_names",
    "overrides",
    "signal_name",
]


def overrides(hook: object, base: type, *names: str) -> bool:
    return any(getattr(type(hook), name) is not getattr(base, name) for name in names)


def check_url(owner: str, url: object) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"{owner}: {url!r} is not an http(s) URL with a host")


def check_durable(owner: str, durable: object) -> bool | None:
    if durable is not None and not isinstance(durable, bool):
        raise ImproperlyConfigured(f"{owner}: durable must be True, False or None, not {durable!r}")
    if durable:
        from django.apps import apps

        if apps.apps_ready and not apps.is_installed("signalhooks"):
            raise ImproperlyConfigured(
                f'{owner}: durable=True needs "signalhooks" in INSTALLED_APPS (and migrate): '
                "the outbox table belongs to that app"
            )
    return durable


def check_limits(owner: str, timeout: Any, max_attempts: Any, max_in_flight: Any) -> None:
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise ImproperlyConfigured(f"{owner}: timeout must be a positive number, not {timeout!r}")
    for name, value in (("max_attempts", max_attempts), ("max_in_flight", max_in_flight)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ImproperlyConfigured(f"{owner}: {name} must be an int >= 1, not {value!r}")


@functools.lru_cache(maxsize=64)
def signal_name(signal: Any) -> str:
    """``post_save``, or ``module.name`` where a custom signal is defined, for errors.

    Django signals have no name, and a user reading "cannot serialize ..." needs to
    know which of their signals sent it. The module scan costs a few ms: error path
    only, once per signal.
    """
    from .wiring import signal_names

    return signal_names().get(signal, repr(signal))


def field_names(owner: str, option: str, value: object) -> tuple[str, ...] | None:
    """A non-empty list of field-name strings as a tuple (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ImproperlyConfigured(
            f"{owner}: {option}= must be a list of field names, not {value!r}"
        )
    names = tuple(value)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ImproperlyConfigured(
            f"{owner}: {option}= must be a non-empty list of field names, not {value!r}"
        )
    return names
