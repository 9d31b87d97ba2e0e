"""URLs of the admin tests: the admin site with signalhooks' models registered."""

from django.contrib import admin
from django.urls import path

import signalhooks.admin  # noqa: F401  (registers Endpoint and OutboxDelivery)

urlpatterns = [path("admin/", admin.site.urls)]
