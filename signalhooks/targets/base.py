"""What HTTP and SNS targets share: settings-backed timeout and retry policy."""

from __future__ import annotations

from .. import conf
from ..retry import RetryPolicy

__all__ = ["TargetOptions"]


class TargetOptions:
    """Per-hook overrides; ``None`` falls back to the ``SIGNALHOOKS`` setting at delivery time."""

    #: ``True``: deliveries must arrive in accept order (SNS FIFO). The scheduler then
    #: runs one send at a time for this target and retries at the front of its queue.
    ordered: bool = False

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
        return float(self._timeout if self._timeout is not None else conf.get("TIMEOUT"))

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self._max_attempts or conf.get("MAX_ATTEMPTS"),
            backoff=conf.get("RETRY_BACKOFF"),
            backoff_max=conf.get("RETRY_BACKOFF_MAX"),
            retry_after_max=conf.get("RETRY_AFTER_MAX"),
        )
