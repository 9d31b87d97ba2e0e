"""URLs of the portal benchmark."""

from django.urls import include, path

urlpatterns = [path("webhooks/", include("signalhooks.portal.urls"))]
