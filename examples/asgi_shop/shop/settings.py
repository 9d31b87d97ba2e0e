"""Settings of the example shop. Environment variables make it scriptable:

* ``SHOP_HOOKS``: how many webhook endpoints to announce orders to (default 10);
* ``SHOP_HOOK_URL``: their base URL; endpoint ``i`` is ``{SHOP_HOOK_URL}/{i}``
  (default ``http://127.0.0.1:8001/hook``);
* ``SHOP_DB``: the SQLite file (default ``shop.sqlite3`` next to ``manage.py``);
* ``SHOP_DATABASE=postgres``: PostgreSQL instead of SQLite, database ``SHOP_PG_NAME``
  (default ``signalhooks_shop``) on ``SHOP_PG_HOST``:``SHOP_PG_PORT`` (default
  ``127.0.0.1``:``5432``) as ``SHOP_PG_USER`` (default ``postgres``; no password,
  ``PGPASSWORD`` if one is needed), through a connection pool of at most
  ``SHOP_PG_POOL`` (20) connections per process (``psycopg[pool]``);
* ``SHOP_LOCAL_ENDPOINTS=1``: customers may point endpoints at this machine (the SSRF
  guard of endpoint URLs off), to try the portal with a receiver on 127.0.0.1;
* ``SHOP_WORKER_ONLY=1``: every hook is durable and the shop only writes outbox rows
  (``DURABLE`` on, ``DURABLE_INLINE`` off); ``python manage.py signalhooks_worker``
  processes, with the same environment, send them. On PostgreSQL each commit that
  wrote rows wakes them with ``NOTIFY``; elsewhere they poll.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "asgi-shop-example-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",  # the customers' logins, and the portal's owners
    "django.contrib.sessions",
    "django.contrib.messages",  # the portal's notices after a change
    "signalhooks",  # the portal, the outbox and endpoints, checks and commands
    "shop",
]
# What the customers' pages need. The order view is CSRF-exempt (an API for the load
# test), and these cost it nothing until it reads the session.
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's templates first: its signalhooks/portal/base.html puts the
        # portal inside the shop's layout.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/webhooks/"
ROOT_URLCONF = "shop.urls"
ASGI_APPLICATION = "shop.asgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_DB") or BASE_DIR / "shop.sqlite3",
    }
}
SHOP_PG_POOL = int(os.environ.get("SHOP_PG_POOL", "20"))
if os.environ.get("SHOP_DATABASE") == "postgres":
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("SHOP_PG_NAME", "signalhooks_shop"),
        "HOST": os.environ.get("SHOP_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("SHOP_PG_PORT", "5432"),
        "USER": os.environ.get("SHOP_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        # Under ASGI every request runs its ORM calls in a thread of its own, so
        # without a pool each request opens (and closes) a connection; the pool also
        # caps a process's connections below the server's max_connections, making
        # requests wait for one instead of failing when the shop is overloaded.
        "OPTIONS": {"pool": {"min_size": 4, "max_size": SHOP_PG_POOL, "timeout": 30}},
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SHOP_HOOKS = int(os.environ.get("SHOP_HOOKS", "10"))
SHOP_HOOK_URL = os.environ.get("SHOP_HOOK_URL", "http://127.0.0.1:8001/hook")

SIGNALHOOKS = {
    # Slow receivers need many requests in flight to keep up: at 100 orders/s, 2
    # events per order and 10 endpoints answering in 200 ms, 400 are in flight.
    "MAX_IN_FLIGHT": 1000,
    "MAX_IN_FLIGHT_PER_TARGET": 100,
    "TIMEOUT": 5.0,
    # The customer portal's owner is the logged-in customer (request.user), the default:
    # "PORTAL_OWNER": "shop.owners.customer" would name a callable owner(request).
}
if os.environ.get("SHOP_LOCAL_ENDPOINTS") == "1":
    SIGNALHOOKS["ENDPOINT_BLOCK_PRIVATE_ADDRESSES"] = False
if os.environ.get("SHOP_WORKER_ONLY") == "1":
    # Rows in the view's transaction, sent by signalhooks_worker processes only.
    SIGNALHOOKS |= {"DURABLE": True, "DURABLE_INLINE": False}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # One line per failed delivery; set "INFO" to see every delivery.
    "loggers": {"signalhooks": {"handlers": ["console"], "level": "WARNING"}},
}
