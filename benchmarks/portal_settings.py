"""Settings of the portal benchmark: PostgreSQL database ``BENCH_PORTAL_DB`` on 127.0.0.1,
with the portal mounted under ``/webhooks/`` behind Django's login, in the project the
tests drive pages in (:mod:`tests.support.project`: its middleware, signed-cookie
sessions, messages and templates)."""

import os

from benchmarks.common import postgres
from tests.support import project

SECRET_KEY = "signalhooks-bench"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "signalhooks"]
MIDDLEWARE = project.MIDDLEWARE
SESSION_ENGINE = project.SESSION_ENGINE
MESSAGE_STORAGE = project.MESSAGE_STORAGE
TEMPLATES = project.templates()
ROOT_URLCONF = "benchmarks.portal_urls"
DATABASES = {
    "default": {
        **postgres(os.environ.get("BENCH_PORTAL_DB", "signalhooks_bench_portal")),
        "CONN_MAX_AGE": None,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SIGNALHOOKS = {"ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
