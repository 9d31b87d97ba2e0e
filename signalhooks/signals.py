"""Django signals that report the final outcome of every delivery, and endpoint health.

Receivers are called from signalhooks' own background threads (the *outcome thread*,
or the endpoint health thread), never from the delivery event loop, so they may use
the ORM and may block without slowing deliveries down.

``delivery_succeeded`` / ``delivery_failed`` receive ``result`` (a
:class:`~signalhooks.DeliveryResult`) and ``hook`` (the hook that produced the
delivery); ``sender`` is the hook's class.
"""

from django.dispatch import Signal

__all__ = ["delivery_failed", "delivery_succeeded", "endpoint_disabled"]

#: Sent once per (event, target) that was delivered (2xx / SNS accepted).
delivery_succeeded = Signal()

#: Sent once per (event, target) that failed for good: attempts exhausted, a
#: non-retryable answer, a payload that could not be built, or a full queue.
delivery_failed = Signal()

#: Sent once when an endpoint (:class:`signalhooks.models.Endpoint`) is disabled: it
#: answered ``410 Gone``, every delivery to it failed for ``ENDPOINT_DISABLE_AFTER``,
#: or ``Endpoint.disable()`` was called (the admin's *Disable* action). Receivers get
#: ``endpoint`` (the disabled instance) and ``reason`` (text, also stored in
#: ``endpoint.disabled_reason``); ``sender`` is the ``Endpoint`` class.
endpoint_disabled = Signal()
