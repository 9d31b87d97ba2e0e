"""Settings of the example shop. Environment variables make it scriptable:

* ``SHOP_HOOKS``: how many webhook endpoints to announce orders to (default 10);
* ``SHOP_HOOK_URL``: their base URL; endpoint ``i`` is ``{SHOP_HOOK_URL}/{i}``
  (default ``http://127.0.0.1:8001/hook``);
* ``SHOP_DB``: the SQLite file (default ``shop.sqlite3`` next to ``manage.py``).
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
    "signalhooks",  # system checks and the manage.py signalhooks_send_test command
    "shop",
]
# No middleware: the load test measures the view, the ORM and the hooks, nothing else.
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "shop.urls"
ASGI_APPLICATION = "shop.asgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_DB") or BASE_DIR / "shop.sqlite3",
    }
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
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # One line per failed delivery; set "INFO" to see every delivery.
    "loggers": {"signalhooks": {"handlers": ["console"], "level": "WARNING"}},
}
