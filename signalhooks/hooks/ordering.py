"""``ordered=`` and ``order_key=``: which object an event belongs to, for per-object order.

The events of one object reach an ordered target one at a time, in commit order
(:mod:`signalhooks.outbox.ordering`). The object of a model signal is its instance
(``app_label.model:<pk>``, the concrete model's label, so a proxy shares its model's
order). ``order_key="order_id"`` names a signal argument instead, for custom signals
(or to order a model's events by another object): a model instance in it is that
instance (``shop.order:7``, the same key as the order's own events), anything else is
``"<argument>=<value>"``. An event without either (a custom signal sent without an
instance, with no ``order_key``) is ordered with every event of its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model

__all__ = ["ObjectOrder", "object_key"]


def object_key(value: Model) -> str:
    concrete = value._meta.concrete_model or type(value)
    return f"{concrete._meta.label_lower}:{value.pk}"


class ObjectOrder:
    """Finds the object of each event of a hook; see the module docstring."""

    __slots__ = ("argument",)

    def __init__(self, owner: str, order_key: object, durable: bool | None) -> None:
        if order_key is not None and not (isinstance(order_key, str) and order_key.isidentifier()):
            raise ImproperlyConfigured(
                f"{owner}: order_key= must name a keyword argument of the signal, such as "
                f"'order_id', not {order_key!r}"
            )
        if durable is False:
            raise ImproperlyConfigured(
                f"{owner}: per-object order needs durable delivery (the outbox orders the "
                "rows of each object); use durable=True, or None with "
                "SIGNALHOOKS['DURABLE'] = True"
            )
        self.argument = order_key

    def key_for(self, kwargs: Mapping[str, Any], event_name: str) -> str:
        """The object of an event sent with ``kwargs``; ``LookupError`` when the argument
        ``order_key`` names is missing (the delivery is rejected and reported)."""
        name = self.argument
        if name is not None:
            if name not in kwargs:
                raise LookupError(f"order_key={name!r}: the signal was sent without {name}=")
            value = kwargs[name]
            if isinstance(value, Model) and value.pk is not None:
                return object_key(value)
            return f"{name}={value}"
        instance = kwargs.get("instance")
        if isinstance(instance, Model) and instance.pk is not None:
            return object_key(instance)
        return f"event={event_name}"
