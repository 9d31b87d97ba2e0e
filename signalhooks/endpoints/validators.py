"""Field validation of endpoints: URL (with the SSRF rule), event types, headers, timeout
and attempts; secrets.

Each validator raises Django's ``ValidationError`` with a message for the user who
typed the value (``full_clean()``, the admin form). The URL, header and number checks
are the hooks' own (:mod:`signalhooks.validation`), the address rule the delivery-time
guard's (:mod:`signalhooks.transports.guard`).
"""

from __future__ import annotations

import base64
import ipaddress
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import router

from .. import conf
from ..targets.signing import SECRET_PREFIX
from ..transports.guard import blocked_reason
from ..validation import check_headers, check_limits, check_url
from .patterns import pattern_problem

__all__ = [
    "RESERVED_HEADERS",
    "generate_secret",
    "missing_owner",
    "validate_event_types",
    "validate_headers",
    "validate_max_attempts",
    "validate_timeout",
    "validate_url",
]

#: Headers an endpoint may not set: the request's framing and routing, and signing.
RESERVED_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "content-type",
        "host",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "webhook-id",
        "webhook-signature",
        "webhook-timestamp",
    }
)
#: Bytes of a generated signing key (Standard Webhooks: 24 to 64).
SECRET_BYTES = 32


def generate_secret() -> str:
    """A new Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode("ascii")


def validate_url(value: Any) -> None:
    """An ``http(s)://`` URL with a host; with ``ENDPOINT_BLOCK_PRIVATE_ADDRESSES`` (the
    default), not one that resolves to a loopback, private, link-local or metadata address.

    A host name that does not resolve now is accepted: the same rule is applied again
    to the resolved address at every delivery, which is what protects (DNS can change).
    """
    try:
        check_url("Endpoint", value, "url")
    except ImproperlyConfigured:
        raise ValidationError(
            "Enter an http:// or https:// URL with a host (and a valid port, no spaces).",
            code="invalid",
        ) from None
    if not conf.settings().endpoint_block_private_addresses:
        return
    parts = urlsplit(value)
    host = parts.hostname or ""
    for address in _addresses(host, parts.port or (443 if parts.scheme == "https" else 80)):
        reason = blocked_reason(address)
        if reason is not None:
            shown = host if host == address else f"{host} ({address})"
            raise ValidationError(
                f"{shown} is a {reason} address; endpoints may not point at internal "
                "services (SIGNALHOOKS['ENDPOINT_BLOCK_PRIVATE_ADDRESSES']).",
                code="blocked",
            )


def _addresses(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return [host]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # does not resolve (yet): checked again at delivery
        return []
    return [str(info[4][0]) for info in infos]


def validate_event_types(value: Any) -> None:
    """A list of event-type patterns (:mod:`.patterns`); empty means every event."""
    if not isinstance(value, list):
        raise ValidationError(
            'Event types must be a list of patterns, e.g. ["shop.Order:*"].', code="invalid"
        )
    problems = [problem for item in value if (problem := pattern_problem(item))]
    if problems:
        raise ValidationError(problems, code="invalid")


def validate_headers(value: Any) -> None:
    """A JSON object of extra request headers: valid names and values, none reserved."""
    try:
        headers = check_headers("Endpoint", value)
    except ImproperlyConfigured as exc:
        message = str(exc).removeprefix("Endpoint: ").replace("headers=", "headers", 1)
        raise ValidationError(message, code="invalid") from None
    reserved = sorted(name for name in headers if name.lower() in RESERVED_HEADERS)
    if reserved:
        raise ValidationError(
            f"Headers {', '.join(reserved)} are set by signalhooks and cannot be overridden.",
            code="reserved",
        )


def missing_owner(owner_type_id: int, owner_id: Any) -> str | None:
    """Why an owner's type and id name no object, or ``None`` if one exists."""
    from django.contrib.contenttypes.models import ContentType  # an installed app by now

    content_type = ContentType.objects.get_for_id(owner_type_id)
    model = content_type.model_class()
    if model is None:  # its app was removed from INSTALLED_APPS
        return f"The owner's type {content_type.app_label}.{content_type.model} no longer exists."
    try:
        owners = model._default_manager.using(router.db_for_read(model))
        found = owners.filter(pk=owner_id).exists()
    except (ValueError, TypeError, ValidationError):  # not a key of that model ("abc")
        found = False
    return None if found else f"No {model._meta.verbose_name} with id {owner_id!r}."


def validate_timeout(value: Any) -> None:
    """Seconds per attempt: a finite number > 0, as the hooks' ``timeout=``."""
    _limit(value, None)


def validate_max_attempts(value: Any) -> None:
    """An int >= 1, as the hooks' ``max_attempts=``."""
    _limit(None, value)


def _limit(timeout: Any, max_attempts: Any) -> None:
    try:
        check_limits("Endpoint", timeout, max_attempts, None)
    except ImproperlyConfigured as exc:
        # Not code="invalid": a number field would show its own "invalid" message instead.
        raise ValidationError(str(exc).removeprefix("Endpoint: "), code="out_of_range") from None
