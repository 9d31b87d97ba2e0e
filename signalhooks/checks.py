"""Django system checks (``manage.py check``): misconfiguration found before traffic is.

Constructors already reject what they can see (``ImproperlyConfigured``); these
checks cover what only the settings and the finished project reveal.

========================  =====================================================
``signalhooks.E001``      ``SIGNALHOOKS`` is not a dict
``signalhooks.E002``      ``SIGNALHOOKS`` has a key signalhooks does not know
``signalhooks.E003``      a ``SIGNALHOOKS`` value has the wrong type or range
``signalhooks.E004``      ``HTTP_TRANSPORT="httpx"`` but neither httpx2 nor httpx imports
``signalhooks.E005``      an HTTP hook's URL is not an http(s) URL with a host
``signalhooks.E006``      an HTTP hook's method cannot carry the JSON body
``signalhooks.E007``      an SNS hook's topic ARN is malformed
``signalhooks.E008``      a durable hook, but ``"signalhooks"`` not in ``INSTALLED_APPS``
``signalhooks.E009``      an ``EndpointsHook``, but ``"signalhooks"`` not in ``INSTALLED_APPS``
``signalhooks.E010``      ``TASKS_BACKEND`` set, but no tasks framework (Django 5.2 alone)
``signalhooks.E011``      ``TASKS_BACKEND`` is not a usable alias of Django's ``TASKS`` setting
``signalhooks.E012``      that backend does not accept tasks on ``TASKS_QUEUE``
``signalhooks.E013``      a declared event type clashes with a generated one
``signalhooks.E014``      ``previous_attributes=True`` on a hook of a signal without an instance
``signalhooks.E015``      ``PORTAL_OWNER`` cannot be imported, or is not callable
``signalhooks.E016``      an ordered hook whose deliveries are not durable (``DURABLE`` off)
``signalhooks.W001``      a hook is connected to no signal, so it never fires
``signalhooks.W002``      a durable hook or an ``EndpointsHook``, but the signalhooks
                          migrations are not applied
``signalhooks.W003``      (``--deploy``) ``ENDPOINT_BLOCK_PRIVATE_ADDRESSES`` is off
``signalhooks.W004``      ``TASKS_BACKEND`` has no worker (Immediate/Dummy) and ``DEBUG`` is off
``signalhooks.W005``      an ``EndpointsHook`` sends event types the catalog cannot describe
========================  =====================================================

E013, E014 and W005 live in :mod:`signalhooks.catalog.checks`.

W002 queries the database, so like Django's own database checks it runs only
with ``manage.py check --database default`` (and before ``migrate``). It is a
warning, not an error, because an error would stop ``migrate`` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, router
from django.dispatch import Signal

from . import conf
from .hooks.wiring import all_signals, receiver_owners, signal_names
from .transports.httpx_paths import httpx_path

__all__ = ["register_checks"]

_BODY_METHODS = ("POST", "PUT", "PATCH")
_registered = False


def register_checks() -> None:
    """Register the checks once (called on import of ``signalhooks`` and from ``ready()``)."""
    global _registered
    if _registered:
        return
    register("signalhooks")(check_settings)
    register("signalhooks")(check_hooks)
    register("signalhooks")(check_tasks)
    register("signalhooks")(check_portal_owner)
    from .catalog.checks import check_catalog

    register("signalhooks")(check_catalog)
    # Only the "database" tag: Django 6.1 hands every alias to the checks of a tag run
    # without --database, and this one reads the database.
    register(Tags.database)(check_outbox_migrations)
    register(Tags.security, deploy=True)(check_endpoint_guard)
    _registered = True


# -- settings ---------------------------------------------------------------------


def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    """E001-E004: the ``SIGNALHOOKS`` dict, validated by :func:`signalhooks.conf.validate`."""
    user = getattr(settings, "SIGNALHOOKS", {})
    if not isinstance(user, dict):
        return [
            Error(
                conf.validate(user)[0],
                hint='Use a dict, e.g. SIGNALHOOKS = {"TIMEOUT": 5.0}.',
                id="signalhooks.E001",
            )
        ]
    errors = []
    reported = set()
    for key, value in user.items():
        for problem in conf.validate({key: value}):
            reported.add(problem)
            if key not in conf.SETTINGS:
                errors.append(Error(problem, hint=conf.unknown_hint(key), id="signalhooks.E002"))
            else:
                errors.append(Error(problem, hint=conf.problem_hint(key), id="signalhooks.E003"))
    for problem in conf.validate(user):  # rules about several settings together
        if problem not in reported:
            hint = "These settings cannot be combined; change one of them."
            errors.append(Error(problem, hint=hint, id="signalhooks.E003"))
    if user.get("HTTP_TRANSPORT") == "httpx" and httpx_path() is None:
        errors.append(
            Error(
                'SIGNALHOOKS["HTTP_TRANSPORT"] is "httpx" but no httpx-compatible package can '
                "be imported (httpx2 or httpx).",
                hint='pip install "signalhooks[httpx2]" (or "signalhooks[httpx]"), or use the '
                'default "aiohttp".',
                id="signalhooks.E004",
            )
        )
    return errors


def check_portal_owner(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[Error]:
    """E015: ``PORTAL_OWNER`` names no callable ``owner(request)``."""
    user = getattr(settings, "SIGNALHOOKS", {})
    path = user.get("PORTAL_OWNER") if isinstance(user, dict) else None
    if not isinstance(path, str) or not path:
        return []  # unset, or reported by check_settings
    from .portal.owner import owner_problem

    problem = owner_problem(path)
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint="Give the dotted path of a function owner(request) that returns the model "
            "instance whose endpoints the request may manage, or None.",
            id="signalhooks.E015",
        )
    ]


# -- Django Tasks mode ----------------------------------------------------------------

#: Backends that run no worker: the task runs in the committing thread, or never.
_NO_WORKER = ("ImmediateBackend", "DummyBackend")


def check_tasks(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E010-E012 and W004: a ``TASKS_BACKEND`` that cannot deliver."""
    user = getattr(settings, "SIGNALHOOKS", {})
    alias = user.get("TASKS_BACKEND") if isinstance(user, dict) else None
    if not isinstance(alias, str) or not alias:
        return []  # unset, or reported by check_settings
    from .outbox.enqueue import tasks_api

    api = tasks_api()
    if api is None:
        return [
            Error(
                f"SIGNALHOOKS['TASKS_BACKEND'] is {alias!r}, but Django's tasks framework is "
                "not available: it is part of Django 6.0+, and the django-tasks package "
                "backports it to Django 5.2.",
                hint="pip install 'signalhooks[tasks]' (or django-tasks), or upgrade Django.",
                id="signalhooks.E010",
            )
        ]
    try:
        backend = api.task_backends[alias]
    except Exception as exc:
        known = ", ".join(repr(a) for a in getattr(settings, "TASKS", {})) or "none"
        return [
            Error(
                f"SIGNALHOOKS['TASKS_BACKEND'] is {alias!r}, which is not a usable task "
                f"backend ({type(exc).__name__}: {exc}).",
                hint=f"Name an alias of settings.TASKS (configured: {known}).",
                id="signalhooks.E011",
            )
        ]
    messages: list[CheckMessage] = []
    queue = user.get("TASKS_QUEUE", conf.DEFAULTS["TASKS_QUEUE"])
    queues = getattr(backend, "queues", None)
    if queues and queue not in queues:
        messages.append(
            Error(
                f"SIGNALHOOKS['TASKS_QUEUE'] is {queue!r}, but task backend {alias!r} only "
                f"accepts the queues {sorted(queues)}.",
                hint=f"Add {queue!r} to TASKS[{alias!r}]['QUEUES'], or change TASKS_QUEUE.",
                id="signalhooks.E012",
            )
        )
    kind = type(backend).__name__
    if kind in _NO_WORKER and not settings.DEBUG:
        messages.append(
            Warning(
                f"Task backend {alias!r} is Django's {kind}, which has no worker: "
                + (
                    "each delivery runs in the thread that commits, which waits for it."
                    if kind == "ImmediateBackend"
                    else "tasks are never run, and deliveries wait for the sweep."
                ),
                hint="Use a backend with workers in production (django-tasks-db, "
                "django-tasks-rq, django-tasks-celery...).",
                id="signalhooks.W004",
            )
        )
    return messages


# -- hooks ----------------------------------------------------------------------------


def check_hooks(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E005-E009, E016 and W001 for every hook created in this process."""
    from .hooks.options import check_url as _check_url
    from .registry import all_hooks
    from .targets.http import HTTPTarget
    from .targets.sns import SNSTarget, parse_topic_arn

    hooks = all_hooks()
    messages: list[CheckMessage] = []
    for hook in hooks:
        target = hook.target
        if isinstance(target, HTTPTarget):
            try:
                _check_url(repr(hook), target.url)
            except ImproperlyConfigured as exc:
                messages.append(
                    Error(
                        str(exc),
                        hint="Give request_url as https://host/path (http:// for local receivers).",
                        obj=hook,
                        id="signalhooks.E005",
                    )
                )
            if str(target.method).upper() not in _BODY_METHODS:
                messages.append(
                    Error(
                        f"{hook!r}: HTTP method {target.method!r} cannot carry the JSON body.",
                        hint="Use request_method='post' (the default), 'put' or 'patch'.",
                        obj=hook,
                        id="signalhooks.E006",
                    )
                )
        elif isinstance(target, SNSTarget) and not (
            isinstance(target.topic_arn, str) and parse_topic_arn(target.topic_arn)
        ):
            messages.append(
                Error(
                    f"{hook!r}: {target.topic_arn!r} is not an SNS topic ARN.",
                    hint="The form is arn:aws:sns:<region>:<12-digit account>:<topic name>.",
                    obj=hook,
                    id="signalhooks.E007",
                )
            )
    for hook in hooks:
        if getattr(hook, "_order", None) is not None and not _is_durable(hook):
            messages.append(
                Error(
                    f"{hook!r} is ordered, but its deliveries are not durable: "
                    "SIGNALHOOKS['DURABLE'] is off and the hook says durable=None.",
                    hint="Per-object order needs the outbox: give the hook durable=True, or "
                    "set SIGNALHOOKS['DURABLE'] = True.",
                    obj=hook,
                    id="signalhooks.E016",
                )
            )
    if not apps.is_installed("signalhooks"):
        for hook in hooks:
            if _is_endpoints(hook):
                messages.append(
                    Error(
                        f"{hook!r} delivers to the endpoints stored in the database, but "
                        "'signalhooks' is not in INSTALLED_APPS.",
                        hint="Add 'signalhooks' to INSTALLED_APPS and run manage.py migrate.",
                        obj=hook,
                        id="signalhooks.E009",
                    )
                )
            elif _is_durable(hook):
                messages.append(
                    Error(
                        f"{hook!r} is durable: it stores events in the outbox table, but "
                        "'signalhooks' is not in INSTALLED_APPS.",
                        hint="Add 'signalhooks' to INSTALLED_APPS and run manage.py migrate.",
                        obj=hook,
                        id="signalhooks.E008",
                    )
                )
    unconnected = {id(hook): hook for hook in hooks}
    _discard_connected(unconnected, signal_names())
    if unconnected:  # rare: only then pay for a walk over every live object
        _discard_connected(unconnected, all_signals())
    for hook in unconnected.values():
        messages.append(
            Warning(
                f"{hook!r} is connected to no signal, so it never delivers anything.",
                hint="Connect it, e.g. post_save.connect(hook, sender=MyModel), in your "
                "AppConfig.ready(); connect hook.async_receiver for signals sent with asend().",
                obj=hook,
                id="signalhooks.W001",
            )
        )
    return messages


def _is_durable(hook: object) -> bool:
    durable = getattr(hook, "durable", None)
    if durable is None:
        try:
            durable = conf.settings().durable
        except ImproperlyConfigured:  # reported by check_settings
            durable = False
    return bool(durable)


def _is_endpoints(hook: object) -> bool:
    """An ``EndpointsHook`` (it rebuilds targets from the Endpoint table)."""
    return getattr(hook, "target_for", None) is not None


def _needs_tables(hook: object) -> bool:
    """A durable hook writes the outbox table; an ``EndpointsHook`` reads the endpoints."""
    return _is_durable(hook) or _is_endpoints(hook)


def _discard_connected(hooks: dict[int, Any], signals: Iterable[Signal]) -> None:
    for signal in signals:
        if not hooks:
            return
        for owner in receiver_owners(signal):
            hooks.pop(owner, None)


# -- durable outbox -----------------------------------------------------------------


def check_outbox_migrations(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[Warning]:
    """W002: durable hooks (or an ``EndpointsHook``) exist and migrations are not applied."""
    from .registry import all_hooks

    if not databases or not apps.is_installed("signalhooks"):
        return []
    if not any(_needs_tables(hook) for hook in all_hooks()):
        return []
    from django.db.migrations.loader import MigrationLoader

    warnings = []
    for alias in databases:
        if not router.allow_migrate(alias, "signalhooks"):
            continue
        try:
            loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
        except DatabaseError:  # no database to look at: nothing we can say
            continue
        applied = loader.applied_migrations or {}
        missing = sorted(
            name
            for app, name in loader.graph.nodes
            if app == "signalhooks" and (app, name) not in applied
        )
        if missing:
            warnings.append(
                Warning(
                    f"Durable hooks and EndpointsHook need signalhooks' tables, but these "
                    f"migrations are not applied to database {alias!r}: {', '.join(missing)}.",
                    hint=f"Run: python manage.py migrate signalhooks --database {alias}",
                    id="signalhooks.W002",
                )
            )
    return warnings


# -- endpoints ----------------------------------------------------------------------


def check_endpoint_guard(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[Warning]:
    """W003 (``check --deploy``): the SSRF guard of endpoint URLs is switched off."""
    try:
        guarded = conf.settings().endpoint_block_private_addresses
    except ImproperlyConfigured:  # reported by check_settings
        return []
    if guarded:
        return []
    return [
        Warning(
            "SIGNALHOOKS['ENDPOINT_BLOCK_PRIVATE_ADDRESSES'] is False: endpoint URLs (often "
            "typed by your users) may point at loopback, private or cloud-metadata addresses.",
            hint="Remove the setting (it defaults to True) unless every endpoint is trusted.",
            id="signalhooks.W003",
        )
    ]
