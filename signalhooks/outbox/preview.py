"""What the receiver of an outbox row gets, for people reading the row (the admin).

An outbox row stores the event in the outbox's own format (``"v": 2``, a float epoch,
the instance as escaped JSON text); a person wants the request. The last recorded
attempt has it exactly as sent. A row without one is rendered from the stored event
the way its target renders it, which needs the hook that wrote it (found as the
worker finds it); the per-attempt signature headers cannot be reproduced and are named
instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import PayloadError
from ..targets.http import HTTPRequest
from ..targets.sns import SNSMessage
from .codec import HookRegistry, decode, rebuild
from .models import DeliveryAttempt, OutboxDelivery

__all__ = ["RequestPreview", "pretty_body", "preview"]

_registry = HookRegistry()


@dataclass(frozen=True)
class RequestPreview:
    """Headers and body of a delivery's request, and where they come from."""

    headers: Mapping[str, str]
    body: str
    source: str


def pretty_body(body: str) -> str:
    """JSON bodies indented (non-ASCII kept); anything else as it is."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def preview(row: OutboxDelivery) -> RequestPreview:
    """The request of ``row``: its last recorded attempt's, else rendered from its event."""
    last = (
        DeliveryAttempt.objects.using(row._state.db)
        .filter(delivery_id=row.pk)
        .exclude(request_body="")
        .order_by("-started_at", "-id")
        .first()
    )
    if last is not None:
        return RequestPreview(
            last.request_headers, last.request_body, f"as sent by attempt {last.number}"
        )
    try:
        _, target, event, request = rebuild(
            _registry, row.hook_key, row.target, row.payload, row.endpoint_id
        )
    except PayloadError as exc:  # no hook (or endpoint) to render it: the event alone
        try:
            event, request = decode(row.payload)
        except PayloadError:
            return RequestPreview({}, row.payload, f"stored as is, not decodable: {exc}")
        target = None
        why = f"rendered from the stored event as HTTPSignalHook sends it ({exc})"
    else:
        why = "rendered from the stored event; not sent yet"
    return _rendered(target, event, request, why)


def _rendered(target: Any, event: Any, request: Any, why: str) -> RequestPreview:
    if request is None and hasattr(target, "default_message"):  # an SNS target
        request = target.default_message(event)
    if isinstance(request, SNSMessage):
        return RequestPreview(request.attribute_values(), request.message, why)
    if isinstance(request, HTTPRequest):
        headers, body = dict(request.headers), request.body
    elif hasattr(target, "body"):  # an HTTP target
        headers, body = dict(target.headers), target.body(event)
    else:
        headers, body = {"Content-Type": "application/json"}, event.json_body
    if getattr(target, "signer", None) is not None:
        headers["webhook-id"] = event.id
        why += "; webhook-timestamp and webhook-signature are computed at each attempt"
    return RequestPreview(headers, body.decode("utf-8", "replace"), why)
