"""``manage.py signalhooks_schema``: the event catalog, for your customers.

``--format openapi`` (the default) prints an OpenAPI 3.1 document whose ``webhooks``
section has one entry per event type; ``--format jsonschema`` prints the JSON Schema
of each type's ``data``, keyed by event type.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...catalog import event_types, openapi

#: The JSON Schema dialect of the schemas, stated in ``--format jsonschema`` output.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class Command(BaseCommand):
    help = "Print the event catalog: an OpenAPI 3.1 document, or the JSON Schemas alone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=("openapi", "jsonschema"),
            default="openapi",
            help="openapi: a whole OpenAPI 3.1 document (default); jsonschema: each event "
            "type's data schema, keyed by event type",
        )
        parser.add_argument("--title", default="Webhooks", help="the OpenAPI info.title")
        parser.add_argument("--api-version", default="1", help="the OpenAPI info.version")
        parser.add_argument("--indent", type=int, default=2, help="JSON indentation")

    def handle(self, *args: Any, **options: Any) -> None:
        document: dict[str, Any]
        if options["format"] == "jsonschema":
            document = {t.name: {"$schema": DIALECT, **t.schema} for t in event_types()}
        else:
            document = openapi({"title": options["title"], "version": options["api_version"]})
        self.stdout.write(json.dumps(document, indent=options["indent"], ensure_ascii=False))
