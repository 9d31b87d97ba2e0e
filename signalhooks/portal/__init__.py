"""The customer portal: pages and a JSON API where each owner manages its own endpoints.

Mounted with ``path("webhooks/", include("signalhooks.portal.urls"))``. Built on the
stages below it and imported by none of them: ``owner`` (who the customer is, and the
scope of every lookup), ``access`` (sign-in, CSRF and the API's errors), ``schema``
(the API's objects), ``forms``, ``listing`` and ``paging`` (lists in a fixed number of
queries), ``operations`` (the actions, shared by pages and API), ``events`` (the event
catalog), ``pages``, ``actions``, ``api``, ``openapi`` and ``urls``. See docs/portal.md.
"""
