"""The Celery app of the worker processes, laid out as Celery's Django guide lays it out.

``celery -A tests.support.outbox_project.celery worker`` finds signalhooks' task through
``autodiscover_tasks()`` alone (it imports ``signalhooks.tasks``); the broker comes from
``SIGNALHOOKS_OUTBOX_CELERY_BROKER`` (default: RabbitMQ on 127.0.0.1:5672), and in the
test process from :func:`use_broker` once a test has a broker of its own.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.outbox_project.settings")

app = Celery("signalhooks_outbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.broker_url = os.environ.get(
    "SIGNALHOOKS_OUTBOX_CELERY_BROKER", "amqp://guest:guest@127.0.0.1:5672//"
)
app.conf.broker_connection_retry_on_startup = True
app.conf.worker_hijack_root_logger = False
# What docs/tasks.md asks of a threads-pool worker: after a broker restart, Celery's
# gradual prefetch restore sends basic.qos from the pool's threads on the connection the
# main loop reads, and the worker wedges (it no longer consumes, nor stops on SIGTERM).
app.conf.worker_enable_prefetch_count_reduction = False
app.autodiscover_tasks()


def use_broker(url: str) -> None:
    """Send this process's tasks to ``url`` from now on (a test's own RabbitMQ node).

    Celery reads ``broker_url`` when it makes its connection pools: they are dropped, as
    Celery drops them after a fork, so that the next task makes them again.
    """
    app.conf.broker_url = url
    if app._pool is not None:
        app._pool.force_close_all()
    app._after_fork()
