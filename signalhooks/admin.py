"""Admin registration (imported by ``admin.autodiscover()`` when the admin is installed)."""

from django.contrib import admin

from .endpoints.admin import EndpointAdmin
from .endpoints.models import Endpoint
from .outbox.admin import DeliveryAttemptAdmin, OutboxDeliveryAdmin
from .outbox.models import DeliveryAttempt, OutboxDelivery

admin.site.register(OutboxDelivery, OutboxDeliveryAdmin)
admin.site.register(DeliveryAttempt, DeliveryAttemptAdmin)
admin.site.register(Endpoint, EndpointAdmin)

__all__ = ["DeliveryAttemptAdmin", "EndpointAdmin", "OutboxDeliveryAdmin"]
