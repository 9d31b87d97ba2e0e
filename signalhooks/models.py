"""Models of the optional ``signalhooks`` app: the durable outbox table and the endpoints."""

from .endpoints.models import Endpoint, EndpointRevision
from .outbox.models import OutboxDelivery

__all__ = ["Endpoint", "EndpointRevision", "OutboxDelivery"]
