"""``manage.py signalhooks_requeue``: give dead outbox deliveries a fresh retry schedule."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from signalhooks.outbox.models import OutboxDelivery
from signalhooks.outbox.store import requeue


class Command(BaseCommand):
    help = "Requeue dead durable deliveries (all of them, or those whose target matches)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--target", help="only targets containing this text")
        parser.add_argument("--all-dead", action="store_true", help="every dead delivery")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["target"] and not options["all_dead"]:
            raise CommandError("say which dead deliveries to requeue: --target TEXT or --all-dead")
        dead = OutboxDelivery.objects.using(options["database"]).filter(status=OutboxDelivery.DEAD)
        if options["target"]:
            dead = dead.filter(target__contains=options["target"])
        count = requeue(dead)
        self.stdout.write(f"requeued {count} dead deliveries")
