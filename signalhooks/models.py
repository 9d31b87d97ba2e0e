"""Models of the optional ``signalhooks`` app: the endpoints, the durable outbox, its attempts."""

from .endpoints.models import Endpoint, EndpointRevision
from .outbox.limits import RateLimit  # noqa: F401  (internal: imported so Django finds it)
from .outbox.models import DeliveryAttempt, OutboxDelivery

__all__ = ["DeliveryAttempt", "Endpoint", "EndpointRevision", "OutboxDelivery"]
