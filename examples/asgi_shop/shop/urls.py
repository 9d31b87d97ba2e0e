from django.urls import include, path

from . import views

urlpatterns = [
    path("orders", views.place_order),
    path("stats", views.stats),
    # The customers' own login, and the webhook portal behind it.
    path("accounts/", include("django.contrib.auth.urls")),
    path("webhooks/", include("signalhooks.portal.urls")),
]
