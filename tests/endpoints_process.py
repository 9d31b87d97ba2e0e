"""A second application process for the endpoint cache test: saves a Pizza per stdin line.

It runs on the worker project (``tests.support.outbox_project``: the test's PostgreSQL
database); it connects a non-durable ``EndpointsHook`` and answers ``saved`` after each
save has been delivered.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.outbox_project.settings")

import django

django.setup()

from django.db.models.signals import post_save  # noqa: E402

import signalhooks  # noqa: E402
from signalhooks.hooks import EndpointsHook  # noqa: E402
from tests.testapp.models import Pizza  # noqa: E402

post_save.connect(EndpointsHook(durable=False), sender=Pizza, weak=False)
print("ready", flush=True)
for line in sys.stdin:
    Pizza.objects.create(name=line.strip()[:100])
    signalhooks.flush(10)
    print("saved", flush=True)
