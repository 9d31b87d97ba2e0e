"""The outbox's Django tasks, where task workers look for them.

Celery's ``app.autodiscover_tasks()`` imports ``<app>.tasks`` of every installed app;
importing this module creates the tasks of Django Tasks mode
(``SIGNALHOOKS["TASKS_BACKEND"]``) with the configured backend, which registers them
with that backend (django-tasks-celery registers them with the Celery app). Other
backends' workers import :mod:`signalhooks.outbox.task` by the task's own path.
"""

from .outbox.task import adeliver, deliver

__all__ = ["adeliver", "deliver"]
