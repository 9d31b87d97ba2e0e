"""Settings of the worker processes (and of a benchmark process that writes their rows).

From the environment (:func:`tests.support.workers.outbox_env` writes it):

- ``SIGNALHOOKS_OUTBOX_DB``: the database, as JSON; also under the alias ``pg``, the
  one the test process writes the rows on (tasks name the alias of their rows);
- ``SIGNALHOOKS_OUTBOX_HOOKS``, ``SIGNALHOOKS_OUTBOX_ENDPOINTS``: the hooks (:mod:`.apps`);
- ``SIGNALHOOKS_OUTBOX_SETTINGS``: ``SIGNALHOOKS`` (short leases and schedules);
- ``SIGNALHOOKS_OUTBOX_TASKS``: Django Tasks mode, ``{"apps", "TASKS", "RQ_QUEUES"}``;
- ``SIGNALHOOKS_OUTBOX_LOG_LEVEL``: of the ``signalhooks`` logger, on stderr.
"""

import json
import os

from tests.support import project

SECRET_KEY = "signalhooks-tests"
USE_TZ = True
INSTALLED_APPS = [*project.APPS, "tests.support.outbox_project"]
DATABASES = {"default": json.loads(os.environ["SIGNALHOOKS_OUTBOX_DB"])}
DATABASES["pg"] = dict(DATABASES["default"])
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
