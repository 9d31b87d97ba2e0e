"""``path("webhooks/", include("signalhooks.portal.urls"))``: the pages and the JSON API.

The paths are fixed, so that a project can link to them; the names are in the
``signalhooks_portal`` namespace (``reverse("signalhooks_portal:endpoint_detail",
args=[pk])``).
"""

from django.urls import path

from . import actions, api, pages

#: The namespace of the portal's URL names.
app_name = "signalhooks_portal"

#: The pages and the JSON API, at fixed paths under the one the project mounts them at.
urlpatterns = [
    path("", pages.endpoint_list, name="endpoint_list"),
    path("new/", pages.endpoint_create, name="endpoint_create"),
    path("<int:pk>/", pages.endpoint_detail, name="endpoint_detail"),
    path("<int:pk>/edit/", pages.endpoint_edit, name="endpoint_edit"),
    path("<int:pk>/delete/", pages.endpoint_delete, name="endpoint_delete"),
    path("<int:pk>/rotate/", actions.endpoint_rotate, name="endpoint_rotate"),
    path("<int:pk>/test/", actions.endpoint_test, name="endpoint_test"),
    path("<int:pk>/enable/", actions.endpoint_enable, name="endpoint_enable"),
    path("<int:pk>/disable/", actions.endpoint_disable, name="endpoint_disable"),
    path("<int:pk>/replay/", actions.endpoint_replay, name="endpoint_replay"),
    path("attempts/<int:pk>/", pages.attempt_detail, name="attempt_detail"),
    path("event-types/", pages.event_types, name="event_types"),
    path("api/endpoints/", api.endpoints, name="api_endpoints"),
    path("api/endpoints/<int:pk>/", api.endpoint, name="api_endpoint"),
    path(
        "api/endpoints/<int:pk>/rotate-secret/",
        api.endpoint_rotate_secret,
        name="api_endpoint_rotate_secret",
    ),
    path("api/endpoints/<int:pk>/enable/", api.endpoint_enable, name="api_endpoint_enable"),
    path("api/endpoints/<int:pk>/disable/", api.endpoint_disable, name="api_endpoint_disable"),
    path("api/endpoints/<int:pk>/test/", api.endpoint_test, name="api_endpoint_test"),
    path("api/endpoints/<int:pk>/replay/", api.endpoint_replay, name="api_endpoint_replay"),
    path("api/endpoints/<int:pk>/attempts/", api.endpoint_attempts, name="api_endpoint_attempts"),
    path("api/attempts/<int:pk>/", api.attempt, name="api_attempt"),
    path("api/event-types/", api.event_types, name="api_event_types"),
    path("api/openapi.json", api.openapi, name="api_openapi"),
]

__all__ = ["app_name", "urlpatterns"]
