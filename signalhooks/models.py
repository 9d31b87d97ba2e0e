"""Models of the optional ``signalhooks`` app: the durable outbox table."""

from .outbox.models import OutboxDelivery

__all__ = ["OutboxDelivery"]
