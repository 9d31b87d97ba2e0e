"""Settings of the portal benchmark: PostgreSQL database ``BENCH_PORTAL_DB`` on 127.0.0.1,
with the portal mounted under ``/webhooks/`` behind Django's login (signed-cookie
sessions, so no sessions table)."""

import os

SECRET_KEY = "signalhooks-bench"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "signalhooks"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
ROOT_URLCONF = "benchmarks.portal_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BENCH_PORTAL_DB", "signalhooks_bench_portal"),
        "HOST": os.environ.get("BENCH_OUTBOX_HOST", "127.0.0.1"),
        "USER": os.environ.get("BENCH_OUTBOX_USER", "postgres"),
        "CONN_MAX_AGE": None,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SIGNALHOOKS = {"ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False}
