"""Django settings for the benchmarks.

A temp-file SQLite database (not ``:memory:``) so that the library's delivery thread sees
the same tables as the caller's thread; ``common.setup_django`` creates them with
``migrate --run-syncdb`` (ContentType lookups need ``django_content_type``).
``BENCH_SIGNALHOOKS`` (a JSON object in the environment) overrides the library settings
per phase, so the orchestrator can vary ``HTTP_TRANSPORT`` or ``TIMEOUT`` without a
settings module per variant.
"""

import atexit
import json
import os
import shutil
import tempfile

SECRET_KEY = "signalhooks-bench"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "benchmarks.benchapp.apps.BenchAppConfig",
]
_DB_DIR = tempfile.mkdtemp(prefix="signalhooks-bench-")
atexit.register(shutil.rmtree, _DB_DIR, True)
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_DB_DIR, "db.sqlite3")}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SIGNALHOOKS = {
    "TIMEOUT": 10.0,
    "MAX_ATTEMPTS": 3,
    **json.loads(os.environ.get("BENCH_SIGNALHOOKS", "{}")),
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "WARNING"}},
    "loggers": {"signalhooks": {"handlers": ["console"], "level": "WARNING"}},
}
