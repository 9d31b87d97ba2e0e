"""Durable delivery: a transactional outbox table drained by ``signalhooks_worker``.

Opt in per hook (``HTTPSignalHook(url, durable=True)``) or for every hook
(``SIGNALHOOKS = {"DURABLE": True}``); needs ``"signalhooks"`` in ``INSTALLED_APPS``
and ``migrate``.

* The hook inserts one :class:`~signalhooks.models.OutboxDelivery` row per
  event in the caller's transaction, on the instance's database: commit makes it
  visible, rollback removes it (:mod:`.inline`).
* After commit the in-process engine tries it at once and records the outcome from
  a background thread; a failed attempt is left to the workers' retry schedule
  (``DURABLE_RETRY_SCHEDULE``; then *dead*, with the last error kept).
* ``python manage.py signalhooks_worker`` (:mod:`.worker`) sends whatever is due:
  rows whose in-process attempt failed, and rows of a process that died before
  sending (their short lease runs out). Any number of workers share a PostgreSQL
  (or MySQL 8 / MariaDB 10.6+) table through ``FOR UPDATE SKIP LOCKED``; on SQLite
  run exactly one worker.

Delivery is at-least-once: a process or worker that dies after sending but before
recording sends again later, with the same event id (``EventId`` in the body,
``webhook-id`` when signing), which receivers use to deduplicate.

This package imports no models at import time: ``signalhooks.hooks`` depends on it.
"""
