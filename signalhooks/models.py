"""Models of the optional ``signalhooks`` app: the durable outbox, its attempts, the endpoints."""

from .endpoints.models import Endpoint, EndpointRevision
from .outbox.limits import RateLimit
from .outbox.models import DeliveryAttempt, OutboxDelivery

__all__ = ["DeliveryAttempt", "Endpoint", "EndpointRevision", "OutboxDelivery", "RateLimit"]
