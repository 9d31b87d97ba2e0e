"""Constructor checks shared by the hooks: fail fast with ``ImproperlyConfigured``.

Each names the option and shows the bad value (secrets excepted), so nothing a user
can pass reaches the delivery loop.
"""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

from ..validation import check_headers, check_limits, check_number, check_url
from .ordering import ObjectOrder

__all__ = [
    "check_callable",
    "check_durable",
    "check_headers",
    "check_limits",
    "check_number",
    "check_optional_str",
    "check_order",
    "check_url",
    "overrides",
]


def overrides(hook: object, base: type, *names: str) -> bool:
    return any(getattr(type(hook), name) is not getattr(base, name) for name in names)


def check_callable(owner: str, option: str, value: object, takes: str) -> None:
    if not callable(value):
        raise ImproperlyConfigured(f"{owner}: {option}= must be a callable {takes}, not {value!r}")


def check_optional_str(
    owner: str,
    option: str,
    value: object,
    *,
    pattern: re.Pattern[str] | None = None,
    form: str = "",
) -> None:
    """``None`` or a non-empty string (matching ``pattern``, described by ``form``)."""
    if value is None:
        return
    if (
        not isinstance(value, str)
        or not value
        or (pattern is not None and not pattern.fullmatch(value))
    ):
        expected = f" such as {form}" if form else ""
        raise ImproperlyConfigured(
            f"{owner}: {option}= must be a non-empty string{expected}, not {value!r}"
        )


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


def check_order(
    owner: str, ordered: object, order_key: object, durable: bool | None
) -> ObjectOrder | None:
    """``ordered=`` / ``order_key=`` of a hook: its :class:`ObjectOrder`, or ``None``."""
    if not isinstance(ordered, bool):
        raise ImproperlyConfigured(f"{owner}: ordered must be True or False, not {ordered!r}")
    if not ordered:
        if order_key is not None:
            raise ImproperlyConfigured(f"{owner}: order_key= applies to ordered=True only")
        return None
    return ObjectOrder(owner, order_key, durable)
