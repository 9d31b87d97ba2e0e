"""Worker processes of the task backends, and Redis and RabbitMQ servers the tests may restart.

Each backend's worker runs as a real process of its own, started the way its
documentation starts it, on ``tests.outbox_settings`` (the test database, the hooks of
``tests.outbox_app``): django-tasks-db's ``db_worker``, django-rq's ``rqworker`` and
``celery worker``. ``signalhooks_worker --sweep`` runs beside them. The servers the
tests restart are their own, on ports of their own: the shared ones are never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from tests.outbox_support import ROOT, subprocess_env, wait_until
from tests.servers import unused_tcp_port

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


def commit_pizzas(count: int, per_transaction: int, rollback_every: int = 0) -> None:
    """``count`` pizzas on ``pg`` in transactions of ``per_transaction``; every n-th
    transaction is rolled back (and not counted)."""
    from tests.testapp.models import Pizza

    made = transactions = 0
    while made < count:
        transactions += 1
        rolled_back = rollback_every and transactions % rollback_every == 0
        try:
            with transaction.atomic(using="pg"):
                for i in range(per_transaction):
                    Pizza.objects.using("pg").create(name=f"fleet {transactions}.{i}")
                if rolled_back:
                    raise _Rollback
        except _Rollback:
            continue
        made += per_transaction


class _Rollback(Exception):
    pass


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


class RabbitMQServer:
    """A RabbitMQ node of the tests' own: free ports, its data in a temporary directory.

    Started as root runs a second node (the packaged ``rabbitmq-server`` wrapper would
    switch to the ``rabbitmq`` user and the shared configuration): the node's name,
    ports, configuration, data, logs and Erlang cookie are all its own. It shares only
    the machine's ``epmd``, where it registers under its own name.
    """

    BINARY = "/usr/lib/rabbitmq/bin/rabbitmq-server"

    def __init__(self) -> None:
        self.port = unused_tcp_port()
        self.base = Path(tempfile.mkdtemp(prefix="signalhooks-rabbitmq-"))
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener
        self.env = {
            **os.environ,
            "HOME": str(self.base),  # the Erlang cookie
            "RABBITMQ_NODENAME": f"sh-test-{self.port}@localhost",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(unused_tcp_port()),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": os.devnull,  # not the shared node's rabbitmq-env.conf
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the node (on the data it had, after a restart); return once it listens."""
        binary = self.BINARY if os.path.exists(self.BINARY) else shutil.which("rabbitmq-server")
        assert binary, "rabbitmq-server is not installed"
        log = open(self.base / "console.log", "ab")  # noqa: SIM115  (the child keeps it)
        # A session of its own: the wrapper script, beam and its helpers are killed together.
        self.process = subprocess.Popen(
            [binary], env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        wait_until(self.listening, 60, f"RabbitMQ node on port {self.port}")

    def listening(self) -> bool:
        import socket

        assert self.process is not None
        if self.process.poll() is not None:
            log = (self.base / "console.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"RabbitMQ node exited ({self.process.returncode}): {log}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash: what the node had not written to disk is lost."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: the node stops as ``rabbitmqctl stop`` would (clients are told)."""
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(60)
            with contextlib.suppress(ProcessLookupError):  # helpers left in its session
                os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def rabbitmq_server() -> Iterator[RabbitMQServer]:
    server = RabbitMQServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.base, ignore_errors=True)
