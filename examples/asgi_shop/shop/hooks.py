"""Announce orders to ``settings.SHOP_HOOKS`` webhook endpoints.

Every endpoint gets two events per order, both from *sync* hooks, which only
snapshot the event and hand it to signalhooks' background loop:

* ``shop.Order:created`` from ``post_save`` (sent inside ``Order.objects.acreate``);
* ``shop.order_placed`` from the custom signal the view awaits with ``asend()``.

A slow endpoint therefore never slows the view down. (``hook.async_receiver``
is the other choice for ``asend()``: it waits for the delivery's outcome, for
code that needs it.)

Customers add their own endpoints in the webhook portal (``/webhooks/``); the
``EndpointsHook`` sends each order to the endpoints of the customer who placed it.
"""

from django.conf import settings
from django.db.models.signals import post_save

from signalhooks.hooks import EndpointsHook, HTTPSignalHook

from .models import Order
from .signals import order_placed

for i in range(settings.SHOP_HOOKS):
    url = f"{settings.SHOP_HOOK_URL}/{i}"
    post_save.connect(HTTPSignalHook(url), sender=Order)
    order_placed.connect(HTTPSignalHook(url, event="shop.order_placed"))

post_save.connect(EndpointsHook(owner=lambda order: order.customer), sender=Order)
