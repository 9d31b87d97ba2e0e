"""Django settings for the test suite: a real project with a real model.

SQLite is a *file* database so that the engine's threads see committed rows.
"""

import importlib.util
import os
import tempfile

from tests.support import project
from tests.support.ports import free_port

SECRET_KEY = "signalhooks-tests"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = list(project.APPS)
_DB_DIR = os.environ.get("SIGNALHOOKS_TEST_DB_DIR") or tempfile.mkdtemp(prefix="signalhooks-")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(_DB_DIR, "default.sqlite3"),
        "TEST": {"NAME": os.path.join(_DB_DIR, "test-default.sqlite3")},
    },
    # A second database: hooks must follow the transaction of the instance's alias.
    "other": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(_DB_DIR, "other.sqlite3"),
        "TEST": {"NAME": os.path.join(_DB_DIR, "test-other.sqlite3")},
    },
}
# The durable outbox tests (``@pytest.mark.postgres``) use a second alias on the real
# PostgreSQL server; without SIGNALHOOKS_TEST_POSTGRES=1 they are skipped (conftest).
if os.environ.get("SIGNALHOOKS_TEST_POSTGRES") == "1":
    DATABASES["pg"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test",
        "HOST": os.environ.get("SIGNALHOOKS_TEST_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("SIGNALHOOKS_TEST_PG_PORT", "5432"),
        "USER": os.environ.get("SIGNALHOOKS_TEST_PG_USER", "postgres"),
        # pytest-django creates (and drops) this one; the outbox tests' worker
        # subprocesses are pointed at it through the environment.
        "TEST": {"NAME": os.environ.get("SIGNALHOOKS_TEST_PG_NAME", "test_test")},
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Django Tasks mode (tests/integration/test_tasks_*.py): Django's own tasks on 6.0+,
# the django-tasks backport on 5.2; django-tasks-db for a backend that defers.
TASKS_MODULE = "django.tasks" if importlib.util.find_spec("django.tasks") else "django_tasks"
TASKS = {
    "default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"},
    "immediate": {
        "BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend",
        "QUEUES": ["webhooks"],
    },
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["webhooks"]},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["signalhooks-tests"]},
}
if importlib.util.find_spec("django_tasks_celery"):  # Django 6.x, Python 3.12+
    TASKS["celery"] = {
        "BACKEND": "django_tasks_celery.CeleryBackend",
        "QUEUES": ["signalhooks-tests"],
        "OPTIONS": {"CELERY_APP": "tests.support.outbox_project.celery.app"},
    }
INSTALLED_APPS += ["django_tasks_db", "django_rq"]
# The task tables live on PostgreSQL with the outbox, where the workers' processes look.
DATABASE_ROUTERS = ["tests.settings.TasksRouter"] if "pg" in DATABASES else []


class TasksRouter:
    def db_for_read(self, model: type, **hints: object) -> str | None:
        return "pg" if model._meta.app_label == "django_tasks_database" else None  # type: ignore[attr-defined]

    db_for_write = db_for_read

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool | None:
        return db == "pg" if app_label == "django_tasks_database" else None


# RQ and Celery (with Redis) use a Redis server of their own, started by the tests on
# this port (tests/fleet.py), so that a test can restart it without disturbing anyone.
REDIS_PORT = os.environ.setdefault("SIGNALHOOKS_TEST_REDIS_PORT", str(free_port()))
RQ_QUEUES = {"signalhooks-tests": {"URL": f"redis://127.0.0.1:{REDIS_PORT}/0"}}
SIGNALHOOKS = {
    # Short schedules keep the suite fast; production defaults are documented in the README.
    "RETRY_BACKOFF": 0.01,
    "RETRY_BACKOFF_MAX": 0.05,
    "TIMEOUT": 5.0,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"signalhooks": {"handlers": ["null"], "level": "DEBUG", "propagate": True}},
}
