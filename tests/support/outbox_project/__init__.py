"""The Django project of the worker processes that the tests and the benchmarks start.

``signalhooks_worker``, the task backends' workers (``db_worker``, ``rqworker``,
``celery worker``) and the tests' app processes run on :mod:`.settings`, made from the
environment that :func:`tests.support.workers.outbox_env` writes: the database (the test
database pytest-django created, or the benchmark's), the durable hooks the project makes
at startup (:mod:`.apps`), ``SIGNALHOOKS`` and the task backends. The Celery app is
:mod:`.celery`, laid out as Celery's Django guide lays it out.
"""
