"""URL, header and number checks shared by hook options and endpoint fields: a leaf module.

Each raises ``ImproperlyConfigured`` naming the owner and the option (hook
constructors); :mod:`signalhooks.endpoints.validators` turns them into Django
``ValidationError`` messages for model fields and admin forms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

__all__ = ["check_headers", "check_limits", "check_number", "check_url"]

_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")
#: RFC 9110 field names: token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: Field values: no CR, LF or NUL (they would split or end the header).
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\r\n\x00]")


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


def check_limits(owner: str, timeout: object, max_attempts: object, max_in_flight: object) -> None:
    """The limits every target takes: ``None`` (the setting) or in range."""
    if timeout is not None:
        check_number(owner, "timeout", timeout, positive=True)
    for name, value in (("max_attempts", max_attempts), ("max_in_flight", max_in_flight)):
        if value is not None:
            check_number(owner, name, value, integer=True, minimum=1)
