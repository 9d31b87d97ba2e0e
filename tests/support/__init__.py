"""What the tests and the benchmarks share: run by both, so importable by both.

Nothing here imports pytest, and what it imports at module level is in both the ``dev``
and the ``bench`` extras (``./scripts/demo`` installs only the latter). The benchmarks
import from this package and from nothing else under ``tests/``.

- :mod:`.ports`: a free port, and whether something listens on one.
- :mod:`.waiting`: waiting on a condition that nothing can notify.
- :mod:`.processes`: child processes with their output in a file, stopped with SIGTERM
  and killed after a timeout.
- :mod:`.workers`: the worker processes (``signalhooks_worker``, the task backends'
  workers, the example shop), started as their documentation starts them.
- :mod:`.http_sink`: the one HTTP/1.1 sink; :mod:`.recording` runs it in-process and
  records every request (the tests' receiver, :mod:`.received` is what it records),
  :mod:`.sink_process` as a process of its own that only counts (the benchmarks' sink).
- :mod:`.project`: the test project's apps, and the middleware and templates of a
  project with logins; :mod:`.outbox_project`: the Django project of the worker
  processes (settings, the hooks it makes at startup, the Celery app).
- :mod:`.rows`: durable outbox rows made directly, many at a time.
"""
