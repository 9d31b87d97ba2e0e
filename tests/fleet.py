"""Worker processes of the task backends, and a Redis server the tests may restart.

Each backend's worker runs as a real process of its own, started the way its
documentation starts it, on ``tests.outbox_settings`` (the test database, the hooks of
``tests.outbox_app``): django-tasks-db's ``db_worker``, django-rq's ``rqworker`` and
``celery worker``. ``signalhooks_worker --sweep`` runs beside them.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from tests.outbox_support import ROOT, subprocess_env, wait_until

#: backend alias -> (the queue it uses, the apps its worker needs)
BACKENDS = {
    "db": ("webhooks", ["django_tasks_db"]),
    "rq": ("signalhooks-tests", ["django_rq"]),
    "celery": ("signalhooks-tests", []),
}


def fleet_env(backend: str, urls: list[str], signalhooks: dict[str, Any]) -> dict[str, str]:
    queue, apps = BACKENDS[backend]
    env = subprocess_env(
        "pg",
        urls,
        {"TASKS_BACKEND": backend, "TASKS_QUEUE": queue, "DURABLE": True, **signalhooks},
    )
    env["SIGNALHOOKS_OUTBOX_TASKS"] = json.dumps(
        {"apps": apps, "TASKS": {backend: settings.TASKS[backend]}, "RQ_QUEUES": settings.RQ_QUEUES}
    )
    return env


def start_task_worker(backend: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """One worker process of ``backend``, as its documentation starts one."""
    queue = BACKENDS[backend][0]
    django = [sys.executable, "-m", "django"]
    if backend == "db":
        command = [*django, "db_worker", "--backend", "db", "--queue-name", queue]
        command += ["--interval", "0.05", "--no-startup-delay", "--no-reload"]
    elif backend == "rq":
        # SimpleWorker runs jobs in its own process (the default Worker forks per job).
        command = [*django, "rqworker", queue, "--with-scheduler"]
        command += [
            "--worker-class",
            "rq.worker.SimpleWorker",
            "--job-class",
            "django_tasks_rq.Job",
        ]
    else:
        command = [sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker"]
        command += ["-Q", queue, "--pool", "threads", "--concurrency", "8", "-l", "warning"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        # A node name of its own: two workers named alike fight over their control queue.
        command += ["-n", f"signalhooks-{uuid.uuid4().hex[:8]}@%h"]
    return _spawn(command, env)


def start_sweeper(env: dict[str, str], poll: float = 0.5) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "django", "signalhooks_worker", "--sweep"]
    command += ["--poll", str(poll)]
    return _spawn(command, env)


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    # Output to a file: a pipe nobody reads while the test runs fills up and blocks the
    # worker (RQ logs a line per job).
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed by stop())
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log, text=True)
    process.log = log  # type: ignore[attr-defined]
    return process


def stop(process: subprocess.Popen[str], timeout: float = 20) -> str:
    """SIGTERM (SIGKILL if it does not exit in time); returns what it printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    log = process.log  # type: ignore[attr-defined]
    log.seek(0)
    text: str = log.read()
    log.close()
    return text


_REDIS = ["--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]


class RedisServer:
    """A ``redis-server`` of the tests' own on ``settings.REDIS_PORT``; nothing on disk."""

    def __init__(self) -> None:
        self.port = int(settings.REDIS_PORT)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *_REDIS],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self.ping, 10, f"redis-server on port {self.port}")

    def ping(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self, down_for: float = 0.5) -> None:
        """Kill it (everything it held is lost, as with a crash) and start it again."""
        self.kill()
        time.sleep(down_for)  # the workers and enqueuers see it down for a moment
        self.start()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()
