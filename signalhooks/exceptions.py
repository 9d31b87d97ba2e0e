"""Every exception signalhooks raises, in one place.

Misconfiguration raises Django's ``ImproperlyConfigured`` (at hook construction, and
in ``manage.py check``); everything here derives from :class:`SignalhooksError`.
None of them reaches the code that sent the signal: a failing delivery is logged,
counted and reported as a failed :class:`~signalhooks.DeliveryResult` instead.
"""

from __future__ import annotations

__all__ = [
    "BlockedAddressError",
    "PayloadError",
    "SerializationError",
    "SignalhooksError",
    "TransportError",
]


class SignalhooksError(Exception):
    """Base class of signalhooks' own exceptions."""


class SerializationError(SignalhooksError, ValueError):
    """An instance or signal argument could not be turned into JSON."""


class PayloadError(SignalhooksError, ValueError):
    """An outbox row's payload cannot be turned back into a delivery."""


class TransportError(SignalhooksError):
    """The request got no HTTP answer (refused, reset, DNS, timeout).

    Retryable, except when ``retryable=False`` (the SSRF guard refused the address, or
    a user's ``http_client`` factory failed: trying again cannot help).
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class BlockedAddressError(SignalhooksError, OSError):
    """The target resolved to an address the SSRF guard refuses. Never retried.

    An ``OSError`` so that aiohttp's connector wraps it like any resolution failure
    (``ClientConnectorDNSError.os_error``) instead of treating it as a bug.
    """
