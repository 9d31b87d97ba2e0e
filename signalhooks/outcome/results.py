"""Outcome types: what one attempt, and one whole delivery, ended with."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Attempt", "DeliveryResult"]


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


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The final outcome of delivering one event to one target.

    Returned by ``hook.async_receiver`` and carried by the ``delivery_succeeded``
    / ``delivery_failed`` signals. ``target`` never contains secrets.
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
