"""Admin registration (imported by ``admin.autodiscover()`` when the admin is installed)."""

from django.contrib import admin

from .endpoints.admin import EndpointAdmin
from .endpoints.models import Endpoint
from .outbox.admin import OutboxDeliveryAdmin
from .outbox.models import OutboxDelivery

admin.site.register(OutboxDelivery, OutboxDeliveryAdmin)
admin.site.register(Endpoint, EndpointAdmin)

__all__ = ["EndpointAdmin", "OutboxDeliveryAdmin"]
