"""Settings of the outbox benchmark: PostgreSQL database ``BENCH_OUTBOX_DB`` on 127.0.0.1."""

import json
import os

SECRET_KEY = "signalhooks-bench"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "signalhooks", "benchmarks.outboxapp"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BENCH_OUTBOX_DB", "signalhooks_bench"),
        "HOST": os.environ.get("BENCH_OUTBOX_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_OUTBOX_PORT", "5432"),
        "USER": os.environ.get("BENCH_OUTBOX_USER", "postgres"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# phase_fleet: the task backends (BENCH_TASKS), their apps, RQ on the machine's Redis.
TASKS = json.loads(os.environ.get("BENCH_TASKS", "{}")) or {
    "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
}
if "db" in TASKS:
    INSTALLED_APPS += ["django_tasks_db"]
if "rq" in TASKS:
    INSTALLED_APPS += ["django_rq"]
RQ_QUEUES = {
    "signalhooks-bench": {"URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")}
}
SIGNALHOOKS = {"TIMEOUT": 10.0, **json.loads(os.environ.get("BENCH_SIGNALHOOKS", "{}"))}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "WARNING"}},
    "loggers": {"signalhooks": {"handlers": ["console"], "level": "WARNING"}},
}
