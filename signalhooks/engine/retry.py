"""When the next attempt happens: pure arithmetic, no I/O.

Two policies, one per way of delivering:

* in process (:class:`RetryPolicy`): exponential backoff with full jitter, up to
  ``max_attempts``; the engine's lanes park a retry with ``loop.call_later``, so a
  waiting retry holds no concurrency slot (which a decorator-style retry library
  such as tenacity cannot express);
* durable (:func:`decide`): ``DURABLE_RETRY_SCHEDULE``, what one attempt's outcome
  does to its outbox row (delivered, dead, or due again at a time); an endpoint's
  ``max_attempts`` ends the schedule early (:func:`durable_max_attempts`).

Both honour ``Retry-After`` (capped by ``RETRY_AFTER_MAX``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import conf
from ..outcome.results import Attempt
from ..targets.base import Target

__all__ = [
    "Decision",
    "RetryPolicy",
    "decide",
    "durable_max_attempts",
    "first_delay",
    "retry_policy",
    "schedule",
]


# -- in process ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by ``max_attempts``."""

    max_attempts: int
    backoff: float
    backoff_max: float
    retry_after_max: float

    def delay(self, attempts_made: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up."""
        if attempts_made >= self.max_attempts:
            return None
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max)
        ceiling = min(self.backoff_max, self.backoff * 2 ** (attempts_made - 1))
        return random.uniform(0, ceiling)


def retry_policy(max_attempts: int | None) -> RetryPolicy:
    """The policy of a target whose ``max_attempts`` option is given (``None``: the setting)."""
    settings = conf.settings()
    return RetryPolicy(
        max_attempts=max_attempts or settings.max_attempts,
        backoff=settings.retry_backoff,
        backoff_max=settings.retry_backoff_max,
        retry_after_max=settings.retry_after_max,
    )


# -- durable ------------------------------------------------------------------------

#: Each delay is spread by up to a tenth either way, so that rows that failed together do
#: not retry together.
JITTER = 0.1


@dataclass(frozen=True, slots=True)
class Decision:
    """The row's next state after one attempt."""

    status: str  # OutboxDelivery.PENDING / DELIVERED / DEAD
    next_attempt_at: datetime | None  # set when status is pending
    error: str  # "" when delivered

    @property
    def final(self) -> bool:
        return self.status != "pending"


def schedule() -> Sequence[float]:
    """``SIGNALHOOKS["DURABLE_RETRY_SCHEDULE"]``; the default is Svix's schedule, from at
    once to ten hours apart (``conf.DEFAULTS``)."""
    return conf.settings().durable_retry_schedule


def first_delay() -> float:
    """Seconds before the first attempt (``schedule[0]``, normally 0: at once)."""
    return schedule()[0]


def durable_max_attempts(target: Target) -> int | None:
    """The most attempts of ``target``'s outbox rows: an endpoint's ``max_attempts``.

    ``None``: every step of the schedule. A code hook's ``max_attempts`` counts its
    in-process attempts only; its durable rows follow the whole schedule.
    """
    return target.max_attempts if getattr(target, "endpoint_id", None) is not None else None


def decide(
    attempts_made: int, attempt: Attempt, now: datetime, max_attempts: int | None = None
) -> Decision:
    """Delivered, dead, or pending until ``schedule[attempts_made]`` (or Retry-After) from now.

    ``attempts_made`` counts this attempt. ``max_attempts`` keeps only the first that
    many steps of the schedule (more than it has: the whole schedule). Retry-After is
    honoured as a lower bound (capped by ``RETRY_AFTER_MAX``): the schedule may wait
    longer, never shorter.
    """
    if attempt.ok:
        return Decision("delivered", None, "")
    error = attempt.error or (f"HTTP {attempt.status}" if attempt.status else "failed")
    steps = schedule()
    if not attempt.retryable:
        return Decision("dead", None, f"{error} (not retryable)")
    if attempts_made >= min(len(steps), max_attempts or len(steps)):
        return Decision("dead", None, f"{error} (gave up after {attempts_made} attempts)")
    delay = steps[attempts_made] * random.uniform(1 - JITTER, 1 + JITTER)
    if attempt.retry_after is not None:
        delay = max(delay, min(attempt.retry_after, conf.settings().retry_after_max))
    return Decision("pending", now + timedelta(seconds=delay), error)
