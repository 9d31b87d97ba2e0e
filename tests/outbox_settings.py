"""Settings of the outbox tests' subprocesses (workers, a crashing app process).

The database comes from the test process (``SIGNALHOOKS_OUTBOX_DB``: the test database
pytest-django created), hooks from ``tests.outbox_app``, and ``SIGNALHOOKS`` overrides
(short leases and schedules) from ``SIGNALHOOKS_OUTBOX_SETTINGS``.
"""

import json
import os

SECRET_KEY = "signalhooks-tests"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "signalhooks",
    "tests.testapp",
    "tests.outbox_app",
]
DATABASES = {"default": json.loads(os.environ["SIGNALHOOKS_OUTBOX_DB"])}
# Tasks name the alias the rows were written on; the test process calls it "pg".
DATABASES["pg"] = dict(DATABASES["default"])
# Django Tasks mode (tests/integration/test_tasks_workers.py): backends, their apps and
# their own settings (RQ_QUEUES...), from SIGNALHOOKS_OUTBOX_TASKS.
_tasks = json.loads(os.environ.get("SIGNALHOOKS_OUTBOX_TASKS", "{}"))
INSTALLED_APPS += _tasks.get("apps", [])
if "TASKS" in _tasks:
    TASKS = _tasks["TASKS"]
RQ_QUEUES = _tasks.get("RQ_QUEUES", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SIGNALHOOKS = {"TIMEOUT": 5.0, **json.loads(os.environ.get("SIGNALHOOKS_OUTBOX_SETTINGS", "{}"))}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "signalhooks": {
            "handlers": ["stderr"],
            "level": os.environ.get("SIGNALHOOKS_OUTBOX_LOG_LEVEL", "WARNING"),
        }
    },
}
