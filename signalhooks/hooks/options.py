"""Constructor checks shared by the hooks: fail fast with ``ImproperlyConfigured``.

Each names the option and shows the bad value (secrets excepted), so nothing a user
can pass reaches the delivery loop.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "check_callable",
    "check_durable",
    "check_headers",
    "check_limits",
    "check_number",
    "check_optional_str",
    "check_url",
    "overrides",
]


def overrides(hook: object, base: type, *names: str) -> bool:
    return any(getattr(type(hook), name) is not getattr(base, name) for name in names)


def check_url(owner: str, url: object, option: str = "request_url") -> None:
    """An ``http(s)://`` URL with a host, a valid port and no whitespace or control characters."""
    parts = None
    if isinstance(url, str) and url == url.strip() and not _UNSAFE_URL.search(url):
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018  # raises ValueError for a port out of range
        except ValueError:
            parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"{owner}: {option}={url!r} is not an http(s) URL with a host (and a valid port, "
            "no spaces or control characters)"
        )


_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")
#: RFC 9110 field names: token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: Field values: no CR, LF or NUL (they would split or end the header).
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\r\n\x00]")


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


def check_headers(owner: str, headers: object) -> dict[str, str]:
    """A mapping of header names (token characters) to string values without CR/LF/NUL."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise ImproperlyConfigured(
            f"{owner}: headers= must be a mapping of header names to values, e.g. "
            f'{{"X-Token": "..."}}, not {headers!r}'
        )
    out: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ImproperlyConfigured(
                f"{owner}: headers= has an invalid header name {name!r} "
                "(a non-empty string of letters, digits and !#$%&'*+-.^_`|~)"
            )
        if not isinstance(value, str) or _HEADER_VALUE_FORBIDDEN.search(value):
            raise ImproperlyConfigured(
                f"{owner}: headers[{name!r}] must be a string without CR, LF or NUL, not {value!r}"
            )
        out[name] = value
    return out


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
