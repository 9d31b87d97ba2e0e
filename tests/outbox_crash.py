"""An app process that saves a Pizza with a durable hook, then waits to be killed.

``python -m tests.outbox_crash``: prints the committed row's event id, then blocks.
The test kills it (SIGKILL) while the in-process attempt is stuck on a stalled target.
"""

import sys

import django

django.setup()

from django.db import transaction  # noqa: E402

from signalhooks.outbox.models import OutboxDelivery  # noqa: E402
from tests.testapp.models import Pizza  # noqa: E402

with transaction.atomic():
    pizza = Pizza.objects.create(name="crash", price="1.00")
row = OutboxDelivery.objects.get(event_name="testapp.Pizza:created")
print(row.event_id, flush=True)
sys.stdin.read()  # until killed
