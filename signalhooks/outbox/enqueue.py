"""Django Tasks mode's side of the broker: the task objects, and enqueueing outbox rows.

A backend's worker finds a task by the import path of its function (Celery by the
name it was registered under, which is the same path), and brokers store that path
in every message. So the tasks the outbox enqueues are functions of
:mod:`signalhooks.tasks`, a stable name (``signalhooks.tasks.deliver``,
``signalhooks.tasks.adeliver``) whatever moves inside the package; the paths of
earlier releases stay tasks too, so that messages already queued still run.

:func:`outbox_task` makes a function a task of the configured backend
(``TASKS_BACKEND``, ``TASKS_QUEUE``) in the module that defines it, and makes it again
there when the settings change (tests), since that module is where workers look.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from types import ModuleType
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from .. import conf

__all__ = ["CHUNK", "backend", "can_defer", "enqueue", "outbox_task", "tasks_api"]

logger = logging.getLogger("signalhooks")

#: Most rows one task carries.
CHUNK = 100

_api: list[ModuleType | None] = []


def tasks_api() -> ModuleType | None:
    """``django.tasks`` (Django 6.0+), the ``django_tasks`` backport, or ``None``."""
    if not _api:
        found = None
        for name in ("django.tasks", "django_tasks"):
            try:
                found = importlib.import_module(name)
                break
            except ImportError:
                continue
        _api.append(found)
    return _api[0]


def backend(alias: str | None = None) -> Any:
    """The task backend of ``alias`` (default ``TASKS_BACKEND``); raises if unusable."""
    api = tasks_api()
    if api is None:
        raise RuntimeError(
            "SIGNALHOOKS['TASKS_BACKEND'] needs Django's tasks framework: Django 6.0+, "
            "or the django-tasks backport on Django 5.2"
        )
    return api.task_backends[alias or conf.settings().tasks_backend]


def can_defer() -> bool:
    """Whether the backend runs a task at a given time (a retry waits for its task)."""
    try:
        return conf.settings().tasks_backend is not None and bool(backend().supports_defer)
    except Exception:  # reported by the system checks; the schedule still holds
        return False


# -- the task objects ----------------------------------------------------------------

#: Every task function, and what its module holds under its name now.
_made: dict[Callable[..., Any], Any] = {}
#: The functions new rows are enqueued as, by name ("deliver", "adeliver").
_enqueued: dict[str, Callable[..., Any]] = {}


def outbox_task(func: Callable[..., Any], *, enqueued: bool = False) -> Any:
    """``func`` made a task of the configured backend (``func`` itself without one).

    Its module is where workers find it: assign the result to the function's name
    there. ``enqueued``: new rows are enqueued as this task (:data:`signalhooks.tasks`).
    """
    made = _made[func] = _as_task(func)
    if enqueued:
        _enqueued[func.__name__] = func
    return made


def _as_task(func: Callable[..., Any], chosen: Any = None) -> Any:
    try:
        settings = conf.settings()
        if settings.tasks_backend is None:
            return func
        chosen = chosen or backend()
        if inspect.iscoroutinefunction(func) and not chosen.supports_async_task:
            return func
        api = tasks_api()
        assert api is not None
        return api.task(backend=settings.tasks_backend, queue_name=settings.tasks_queue)(func)
    except Exception as exc:  # reported by the system checks
        logger.debug("signalhooks: no task for %s: %s", func.__name__, exc)
        return func


@receiver(setting_changed)
def _rebuild(*, setting: str, **kwargs: Any) -> None:
    """Tests: tasks made for the new backend, where a worker in the test process looks.

    Runs after :mod:`signalhooks.conf` has dropped its cache: receivers run in the order
    they were connected, and that module is imported before this one.
    """
    if setting in ("SIGNALHOOKS", "TASKS"):
        for func in _made:
            _made[func] = _as_task(func)
            setattr(sys.modules[func.__module__], func.__name__, _made[func])


# -- enqueueing ------------------------------------------------------------------------


def enqueue(
    using: str, items: Sequence[tuple[int, int]], *, run_after: datetime | None = None
) -> int:
    """Enqueue tasks for ``(row id, attempts)`` pairs, :data:`CHUNK` rows per task.

    Returns how many rows were handed to the backend (none for no pairs). A failure is
    logged, never raised: the rows stay pending and the sweep enqueues them once they
    are overdue.
    """
    handed = 0
    if not items:
        return 0
    try:
        task = _task_for(run_after)
        for start in range(0, len(items), CHUNK):
            chunk = [[row_id, attempts] for row_id, attempts in items[start : start + CHUNK]]
            task.enqueue(using, chunk)
            handed += len(chunk)
    except Exception as exc:
        logger.error(
            "signalhooks: enqueueing %d outbox rows on tasks backend %r failed (%s: %s); "
            "they are delivered once overdue (signalhooks_worker --sweep)",
            len(items) - handed,
            conf.settings().tasks_backend,
            type(exc).__name__,
            exc,
        )
    return handed


def _task_for(run_after: datetime | None) -> Any:
    chosen = backend()
    func = _enqueued.get("adeliver" if chosen.supports_async_task else "deliver")
    if func is None:
        raise RuntimeError("signalhooks.tasks is not imported: is 'signalhooks' installed?")
    base = _made[func]
    if not hasattr(base, "using"):  # made before TASKS_BACKEND was set (tests)
        base = _as_task(func, chosen)
    settings = conf.settings()
    return base.using(
        backend=settings.tasks_backend, queue_name=settings.tasks_queue, run_after=run_after
    )
