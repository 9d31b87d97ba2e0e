"""The Celery app of ``phase_fleet``, laid out as Celery's Django guide lays it out."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.outbox_settings")

app = Celery("signalhooks_bench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.broker_url = os.environ.get("BENCH_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
app.autodiscover_tasks()
