"""The worker processes of the tests and the benchmarks, started as their docs start them.

``signalhooks_worker`` (and ``--sweep``), django-tasks-db's ``db_worker``, django-rq's
``rqworker`` and ``celery worker`` run on the worker project
(:mod:`tests.support.outbox_project`), its environment made by :func:`outbox_env`; the
example shop (``examples/asgi_shop``) runs under uvicorn on its own settings. Each is a
:class:`~tests.support.processes.Process`: stopped with SIGTERM, killed after a timeout.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.support.ports import HOST, free_port, listening
from tests.support.processes import ROOT, Process
from tests.support.waiting import wait_until

SHOP = ROOT / "examples" / "asgi_shop"
DJANGO = [sys.executable, "-m", "django"]


def outbox_env(
    database: Mapping[str, Any],
    hooks: list[Any],
    signalhooks: Mapping[str, Any],
    tasks: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The environment of a process on the worker project (see its settings).

    ``database``: Django's settings of the database; ``hooks``: the durable hooks the
    project makes (URLs, or dicts of options); ``signalhooks``: its ``SIGNALHOOKS``;
    ``tasks``: ``{"apps": [...], "TASKS": {...}, "RQ_QUEUES": {...}}`` for task workers.
    """
    keys = ("ENGINE", "NAME", "HOST", "PORT", "USER", "PASSWORD")
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "tests.support.outbox_project.settings",
        "SIGNALHOOKS_OUTBOX_DB": json.dumps({k: database[k] for k in keys if k in database}),
        "SIGNALHOOKS_OUTBOX_HOOKS": json.dumps(hooks),
        "SIGNALHOOKS_OUTBOX_SETTINGS": json.dumps(dict(signalhooks)),
        "SIGNALHOOKS_OUTBOX_TASKS": json.dumps(dict(tasks or {})),
    }


def signalhooks_worker(env: Mapping[str, str], *args: str, cwd: Path = ROOT) -> Process:
    """``manage.py signalhooks_worker ARGS``, returned once it runs (it has printed its
    banner, ``signalhooks_worker <id> on 'default'``; with ``--sweep``, the sweeper's)."""
    process = Process([*DJANGO, "signalhooks_worker", *args], env=env, cwd=cwd)
    process.wait_for_output("signalhooks_worker ")
    return process


def worker_id(process: Process) -> str:
    """The id a ``signalhooks_worker`` holds leases under (``locked_by``), from its banner."""
    return process.wait_for_output("signalhooks_worker ").split()[1]


def task_worker(backend: str, queue: str, env: Mapping[str, str]) -> Process:
    """One worker process of the task backend ``backend`` ("db", "rq" or "celery")
    consuming ``queue``, as its documentation starts one."""
    if backend == "db":
        command = [*DJANGO, "db_worker", "--backend", "db", "--queue-name", queue]
        command += ["--interval", "0.05", "--no-startup-delay", "--no-reload"]
    elif backend == "rq":
        # SimpleWorker runs jobs in its own process (the default Worker forks per job).
        command = [*DJANGO, "rqworker", queue, "--with-scheduler"]
        command += ["--worker-class", "rq.worker.SimpleWorker"]
        command += ["--job-class", "django_tasks_rq.Job"]
    elif backend == "celery":
        app = "tests.support.outbox_project.celery"
        command = [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queue]
        command += ["--pool", "threads", "--concurrency", "8", "-l", "warning"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        # A node name of its own: two workers named alike fight over their control queue.
        command += ["-n", f"signalhooks-{uuid.uuid4().hex[:8]}@%h"]
    else:
        raise ValueError(f"no worker for the task backend {backend!r}")
    return Process(command, env=env)


def shop_env(hooks: int, sink_url: str, **settings: str) -> dict[str, str]:
    """The environment of the example shop's processes (``settings``: its ``SHOP_*``)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "SHOP_HOOKS": str(hooks),
        "SHOP_HOOK_URL": sink_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **settings,
    }


def shop_server(env: Mapping[str, str], timeout: float = 20.0) -> tuple[Process, str]:
    """The example shop under uvicorn on a free port, returned with its base URL once it
    accepts connections."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "shop.asgi:application", "--host", HOST]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    command += ["--lifespan", "off"]  # Django's ASGI handler does not speak lifespan
    # A shop's connections may idle for seconds (the load test's other shop runs its
    # block meanwhile); a server closing them after uvicorn's 5 s while the client
    # reuses one fails an order ("Server disconnected").
    command += ["--timeout-keep-alive", "300"]
    process = Process(command, env=env, cwd=SHOP)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the shop exited ({process.returncode}): {process.stop()}")
        return listening(port)

    try:
        wait_until(up, timeout, f"the shop on port {port}")
    except BaseException:
        process.stop()
        raise
    return process, f"http://{HOST}:{port}"
