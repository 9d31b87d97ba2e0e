"""One endpoint's target: ``HTTPTarget``'s request, status classification and signing,
with the endpoint's secret(s), headers, rate limit, order, timeout, attempts, SSRF rule and
health.

Targets live in the endpoint index and are reused while an endpoint's configuration
does not change, so its engine lane (concurrency cap, rate-limit bucket) stays the same.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from .. import conf
from ..outcome.results import Attempt
from ..targets.base import Delivery, TargetOptions
from ..targets.http import HTTPTarget
from ..targets.signing import Signer
from ..validation import check_headers, check_limits, check_url
from .health import EndpointState

if TYPE_CHECKING:
    from ..transports.pool import Clients
    from .models import Endpoint

__all__ = ["BODY_FORMAT", "AllEndpoints", "EndpointTarget"]

#: ``Endpoint.payload_format`` -> the body its target sends: "signalhooks" is the event
#: JSON of the other hooks; "cloudevents" carries the same ``data`` as "standard".
BODY_FORMAT = {
    "signalhooks": "event",
    "standard": "standard",
    "cloudevents": "cloudevents-standard",
}


class EndpointTarget(HTTPTarget):
    """POST to one :class:`~signalhooks.models.Endpoint`; see the module docstring."""

    def __init__(
        self,
        endpoint_id: int,
        url: str,
        *,
        headers: Mapping[str, str],
        secrets: Sequence[str],
        previous_until: float,
        rate_limit: int | None,
        state: EndpointState,
        timeout: float | None = None,
        max_attempts: int | None = None,
        format: str = "event",
        ordered: bool = False,
    ) -> None:
        owner = f"Endpoint {endpoint_id}"
        super().__init__(
            url,
            "POST",
            headers=headers,
            signer=Signer(secrets[0], owner),
            timeout=timeout,
            max_attempts=max_attempts,
            format=format,
        )
        #: Current and previous secret, while the previous one still signs.
        self._rotating = Signer(list(secrets), owner) if len(secrets) > 1 else None
        self._rotating_until = previous_until
        self.endpoint_id = endpoint_id
        self.rate_limit = rate_limit
        #: ``Endpoint.ordered``: each object's events one at a time (durable deliveries).
        self.ordered = ordered
        self.state = state
        self.name = f"endpoint {endpoint_id} {self.name}"

    @classmethod
    def build(
        cls, endpoint: Endpoint, state: EndpointState, max_attempts: int | None = None
    ) -> EndpointTarget:
        """``endpoint``'s target; ``max_attempts`` (a test event's 1) overrides its own."""
        expires = endpoint.previous_secret_expires_at
        secrets = [endpoint.secret]
        if endpoint.previous_secret and expires is not None:
            secrets.append(endpoint.previous_secret)
        # Data saved without full_clean() may be malformed: refuse it here, with why.
        owner = f"Endpoint {endpoint.pk}"
        check_url(owner, endpoint.url, "url")
        check_limits(owner, endpoint.timeout, endpoint.max_attempts, None)
        body_format = BODY_FORMAT.get(endpoint.payload_format)
        if body_format is None:
            raise ImproperlyConfigured(
                f"{owner}: payload_format={endpoint.payload_format!r} is not one of "
                f"{', '.join(BODY_FORMAT)}"
            )
        return cls(
            endpoint.pk,
            endpoint.url,
            headers=check_headers(owner, endpoint.headers or {}),
            secrets=secrets,
            previous_until=expires.timestamp() if expires is not None else 0.0,
            rate_limit=endpoint.rate_limit,
            state=state,
            timeout=endpoint.timeout,
            max_attempts=max_attempts if max_attempts is not None else endpoint.max_attempts,
            format=body_format,
            ordered=endpoint.ordered,
        )

    @property
    def block_private_addresses(self) -> bool:
        """The SSRF guard at delivery time (read by the client pool on every attempt)."""
        return conf.settings().endpoint_block_private_addresses

    def prepare_headers(
        self, delivery: Delivery, body: bytes, headers: Mapping[str, str]
    ) -> Mapping[str, str]:
        """Standard Webhooks headers; both secrets sign until the previous one expires."""
        rotating = self._rotating
        signer = rotating if rotating is not None and time.time() < self._rotating_until else None
        signer = signer or self.signer
        assert signer is not None
        return {**headers, **signer.headers(delivery.event.id, body)}

    async def send(self, batch: Sequence[Delivery], clients: Clients) -> list[Attempt]:
        blocked = self.state.blocked
        if blocked is not None:  # disabled, 410 or deleted: fail at once, no request
            failed = Attempt(ok=False, retryable=False, error=blocked, error_type="disabled")
            return [failed] * len(batch)
        attempts = await super().send(batch, clients)
        self.state.note(attempts)
        return attempts


class AllEndpoints(TargetOptions):
    """The ``target`` of an ``EndpointsHook``: a name for logs, not a destination.

    The hook's deliveries each go to one :class:`EndpointTarget`; a delivery sent here
    (``signalhooks_send_test`` on the hook) fails with an explanation.
    """

    name = "endpoints"
    batch_size = 1

    async def send(self, batch: Sequence[Delivery], clients: Clients) -> list[Attempt]:
        error = (
            "an EndpointsHook sends to the endpoints stored in the database; send a test "
            "event to one with 'manage.py signalhooks_send_test --endpoint ID' or the "
            "admin action 'Send a test event'"
        )
        return [Attempt(ok=False, error=error, error_type="no_endpoint")] * len(batch)
