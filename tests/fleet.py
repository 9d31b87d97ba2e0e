"""Task workers on the test database, and Redis and RabbitMQ servers the tests may restart.

Each backend's worker is a real process of its own (:func:`tests.support.workers.task_worker`)
on the worker project (:mod:`tests.support.outbox_project`: the test database, the hooks
the test names); ``signalhooks_worker --sweep`` runs beside them. The servers the tests
restart are their own, on ports of their own: the shared ones are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from tests.outbox_support import subprocess_env
from tests.support.ports import free_port, listening
from tests.support.processes import Process
from tests.support.waiting import wait_until
from tests.support.workers import signalhooks_worker, task_worker

#: backend alias -> (the queue it uses, the apps its worker needs)
BACKENDS = {
    "db": ("webhooks", ["django_tasks_db"]),
    "rq": ("signalhooks-tests", ["django_rq"]),
    "celery": ("signalhooks-tests", []),
}


def fleet_env(backend: str, urls: list[str], signalhooks: dict[str, Any]) -> dict[str, str]:
    queue, apps = BACKENDS[backend]
    return subprocess_env(
        "pg",
        urls,
        {"TASKS_BACKEND": backend, "TASKS_QUEUE": queue, "DURABLE": True, **signalhooks},
        tasks={
            "apps": apps,
            "TASKS": {backend: settings.TASKS[backend]},
            "RQ_QUEUES": settings.RQ_QUEUES,
        },
    )


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


def start_task_worker(backend: str, env: dict[str, str]) -> Process:
    """One worker process of ``backend`` on its queue."""
    return task_worker(backend, BACKENDS[backend][0], env)


def start_sweeper(env: dict[str, str], poll: float = 0.5) -> Process:
    return signalhooks_worker(env, "--sweep", "--poll", str(poll))


_REDIS = ["--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]


class RedisServer:
    """A ``redis-server`` of the tests' own on ``settings.REDIS_PORT``; nothing on disk."""

    def __init__(self) -> None:
        self.port = int(settings.REDIS_PORT)
        self.process: Process | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *_REDIS]
        self.process = Process([binary, *options])
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
            self.process.stop(sig=signal.SIGKILL)
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
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="signalhooks-rabbitmq-"))
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener
        self.env = {
            **os.environ,
            "HOME": str(self.base),  # the Erlang cookie
            "RABBITMQ_NODENAME": f"sh-test-{self.port}@localhost",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": os.devnull,  # not the shared node's rabbitmq-env.conf
        }
        self.process: Process | None = None

    def start(self) -> None:
        """Start the node (on the data it had, after a restart); return once it listens."""
        binary = self.BINARY if os.path.exists(self.BINARY) else shutil.which("rabbitmq-server")
        assert binary, "rabbitmq-server is not installed"
        # A group of its own: the wrapper script, beam and its helpers are killed together.
        self.process = Process([binary], env=self.env, group=True)
        wait_until(self.listening, 60, f"RabbitMQ node on port {self.port}")

    def listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            log = self.process.output()[-2000:]
            raise AssertionError(f"RabbitMQ node exited ({self.process.returncode}): {log}")
        return listening(self.port)

    def kill(self) -> None:
        """SIGKILL, as a crash: what the node had not written to disk is lost."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: the node stops as ``rabbitmqctl stop`` would (clients are told)."""
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.stop(timeout=60, sig=sig)


@contextmanager
def rabbitmq_server() -> Iterator[RabbitMQServer]:
    server = RabbitMQServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.base, ignore_errors=True)
