"""The ``SIGNALHOOKS`` settings dict, read in exactly one place.

Values are validated when read, so a typo fails loudly (``ImproperlyConfigured``
naming the key) instead of silently falling back to a default. The cache is
dropped on Django's ``setting_changed`` so ``override_settings`` works in tests.
"""

from __future__ import annotations

import math
from typing import Any, Final, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["DEFAULTS", "get", "validate"]

#: Every setting, its default, and the types it accepts.
DEFAULTS: Final[dict[str, Any]] = {
    "TIMEOUT": 10.0,  # seconds per attempt, connect + response
    "MAX_ATTEMPTS": 5,  # first try + 4 retries
    "RETRY_BACKOFF": 0.5,  # base of the exponential backoff, seconds
    "RETRY_BACKOFF_MAX": 30.0,  # cap of one backoff delay, seconds
    "RETRY_AFTER_MAX": 300.0,  # longest Retry-After we honour, seconds
    "MAX_IN_FLIGHT": 100,  # concurrent attempts per process
    "MAX_IN_FLIGHT_PER_TARGET": 20,  # concurrent attempts per hook
    "MAX_QUEUE": 50_000,  # accepted but unfinished deliveries per process
    "SHUTDOWN_TIMEOUT": 10.0,  # how long interpreter exit waits for pending deliveries
    "HTTP_TRANSPORT": "aiohttp",  # "aiohttp" or "httpx"
    "RESPONSE_BODY_LIMIT": 4096,  # response body bytes read and kept (DeliveryResult.response)
    "DURABLE": False,  # default of every hook's ``durable=``
    # SSRF guard for webhook URLs that come from data: refuse targets that resolve to
    # loopback/private/link-local/metadata addresses (checked at connect time, on the
    # resolved address; needs the aiohttp transport; hooks with their own
    # ``http_client`` cannot be guarded and fail instead).
    "BLOCK_PRIVATE_ADDRESSES": False,
    # Durable deliveries: delay before attempt 1, 2, ... (Svix's schedule); then dead.
    "DURABLE_RETRY_SCHEDULE": (0, 5, 300, 1800, 7200, 18000, 36000, 36000),
    "DURABLE_LEASE": 60.0,  # seconds a claimed outbox row stays reserved (renewed by workers)
    # Dump instances with signalhooks' own field walk (same bytes as Django's serializer,
    # deferred to the delivery thread); False: Django's serializer, at signal time.
    "FAST_SERIALIZER": True,
    # Traces and metrics through the OpenTelemetry API when it is installed and an SDK is
    # configured; False: none, and the trace context is neither captured nor sent.
    "OPENTELEMETRY": True,
    # Endpoint deliveries counted per endpoint id as well as under their hook: one time
    # series per endpoint in the metrics backend, for projects with few endpoints.
    "METRICS_ENDPOINT_ID": False,
    # The CloudEvents ``source`` of hooks with format="cloudevents" and no source=.
    "CLOUDEVENTS_SOURCE": "/signalhooks",
    # Endpoints stored in the database (signalhooks.models.Endpoint, EndpointsHook):
    "ENDPOINT_CACHE_TTL": 5.0,  # seconds another process may route with a stale endpoint list
    "ENDPOINT_DISABLE_AFTER": 5 * 86400.0,  # seconds of failing deliveries before disabling
    "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": True,  # the SSRF guard, for endpoint URLs only
    # The body of endpoints created from now on: "signalhooks", "standard", "cloudevents".
    "ENDPOINT_PAYLOAD_FORMAT": "signalhooks",
    # Seconds a recorded delivery attempt is kept (signalhooks_prune).
    "ATTEMPTS_RETENTION": 30 * 86400.0,
    # The customer portal: dotted path to ``owner(request) -> model instance | None``;
    # None: the logged-in ``request.user``.
    "PORTAL_OWNER": None,
    # Durable rows sent by this process first (True), or left to the fleet: the
    # ``signalhooks_worker`` processes (woken by PostgreSQL NOTIFY) or Django tasks.
    "DURABLE_INLINE": True,
    # Django Tasks mode: an alias of settings.TASKS; each committed durable row is
    # enqueued as a task on TASKS_QUEUE of that backend (None: no tasks).
    "TASKS_BACKEND": None,
    "TASKS_QUEUE": "default",
}

_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "TIMEOUT": (int, float),
    "MAX_ATTEMPTS": (int,),
    "RETRY_BACKOFF": (int, float),
    "RETRY_BACKOFF_MAX": (int, float),
    "RETRY_AFTER_MAX": (int, float),
    "MAX_IN_FLIGHT": (int,),
    "MAX_IN_FLIGHT_PER_TARGET": (int,),
    "MAX_QUEUE": (int,),
    "SHUTDOWN_TIMEOUT": (int, float),
    "HTTP_TRANSPORT": (str,),
    "RESPONSE_BODY_LIMIT": (int,),
    "DURABLE": (bool,),
    "BLOCK_PRIVATE_ADDRESSES": (bool,),
    "DURABLE_RETRY_SCHEDULE": (list, tuple),
    "DURABLE_LEASE": (int, float),
    "FAST_SERIALIZER": (bool,),
    "OPENTELEMETRY": (bool,),
    "METRICS_ENDPOINT_ID": (bool,),
    "CLOUDEVENTS_SOURCE": (str,),
    "ENDPOINT_CACHE_TTL": (int, float),
    "ENDPOINT_DISABLE_AFTER": (int, float),
    "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": (bool,),
    "ENDPOINT_PAYLOAD_FORMAT": (str,),
    "ATTEMPTS_RETENTION": (int, float),
    "PORTAL_OWNER": (str, type(None)),
    "DURABLE_INLINE": (bool,),
    "TASKS_BACKEND": (str, type(None)),
    "TASKS_QUEUE": (str,),
}
_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "HTTP_TRANSPORT": ("aiohttp", "httpx"),
    "ENDPOINT_PAYLOAD_FORMAT": ("signalhooks", "standard", "cloudevents"),
}
_MINIMUM: Final[dict[str, float]] = {
    "TIMEOUT": 0.001,
    "MAX_ATTEMPTS": 1,
    "RETRY_BACKOFF": 0,
    "RETRY_BACKOFF_MAX": 0,
    "RETRY_AFTER_MAX": 0,
    "MAX_IN_FLIGHT": 1,
    "MAX_IN_FLIGHT_PER_TARGET": 1,
    "MAX_QUEUE": 1,
    "SHUTDOWN_TIMEOUT": 0,
    "RESPONSE_BODY_LIMIT": 0,
    "DURABLE_LEASE": 0.5,
    "ENDPOINT_CACHE_TTL": 0,
    "ENDPOINT_DISABLE_AFTER": 0,
    "ATTEMPTS_RETENTION": 0,
}

_cache: dict[str, Any] | None = None


def validate(user: object) -> list[str]:
    """Return one message per problem in a ``SIGNALHOOKS`` value (empty when valid)."""
    if not isinstance(user, dict):
        return [f"SIGNALHOOKS must be a dict, not {type(user).__name__}."]
    problems: list[str] = []
    for key, value in user.items():
        if key not in DEFAULTS:
            known = ", ".join(sorted(DEFAULTS))
            problems.append(f"SIGNALHOOKS[{key!r}] is not a known setting (known: {known}).")
            continue
        types = _TYPES[key]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = " or ".join("None" if t is type(None) else t.__name__ for t in types)
            problems.append(f"SIGNALHOOKS[{key!r}] must be {names}, not {value!r}.")
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"SIGNALHOOKS[{key!r}] must be a finite number, not {value!r}.")
        elif key in _CHOICES and value not in _CHOICES[key]:
            problems.append(f"SIGNALHOOKS[{key!r}] must be one of {_CHOICES[key]}, not {value!r}.")
        elif key in _MINIMUM and cast(float, value) < _MINIMUM[key]:
            problems.append(f"SIGNALHOOKS[{key!r}] must be >= {_MINIMUM[key]}, not {value!r}.")
        elif key == "CLOUDEVENTS_SOURCE" and not cast(str, value).strip():
            problems.append(
                f"SIGNALHOOKS[{key!r}] must be a non-empty URI-reference, not {value!r}."
            )
        elif key in ("TASKS_BACKEND", "TASKS_QUEUE", "PORTAL_OWNER") and value == "":
            problems.append(f"SIGNALHOOKS[{key!r}] must not be empty.")
        elif key == "DURABLE_RETRY_SCHEDULE" and not _is_schedule(value):
            problems.append(
                f"SIGNALHOOKS[{key!r}] must be a non-empty list of delays in seconds (>= 0), "
                f"not {value!r}."
            )
    if user.get("BLOCK_PRIVATE_ADDRESSES") is True and user.get("HTTP_TRANSPORT") == "httpx":
        problems.append(
            "SIGNALHOOKS['BLOCK_PRIVATE_ADDRESSES'] needs HTTP_TRANSPORT='aiohttp': the guard "
            "checks resolved addresses inside aiohttp's connector."
        )
    return problems


def _is_schedule(value: Any) -> bool:
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    return bool(value) and numbers and min(value) >= 0


def _load() -> dict[str, Any]:
    user = getattr(settings, "SIGNALHOOKS", {}) if settings.configured else {}
    problems = validate(user)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return {**DEFAULTS, **user}


def get(key: str) -> Any:
    """The value of one setting, defaulted and validated."""
    global _cache
    if _cache is None:
        _cache = _load()
    return _cache[key]


@receiver(setting_changed)
def _drop_cache(*, setting: str, **kwargs: Any) -> None:
    global _cache
    if setting == "SIGNALHOOKS":
        _cache = None
