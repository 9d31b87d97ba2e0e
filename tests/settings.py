"""Django settings for the test suite: a real project with a real model.

SQLite is a *file* database so that the engine's threads see committed rows.
"""

import importlib.util
import os
import tempfile

SECRET_KEY = "signalhooks-tests"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "signalhooks",
    "tests.testapp",
]
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
}
INSTALLED_APPS += ["django_tasks_db"]
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
