"""Creates the durable hooks of the worker processes at startup, as a project would.

One ``HTTPSignalHook(url, durable=True)`` per URL in ``SIGNALHOOKS_OUTBOX_HOOKS``,
connected to ``post_save`` of ``Pizza``: the same configuration as the hooks the test
or benchmark process builds, hence the same hook keys. An item may be a dict instead:
``{"url": ..., <more HTTPSignalHook options>}``, or ``{"endpoints": true, <EndpointsHook
options>}`` for an ``EndpointsHook``. With ``SIGNALHOOKS_OUTBOX_ENDPOINTS=1``, an
``EndpointsHook()`` as well (the endpoints are on the same database).
"""

import json
import os

from django.apps import AppConfig
from django.db.models.signals import post_save


class OutboxProjectConfig(AppConfig):
    name = "tests.support.outbox_project"
    label = "outbox_project"

    def ready(self) -> None:
        from signalhooks.hooks import EndpointsHook, HTTPSignalHook
        from tests.testapp.models import Pizza

        for item in json.loads(os.environ.get("SIGNALHOOKS_OUTBOX_HOOKS", "[]")):
            options = {"url": item} if isinstance(item, str) else dict(item)
            if options.pop("endpoints", False):
                hook = EndpointsHook(**options)
            else:
                hook = HTTPSignalHook(options.pop("url"), durable=True, **options)
            post_save.connect(hook, sender=Pizza, weak=False)
        if os.environ.get("SIGNALHOOKS_OUTBOX_ENDPOINTS") == "1":
            post_save.connect(EndpointsHook(), sender=Pizza, weak=False)
