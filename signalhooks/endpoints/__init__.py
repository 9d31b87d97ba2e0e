"""Endpoints stored in the database: subscriptions that change without a deploy.

Stage 3 (accept) and below, beside :mod:`signalhooks.accept`: ``models`` (the
:class:`~signalhooks.models.Endpoint` table and its revision row), ``patterns``
(event-type patterns), ``validators`` (URLs, headers, secrets), ``index`` (the
per-process cache of endpoints, as routes and targets), ``target`` (one endpoint's
HTTP target: signing with its secret, its headers, its rate limit), ``health``
(410 Gone, disabling endpoints that keep failing), ``log`` (attempts log, success
rate, replay), ``probe`` (test events) and ``admin``.

``signalhooks.hooks.EndpointsHook`` builds on this package. The modules it imports
(``index``, ``target``, ``health``, ``patterns``, ``validators``) import no model at
import time: the hooks may be imported before Django's apps are ready.
"""
