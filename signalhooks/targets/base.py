"""The contract of delivery: a target, and the unit of work sent to it.

A :class:`Delivery` (one event for one target) is what crosses from the hooks to
the engine or the outbox and comes back with an outcome; every target meets the
:class:`Target` protocol (a name, batching and concurrency, and ``send``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .. import conf
from ..outcome.results import Attempt, DeliveryResult
from ..snapshot.events import Event
from ..telemetry.state import tracing_on
from ..telemetry.tracing import end_delivery, start_delivery

if TYPE_CHECKING:
    from ..transports.pool import Clients

__all__ = ["Delivery", "Target", "TargetOptions", "Waiter"]


class Target(Protocol):
    """Where deliveries go. One per hook; immutable configuration plus ``send``."""

    #: Shown in logs and results; never contains secrets.
    name: str
    #: How many deliveries ``send`` accepts at once (SNS PublishBatch: 10).
    batch_size: int
    #: Concurrent ``send`` calls allowed, or ``None`` for the process-wide default.
    max_in_flight: int | None

    @property
    def max_attempts(self) -> int | None:
        """Attempts in process, or ``None`` for ``SIGNALHOOKS["MAX_ATTEMPTS"]``."""

    async def send(self, batch: Sequence[Delivery], clients: Clients) -> list[Attempt]:
        """Try every delivery of ``batch`` once; one :class:`Attempt` each, in order."""
        ...


class Waiter(Protocol):
    """Whoever waits for a delivery's final outcome (``set_result`` is called once)."""

    def set_result(self, result: DeliveryResult) -> None: ...


class Delivery:
    """An accepted event on its way to one target.

    ``request`` holds what a hook rendered in the caller's thread when a subclass
    overrides a payload method (``None`` means "render from the event").
    ``order_key`` names the object whose events reach the target one at a time, in
    order (``None``: unordered); only durable deliveries are ordered.
    """

    __slots__ = (
        "accepted_at",
        "attempts",
        "event",
        "order_key",
        "owner",
        "request",
        "span",
        "target",
        "waiter",
    )

    #: ``True`` on the deliveries whose attempts are recorded (``DeliveryAttempt``: the
    #: durable ones and test events): their targets capture each request as sent
    #: (``Attempt.sent``). Plain deliveries capture nothing.
    records_attempts: ClassVar[bool] = False

    def __init__(
        self,
        event: Event,
        target: Target,
        owner: object,
        request: Any = None,
        waiter: Waiter | None = None,
    ) -> None:
        self.event = event
        self.target = target
        self.owner = owner
        self.request = request
        self.waiter = waiter
        self.order_key: str | None = None
        self.attempts = 0
        self.accepted_at = time.monotonic()
        self.span: Any = None  # the OpenTelemetry delivery span, from the first attempt on

    def trace_span(self) -> Any:
        """The delivery's PRODUCER span, started by the first attempt; ``None``: not tracing."""
        span = self.span
        if span is None and tracing_on():
            # Started when the delivery was created (at signal time for in-process
            # deliveries), so the span shows the time spent queued, too.
            started = time.time_ns() - int((time.monotonic() - self.accepted_at) * 1e9)
            span = self.span = start_delivery(
                self.event.trace,
                self.event.name,
                self.event.id,
                self.target.name,
                getattr(self.target, "messaging_system", "signalhooks"),
                started,
            )
        return span

    def end_trace(self, attempt: Attempt) -> None:
        """The delivery leaves this process's hands (final outcome, or the outbox's)."""
        span = self.span
        if span is not None:
            self.span = None
            end_delivery(span, attempt.ok, self.attempts, attempt.error, attempt.error_type)

    def take_over(self, attempt: Attempt, done: Callable[[], None]) -> bool:
        """Called by the engine's lanes after each attempt; ``True`` takes the delivery away.

        Durable deliveries (:mod:`signalhooks.outbox`) return ``True``: the outbox
        records the attempt and reports the outcome itself, then calls ``done()``
        (from any thread). A plain delivery stays with the engine's lanes (retries, report).
        """
        return False

    def result(self, attempt: Attempt) -> DeliveryResult:
        return DeliveryResult(
            target=self.target.name,
            event_id=self.event.id,
            event=self.event.name,
            ok=attempt.ok,
            status=attempt.status,
            error=attempt.error,
            attempts=self.attempts,
            duration=time.monotonic() - self.accepted_at,
            response=attempt.response,
            endpoint_id=getattr(self.target, "endpoint_id", None),
            error_type=attempt.error_type,
        )


class TargetOptions:
    """Per-hook overrides; ``None`` falls back to the ``SIGNALHOOKS`` setting at delivery time."""

    #: ``True``: deliveries must arrive in the order the engine accepted them (SNS FIFO
    #: topics). The engine then runs one send at a time for this target and retries at
    #: the front of its queue. (Per-object order of durable rows is another thing: see
    #: ``Delivery.order_key``.)
    fifo: bool = False
    #: Deliveries per second for the sum of every process that sends (durable rows: a
    #: shared limit in the database; others: per process), or ``None``: unlimited.
    rate_limit: float | None = None

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_attempts: int | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self._timeout = timeout
        self._max_attempts = max_attempts
        self.max_in_flight = max_in_flight

    @property
    def timeout(self) -> float:
        return conf.settings().timeout if self._timeout is None else float(self._timeout)

    @property
    def max_attempts(self) -> int | None:
        return self._max_attempts
