"""``manage.py signalhooks_worker``: send the durable outbox (see :mod:`signalhooks.outbox`)."""

from __future__ import annotations

import asyncio
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from signalhooks import conf
from signalhooks.outbox.worker import Worker


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise ValueError(text)
        return value

    parse.__name__ = kind.__name__
    return parse


class Command(BaseCommand):
    help = (
        "Deliver durable signalhooks deliveries from the outbox table. Run any number on "
        "PostgreSQL/MySQL 8 (they share rows with FOR UPDATE SKIP LOCKED); one on SQLite. "
        "SIGTERM/SIGINT finish the deliveries in hand, then exit (a second one: at once)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--concurrency", type=_positive(int), help="concurrent sends (MAX_IN_FLIGHT)"
        )
        parser.add_argument("--batch", type=_positive(int), default=100, help="rows per claim")
        parser.add_argument(
            "--lease",
            type=_positive(float),
            help="seconds a claimed row stays ours (DURABLE_LEASE)",
        )
        parser.add_argument(
            "--poll", type=_positive(float), default=1.0, help="seconds between polls when idle"
        )
        parser.add_argument("--once", action="store_true", help="exit when nothing is due")
        parser.add_argument(
            "--sweep",
            action="store_true",
            help="Django Tasks mode: enqueue overdue rows as tasks instead of sending them",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["database"] not in connections:
            raise CommandError(f"unknown database alias {options['database']!r}")
        if options["sweep"]:
            self._sweep(options)
            return
        worker = Worker(
            using=options["database"],
            concurrency=options["concurrency"],
            batch=options["batch"],
            lease=options["lease"],
            poll=options["poll"],
            once=options["once"],
        )
        self.stdout.write(f"signalhooks_worker {worker.id} on {worker.using!r}", ending="\n")
        self.stdout.flush()
        stats = asyncio.run(worker.run()) | worker.wakes
        self.stdout.write(" ".join(f"{k}={v}" for k, v in stats.items()))

    def _sweep(self, options: dict[str, Any]) -> None:
        if conf.settings().tasks_backend is None:
            raise CommandError("--sweep enqueues Django tasks: set SIGNALHOOKS['TASKS_BACKEND']")
        from signalhooks.outbox.sweep import Sweeper

        sweeper = Sweeper(using=options["database"], poll=options["poll"])
        self.stdout.write(f"signalhooks_worker --sweep on {sweeper.using!r}")
        self.stdout.flush()
        stats = sweeper.run(once=options["once"])
        self.stdout.write(" ".join(f"{k}={v}" for k, v in stats.items()))
