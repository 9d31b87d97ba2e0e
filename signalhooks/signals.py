"""Django signals that report the final outcome of every delivery.

Receivers are called from signalhooks' own *outcome thread*, never from the
delivery event loop, so they may use the ORM and may block without slowing
deliveries down. Each receives ``result`` (a :class:`~signalhooks.DeliveryResult`)
and ``hook`` (the hook that produced the delivery); ``sender`` is the hook's class.
"""

from django.dispatch import Signal

__all__ = ["delivery_failed", "delivery_succeeded"]

#: Sent once per (event, target) that was delivered (2xx / SNS accepted).
delivery_succeeded = Signal()

#: Sent once per (event, target) that failed for good: attempts exhausted, a
#: non-retryable answer, a payload that could not be built, or a full queue.
delivery_failed = Signal()
