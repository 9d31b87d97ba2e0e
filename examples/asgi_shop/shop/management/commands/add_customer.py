"""``manage.py add_customer NAME --password PASSWORD``: a customer who can sign in."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create a customer account (or set its password) for the webhook portal."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--password", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        customer, created = get_user_model().objects.get_or_create(username=options["name"])
        customer.set_password(options["password"])
        customer.save()
        self.stdout.write(f"customer {customer.get_username()} {'added' if created else 'updated'}")
