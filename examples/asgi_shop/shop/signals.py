from django.dispatch import Signal

#: Sent by the order view with ``order_id``, ``item`` and ``quantity``.
order_placed = Signal()
