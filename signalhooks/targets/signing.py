"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Every attempt carries three headers:

* ``webhook-id``: the event id, the same on every retry (receivers deduplicate on it);
* ``webhook-timestamp``: unix seconds of *this* attempt (receivers reject > 5 min skew);
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``,
  one per secret, space-separated, so a receiver can rotate keys without downtime.

A secret is ``whsec_`` + base64 of the key bytes (the format Svix and the
``standardwebhooks`` libraries generate). Secrets are decoded once, at hook
construction, and never appear in ``repr()``, logs or error messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured

__all__ = ["SECRET_PREFIX", "Signer"]

SECRET_PREFIX = "whsec_"


def _decode(owner: str, position: str, secret: object) -> bytes:
    # Messages name the position and the problem only: echoing any part of a
    # malformed secret would leak it into tracebacks and logs.
    if not isinstance(secret, str):
        raise ImproperlyConfigured(
            f"{owner}: secret{position} must be a string starting with {SECRET_PREFIX!r}, "
            f"not {type(secret).__name__}"
        )
    if not secret.startswith(SECRET_PREFIX):
        raise ImproperlyConfigured(
            f"{owner}: secret{position} must start with {SECRET_PREFIX!r} followed by the "
            "base64 key (the Standard Webhooks format)"
        )
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        # Standard Webhooks libraries accept unpadded keys; validate=True refuses any
        # character outside the base64 alphabet instead of silently dropping it.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(
            f"{owner}: secret{position} is not valid base64 after {SECRET_PREFIX!r}"
        ) from None
    if not key:
        raise ImproperlyConfigured(f"{owner}: secret{position} has an empty key")
    return key


class Signer:
    """Signs request bodies with one or more Standard Webhooks secrets."""

    __slots__ = ("_keys",)

    def __init__(self, secrets: str | Sequence[str], owner: str = "signalhooks") -> None:
        if isinstance(secrets, str):
            keys = [_decode(owner, "", secrets)]
        elif isinstance(secrets, Sequence) and secrets:
            keys = [_decode(owner, f"[{i}]", s) for i, s in enumerate(secrets)]
        else:
            raise ImproperlyConfigured(
                f"{owner}: secret= must be a {SECRET_PREFIX!r} string or a non-empty list of "
                "them (several secrets sign with each, for key rotation)"
            )
        self._keys: tuple[bytes, ...] = tuple(keys)

    def __repr__(self) -> str:  # never show key material
        return f"<Signer: {len(self._keys)} secret(s)>"

    def signature(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """The ``webhook-signature`` value: ``v1,<sig>`` per secret, space-separated."""
        signed = f"{msg_id}.{timestamp}.".encode() + body
        return " ".join(
            "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            for key in self._keys
        )

    def headers(self, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The three Standard Webhooks headers for one attempt (``timestamp``: now)."""
        stamp = int(time.time()) if timestamp is None else timestamp
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": self.signature(msg_id, stamp, body),
        }
