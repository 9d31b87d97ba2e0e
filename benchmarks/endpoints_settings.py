"""Settings of the endpoints benchmark: SQLite (a temp file), or PostgreSQL with ``--pg``.

``BENCH_ENDPOINTS_PG`` set: the database ``signalhooks_bench`` on 127.0.0.1 (user
postgres), created and migrated by the phase if missing. Endpoints point at the local
sink, so the SSRF guard of endpoints is off here.
"""

import atexit
import json
import os
import shutil
import tempfile

from benchmarks.common import postgres

SECRET_KEY = "signalhooks-bench"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "signalhooks",
    "benchmarks.benchapp.apps.BenchAppConfig",
]
if os.environ.get("BENCH_ENDPOINTS_PG"):
    DATABASES = {"default": postgres(os.environ.get("BENCH_OUTBOX_DB", "signalhooks_bench"))}
else:
    _DB_DIR = tempfile.mkdtemp(prefix="signalhooks-bench-")
    atexit.register(shutil.rmtree, _DB_DIR, True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(_DB_DIR, "db.sqlite3"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SIGNALHOOKS = {
    "TIMEOUT": 10.0,
    "MAX_ATTEMPTS": 3,
    "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False,
    **json.loads(os.environ.get("BENCH_SIGNALHOOKS", "{}")),
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "WARNING"}},
    "loggers": {"signalhooks": {"handlers": ["console"], "level": "WARNING"}},
}
