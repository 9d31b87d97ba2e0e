"""The ``SIGNALHOOKS`` settings dict: one typed table, read in exactly one place.

:class:`Settings` is the table: one attribute per key (``timeout`` is
``SIGNALHOOKS["TIMEOUT"]``) with its type, default, minimum, choices and meaning.
Validation (:func:`validate`, and so the system checks E001 to E003), the hints of
those checks and docs/settings.md (by a test) all come from it. :func:`settings`
returns the values, typed and validated, so that callers read attributes and never
cast: a typo fails loudly (``ImproperlyConfigured`` naming the key) instead of
silently falling back to a default. The cache is dropped on Django's
``setting_changed`` so ``override_settings`` works in tests.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Sequence
from typing import Any, Final

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "DEFAULTS",
    "SETTINGS",
    "Setting",
    "Settings",
    "describe",
    "problem_hint",
    "settings",
    "unknown_hint",
    "validate",
]


def _key(
    default: Any,
    meaning: str,
    *,
    minimum: float | None = None,
    choices: tuple[str, ...] = (),
    noun: str = "string",
) -> Any:
    """One setting's row of the table: its default and what the type cannot say."""
    metadata = {"meaning": meaning, "minimum": minimum, "choices": choices, "noun": noun}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, typed: ``settings().timeout`` is ``SIGNALHOOKS["TIMEOUT"]``."""

    timeout: float = _key(10.0, "total deadline of one attempt, in seconds", minimum=0.001)
    max_attempts: int = _key(
        5, "attempts of a delivery in process, the first one included", minimum=1
    )
    retry_backoff: float = _key(0.5, "base of the exponential backoff, in seconds", minimum=0)
    retry_backoff_max: float = _key(30.0, "cap of one backoff delay, in seconds", minimum=0)
    retry_after_max: float = _key(300.0, "longest Retry-After honoured, in seconds", minimum=0)
    max_in_flight: int = _key(100, "concurrent attempts per process", minimum=1)
    max_in_flight_per_target: int = _key(20, "concurrent attempts per hook", minimum=1)
    max_queue: int = _key(50_000, "deliveries accepted but not finished, per process", minimum=1)
    shutdown_timeout: float = _key(
        10.0, "how long interpreter exit waits for pending deliveries, in seconds", minimum=0
    )
    http_transport: str = _key(
        "aiohttp", "the HTTP client of hooks without http_client=", choices=("aiohttp", "httpx")
    )
    response_body_limit: int = _key(4096, "bytes of a response body read and kept", minimum=0)
    durable: bool = _key(False, "default of every hook's durable=")
    block_private_addresses: bool = _key(
        False, "refuse targets that resolve to private addresses (needs aiohttp)"
    )
    durable_retry_schedule: tuple[float, ...] = _key(
        (0, 5, 300, 1800, 7200, 18000, 36000, 36000),
        "durable deliveries: delay before attempt 1, 2, ..., in seconds",
        minimum=0,
    )
    durable_lease: float = _key(60.0, "seconds a claimed outbox row stays reserved", minimum=0.5)
    fast_serializer: bool = _key(True, "dump instances with signalhooks' own field walk")
    opentelemetry: bool = _key(True, "traces and metrics when an OpenTelemetry SDK is configured")
    metrics_endpoint_id: bool = _key(False, "endpoint deliveries' metrics per endpoint id too")
    cloudevents_source: str = _key(
        "/signalhooks",
        "the CloudEvents source of hooks without source=",
        noun="URI-reference",
    )
    endpoint_cache_ttl: float = _key(
        5.0, "seconds another process may route with a stale endpoint list", minimum=0
    )
    endpoint_disable_after: float = _key(
        5 * 86400.0, "seconds of failing deliveries before an endpoint is disabled", minimum=0
    )
    endpoint_block_private_addresses: bool = _key(True, "the SSRF guard, for endpoint URLs")
    endpoint_payload_format: str = _key(
        "signalhooks",
        "the body of endpoints created from now on",
        choices=("signalhooks", "standard", "cloudevents"),
    )
    attempts_retention: float = _key(
        30 * 86400.0, "seconds a recorded delivery attempt is kept", minimum=0
    )
    portal_owner: str | None = _key(
        None, "dotted path of the customer portal's owner(request); None: request.user"
    )
    durable_inline: bool = _key(True, "durable rows sent by this process first")
    tasks_backend: str | None = _key(None, "an alias of TASKS: durable rows sent by Django tasks")
    tasks_queue: str = _key("default", "the queue of those tasks")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One key of ``SIGNALHOOKS``, as :class:`Settings` declares it."""

    name: str  # "TIMEOUT"
    attribute: str  # "timeout"
    type: Any  # float, int, bool, str, str | None, tuple[float, ...]
    default: Any
    meaning: str
    minimum: float | None
    choices: tuple[str, ...]
    noun: str  # what a string setting names, in messages

    @property
    def accepted(self) -> tuple[type, ...]:
        """The Python types a value may have (an ``int`` where a ``float`` is read)."""
        if self.type is float:
            return (int, float)
        if typing.get_origin(self.type) is tuple:
            return (list, tuple)
        return tuple(typing.get_args(self.type)) or (self.type,)

    def read(self, value: Any) -> Any:
        """A valid value as :class:`Settings` holds it: floats as ``float``, lists as tuples."""
        if self.type is float:
            return float(value)
        if typing.get_origin(self.type) is tuple:
            return tuple(float(item) for item in value)
        return value


def _table() -> tuple[Setting, ...]:
    hints = typing.get_type_hints(Settings)
    return tuple(
        Setting(
            name=field.name.upper(),
            attribute=field.name,
            type=hints[field.name],
            default=field.default,
            **field.metadata,
        )
        for field in dataclasses.fields(Settings)
    )


#: The table, by key.
SETTINGS: Final[dict[str, Setting]] = {setting.name: setting for setting in _table()}
#: Every key and its default, as written in ``SIGNALHOOKS``.
DEFAULTS: Final[dict[str, Any]] = {name: s.default for name, s in SETTINGS.items()}


def describe(setting: Setting) -> str:
    """What ``setting`` accepts, in words (the settings page's "accepts" column)."""
    if setting.choices:
        quoted = [f'"{choice}"' for choice in setting.choices]
        return ", ".join(quoted[:-1]) + " or " + quoted[-1]
    if setting.type is bool:
        return "True or False"
    bound = f" >= {setting.minimum:g}" if setting.minimum is not None else ""
    if setting.type is float:
        return f"number{bound}"
    if setting.type is int:
        return f"integer{bound}"
    if typing.get_origin(setting.type) is tuple:
        return f"non-empty list of numbers{bound}"
    text = f"non-empty {setting.noun}"
    return f"{text} or None" if types.NoneType in setting.accepted else text


def _problem(setting: Setting, value: Any) -> str | None:
    """What is wrong with ``value`` for ``setting``, or ``None``."""
    key = f"SIGNALHOOKS[{setting.name!r}]"
    accepted = setting.accepted
    if (isinstance(value, bool) and bool not in accepted) or not isinstance(value, accepted):
        names = " or ".join("None" if t is types.NoneType else t.__name__ for t in accepted)
        return f"{key} must be {names}, not {value!r}."
    if isinstance(value, float) and not math.isfinite(value):
        return f"{key} must be a finite number, not {value!r}."
    if setting.choices and value not in setting.choices:
        return f"{key} must be one of {setting.choices}, not {value!r}."
    if isinstance(value, list | tuple):
        if not _numbers_at_least(value, setting.minimum or 0):
            return f"{key} must be a {describe(setting)}, not {value!r}."
    elif setting.minimum is not None and value < setting.minimum:
        return f"{key} must be >= {setting.minimum}, not {value!r}."
    if isinstance(value, str) and not value.strip():
        return f"{key} must be a non-empty {setting.noun}, not {value!r}."
    return None


def _numbers_at_least(value: Sequence[Any], minimum: float) -> bool:
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    return bool(value) and numbers and min(value) >= minimum


def validate(user: object) -> list[str]:
    """Return one message per problem in a ``SIGNALHOOKS`` value (empty when valid)."""
    if not isinstance(user, dict):
        return [f"SIGNALHOOKS must be a dict, not {type(user).__name__}."]
    problems: list[str] = []
    for key, value in user.items():
        setting = SETTINGS.get(key)
        if setting is None:
            known = ", ".join(sorted(SETTINGS))
            problems.append(f"SIGNALHOOKS[{key!r}] is not a known setting (known: {known}).")
            continue
        problem = _problem(setting, value)
        if problem is not None:
            problems.append(problem)
    if user.get("BLOCK_PRIVATE_ADDRESSES") is True and user.get("HTTP_TRANSPORT") == "httpx":
        problems.append(
            "SIGNALHOOKS['BLOCK_PRIVATE_ADDRESSES'] needs HTTP_TRANSPORT='aiohttp': the guard "
            "checks resolved addresses inside aiohttp's connector."
        )
    return problems


def unknown_hint(key: object) -> str:
    """The hint of check E002: the closest known key, if one is close."""
    close = difflib.get_close_matches(str(key), list(SETTINGS), n=1)
    spelling = f"Did you mean {close[0]!r}? " if close else ""
    return f"{spelling}Remove it or fix its spelling; docs/settings.md lists every setting."


def problem_hint(key: str) -> str:
    """The hint of check E003 for setting ``key``: what it is, what it accepts, its default."""
    setting = SETTINGS[key]
    return (
        f"{key} ({setting.meaning}) accepts: {describe(setting)}. "
        f"The default is {setting.default!r}."
    )


_cache: Settings | None = None


def _load() -> Settings:
    user = getattr(django_settings, "SIGNALHOOKS", {}) if django_settings.configured else {}
    problems = validate(user)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return Settings(
        **{s.attribute: s.read(user.get(name, s.default)) for name, s in SETTINGS.items()}
    )


def settings() -> Settings:
    """The settings, defaulted, validated and typed (``ImproperlyConfigured`` if invalid)."""
    global _cache
    loaded = _cache
    if loaded is None:
        loaded = _cache = _load()
    return loaded


@receiver(setting_changed)
def _drop_cache(*, setting: str, **kwargs: Any) -> None:
    global _cache
    if setting == "SIGNALHOOKS":
        _cache = None
