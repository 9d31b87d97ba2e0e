"""Admin registration (imported by ``admin.autodiscover()`` when the admin is installed)."""

from django.contrib import admin

from .outbox.admin import OutboxDeliveryAdmin
from .outbox.models import OutboxDelivery

admin.site.register(OutboxDelivery, OutboxDeliveryAdmin)

__all__ = ["OutboxDeliveryAdmin"]
