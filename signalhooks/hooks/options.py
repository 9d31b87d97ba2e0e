"""Constructor checks shared by the hooks: fail fast with ``ImproperlyConfigured``.

Each names the option and shows the bad value (secrets excepted), so nothing a user
can pass reaches the delivery loop.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ..validation import check_headers, check_url
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


def check_number(
    owner: str,
    option: str,
    value: object,
    *,
    integer: bool = False,
    minimum: float | None = None,
    positive: bool = False,
) -> None:
    """A finite number (an ``int`` if ``integer``), not a bool, ``>= minimum`` / ``> 0``."""
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    if ok:
        number = float(value)  # type: ignore[arg-type]
        ok = math.isfinite(number)
        ok = ok and (minimum is None or number >= minimum) and (not positive or number > 0)
    if not ok:
        what = "an int" if integer else "a finite number"
        if positive:
            what += " > 0"
        elif minimum is not None:
            what += f" >= {minimum:g}"
        raise ImproperlyConfigured(f"{owner}: {option} must be {what}, not {value!r}")


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


def check_limits(owner: str, timeout: Any, max_attempts: Any, max_in_flight: Any) -> None:
    if timeout is not None:
        check_number(owner, "timeout", timeout, positive=True)
    for name, value in (("max_attempts", max_attempts), ("max_in_flight", max_in_flight)):
        if value is not None:
            check_number(owner, name, value, integer=True, minimum=1)


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
