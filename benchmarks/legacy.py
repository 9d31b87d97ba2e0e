"""The signalhooks 0.1.1 delivery model, re-created as the peer baseline.

0.1.1's receiver serialized the instance and made one blocking ``requests`` call per
target inside the signal, so ``save()`` waited for every webhook in turn. Reproducing it
here (rather than installing the old release) keeps the payload identical to the new
library's, so the comparison isolates the delivery model.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import requests
from django.contrib.contenttypes.models import ContentType
from django.core.serializers import serialize


class LegacyHTTPHook:
    """Callable receiver: one synchronous ``requests.request`` per signal, no session."""

    def __init__(self, request_url: str, request_method: str = "post") -> None:
        self.request_url = request_url
        self.request_method = request_method

    def payload(self, instance: Any, created: bool) -> dict[str, str]:
        ct = ContentType.objects.get_for_model(instance)
        data = serialize("json", [instance], ensure_ascii=False)[1:-1].encode("utf-8")
        return {
            "Event": f"{ct.app_label}.{ct.model}:{'created' if created else 'updated'}",
            "InstanceId": str(instance.pk),
            "Instance": base64.b64encode(data).decode("utf-8"),
        }

    def __call__(self, signal: Any, sender: Any, **kwargs: Any) -> None:
        body = json.dumps(self.payload(kwargs["instance"], bool(kwargs.get("created"))))
        requests.request(
            method=self.request_method,
            url=self.request_url,
            headers={"Content-Type": "application/json"},
            data=body,
            timeout=30,
        )
