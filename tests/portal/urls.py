"""URLs of the portal tests: a project's own login, and the portal mounted under webhooks/."""

from django.contrib.auth.views import LoginView
from django.urls import include, path

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("webhooks/", include("signalhooks.portal.urls")),
]
