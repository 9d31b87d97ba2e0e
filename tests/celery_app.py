"""The Celery app of the Celery tests, laid out as Celery's Django guide lays it out.

``celery -A tests.celery_app worker`` finds signalhooks' task through
``autodiscover_tasks()`` alone (it imports ``signalhooks.tasks``); the broker comes
from ``SIGNALHOOKS_TEST_CELERY_BROKER`` (default: RabbitMQ on 127.0.0.1:5672).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.outbox_settings")

app = Celery("signalhooks_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.broker_url = os.environ.get(
    "SIGNALHOOKS_TEST_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//"
)
app.conf.broker_connection_retry_on_startup = True
app.conf.worker_hijack_root_logger = False
app.autodiscover_tasks()
