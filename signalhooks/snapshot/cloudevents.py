"""The event as a CloudEvents 1.0 structured-mode JSON envelope.

``id`` is the event id, ``type`` the event name, ``time`` when the signal fired,
``subject`` the instance's primary key (model events), and ``data`` a JSON object (not
base64): by default ``{"InstanceId", "Instance"}`` with the instance as Django's JSON
serializer writes it (``{"model", "pk", "fields"}``), plus ``Data`` for a custom
signal's arguments (the instance's JSON text is embedded as it is, not parsed and
re-encoded); with ``standard=True``, the ``data`` of the "standard" body (endpoints
whose ``payload_format`` is ``"cloudevents"``).
"""

from __future__ import annotations

import json

from .events import Event

__all__ = ["CONTENT_TYPE", "SPECVERSION", "envelope"]

SPECVERSION = "1.0"
#: The structured mode's media type (CloudEvents JSON format, HTTP binding 3.1).
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def envelope(event: Event, source: str, *, standard: bool = False) -> str:
    """The CloudEvent for ``event`` with ``source``, as compact JSON text."""
    head: dict[str, str] = {
        "specversion": SPECVERSION,
        "id": event.id,
        "source": source,
        "type": event.name,
        "time": event.iso_timestamp,
        "datacontenttype": "application/json",
    }
    if event.instance_id is not None:
        head["subject"] = event.instance_id
    if standard:
        return _dumps(head)[:-1] + ',"data":' + event.standard_data_json + "}"
    data = []
    if event.instance is not None:
        data.append('"InstanceId":' + _dumps(event.instance_id or ""))
        data.append('"Instance":' + event.instance.text)
    if event.data_json is not None:
        data.append('"Data":' + event.data_json)
    return _dumps(head)[:-1] + ',"data":{' + ",".join(data) + "}}"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
