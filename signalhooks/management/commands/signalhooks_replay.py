"""``manage.py signalhooks_replay``: send durable deliveries again, since a time.

    python manage.py signalhooks_replay --since 2026-01-01T00:00 [--endpoint ID]
        [--event PATTERN] [--failed-only] [--database ALIAS]

Delivered and dead deliveries created since ``--since`` (ISO 8601; without a time
zone, the current one) get a fresh schedule and are due now; ``signalhooks_worker``
sends them. ``--endpoint`` (repeatable) limits it to endpoints, ``--event`` to event
names matching an event-type pattern (``shop.Order:*``), ``--failed-only`` to dead ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from signalhooks.endpoints.log import replay
from signalhooks.endpoints.models import Endpoint


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since {text!r} is not an ISO 8601 time, e.g. 2026-01-01T00:00"
        ) from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = "Send durable deliveries created since a time again (all, or only failed ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="ISO 8601, e.g. 2026-01-01T00:00")
        parser.add_argument(
            "--endpoint", type=int, action="append", help="only this endpoint (repeatable)"
        )
        parser.add_argument("--event", help='only event names matching, e.g. "shop.Order:*"')
        parser.add_argument("--failed-only", action="store_true", help="only dead deliveries")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if using not in connections:
            raise CommandError(f"unknown database alias {using!r}")
        since = _when(options["since"])
        ids = options["endpoint"]
        if ids:
            known = Endpoint.objects.using(using).filter(pk__in=ids)
            missing = sorted(set(ids) - set(known.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"no endpoint with id {', '.join(map(str, missing))}")
            for endpoint in known.filter(is_active=False):
                self.stderr.write(
                    f"endpoint {endpoint.pk} is disabled ({endpoint.disabled_reason}): its "
                    "deliveries will be marked dead again until it is enabled"
                )
        try:
            count = replay(
                since,
                using=using,
                endpoint_ids=ids,
                event=options["event"],
                failed_only=options["failed_only"],
            )
        except ValueError as exc:
            raise CommandError(f"--event: {exc}") from None
        what = "failed deliveries" if options["failed_only"] else "deliveries"
        self.stdout.write(f"replaying {count} {what} created since {since.isoformat()}")
