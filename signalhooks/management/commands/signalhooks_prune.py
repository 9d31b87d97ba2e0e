"""``manage.py signalhooks_prune --days N``: delete old delivered outbox rows."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from signalhooks.outbox.store import prune


class Command(BaseCommand):
    help = "Delete delivered durable deliveries older than --days (and dead ones with --dead)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--days", type=float, required=True, help="age in days")
        parser.add_argument("--dead", action="store_true", help="also dead rows (by creation)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            raise CommandError("--days must be >= 0")
        count = prune(options["database"], options["days"], dead=options["dead"])
        self.stdout.write(f"deleted {count} outbox rows")
