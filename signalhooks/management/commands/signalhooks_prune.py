"""``manage.py signalhooks_prune [--days N [--dead]]``: delete old outbox rows and attempts.

With ``--days``, delivered outbox rows older than that (and dead ones, with ``--dead``)
are deleted with their attempts. On every run, recorded delivery attempts older than
``SIGNALHOOKS["ATTEMPTS_RETENTION"]`` are deleted too, whatever their delivery: run it
without ``--days`` to prune only those.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from signalhooks.outbox.attempts import prune_attempts
from signalhooks.outbox.store import prune


class Command(BaseCommand):
    help = (
        "Delete delivered durable deliveries older than --days (and dead ones with --dead) "
        "with their attempts, and attempts older than ATTEMPTS_RETENTION."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--days", type=float, help="age in days of the rows to delete")
        parser.add_argument("--dead", action="store_true", help="also dead rows (by creation)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        days, using = options["days"], options["database"]
        if days is not None and days < 0:
            raise CommandError("--days must be >= 0")
        if options["dead"] and days is None:
            raise CommandError("--dead needs --days")
        rows, attempts = prune(using, days, dead=options["dead"]) if days is not None else (0, 0)
        attempts += prune_attempts(using)
        self.stdout.write(f"deleted {rows} outbox rows and {attempts} delivery attempts")
