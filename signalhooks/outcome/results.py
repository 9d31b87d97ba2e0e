"""Outcome types: what one attempt, and one whole delivery, ended with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Attempt", "DeliveryResult", "SentRequest"]


@dataclass(frozen=True, slots=True)
class SentRequest:
    """What one attempt sent, captured only for deliveries that record their attempts.

    HTTP: the headers after signing and the body as sent (decoded as UTF-8, invalid
    bytes replaced). SNS: the message attributes as ``headers`` and the message as
    ``body``, with ``http=False`` (the status of the API call is not a receiver's).
    """

    #: Unix time at which the attempt started.
    started_at: float
    #: Seconds from the start of the attempt to its outcome.
    duration: float
    headers: Mapping[str, str]
    body: str
    http: bool = True


@dataclass(frozen=True, slots=True)
class Attempt:
    """The result of one try at one target (internal currency of the engine's lanes)."""

    ok: bool
    retryable: bool = False
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    response: str = ""
    #: A short, low-cardinality kind of failure (``"503"``, ``"timeout"``, an exception
    #: class, an SNS error code): the ``error.type`` of traces.
    error_type: str | None = None
    #: The request as sent, for deliveries that record attempts (``None`` otherwise, and
    #: for attempts that failed before a request, e.g. to a disabled endpoint).
    sent: SentRequest | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The final outcome of delivering one event to one target.

    Returned by ``hook.async_receiver`` and carried by the ``delivery_succeeded``
    / ``delivery_failed`` signals. ``target`` never contains secrets.
    ``endpoint_id`` is the :class:`~signalhooks.models.Endpoint` of an
    ``EndpointsHook`` delivery (``None`` for other hooks); ``error_type`` is a short
    kind of failure (``"503"``, ``"timeout"``, ``"disabled"``, an exception class, an
    SNS error code; ``None`` when delivered).
    """

    target: str
    event_id: str
    event: str
    ok: bool
    status: int | None
    error: str | None
    attempts: int
    duration: float
    response: str = ""
    #: The :class:`~signalhooks.models.Endpoint` of an ``EndpointsHook`` delivery
    #: (``None``: any other hook's).
    endpoint_id: int | None = None
    error_type: str | None = None
