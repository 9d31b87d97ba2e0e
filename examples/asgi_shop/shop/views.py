from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

import signalhooks

from .models import Order
from .signals import order_placed


@csrf_exempt
async def place_order(request: HttpRequest) -> JsonResponse:
    """POST /orders?item=pizza&quantity=2: store the order, announce it, answer 201.

    A signed-in customer's order goes to their endpoints too.
    """
    item = request.GET.get("item", "pizza")
    quantity = int(request.GET.get("quantity", "1"))
    user = await request.auser()
    customer = user if user.is_authenticated else None
    order = await Order.objects.acreate(item=item, quantity=quantity, customer=customer)
    await order_placed.asend(sender=Order, order_id=order.pk, item=item, quantity=quantity)
    return JsonResponse({"order": order.pk}, status=201)


async def stats(request: HttpRequest) -> JsonResponse:
    """GET /stats: signalhooks' delivery counters, e.g. for a health check."""
    return JsonResponse(signalhooks.stats())
