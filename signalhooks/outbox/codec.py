"""What an outbox row stores, and how the worker turns it back into a delivery.

Rows name what they need by **stable names**, never by module path, so moving a class
never strands a pending row:

* :func:`hook_key` is ``<stored name>:<digest>``. The stored name is ``"http"`` and
  ``"sns"`` for the built-in hooks; a custom hook class declares its own with a
  ``stored_name`` class attribute (without one, its ``module.QualName`` is used). The
  digest covers the event name and the target's settings, so the worker finds the hook
  that wrote a row among the hooks it created itself (:mod:`signalhooks.registry`).
* :func:`encode` / :func:`decode` turn an :class:`~signalhooks.Event` plus the request
  a hook rendered in the caller's thread (``HTTPRequest`` is ``"http.request"``,
  ``SNSMessage`` is ``"sns.message"``) into JSON text and back.

Format 1 (signalhooks 1.0 development releases) named hooks and request types by
module path; such rows still decode and find their hook.

The trace context of the request that fired the signal, when there was one, is stored
as W3C ``traceparent`` / ``tracestate`` strings under a top-level ``"trace"`` key: rows
without it (older ones, or written with tracing off) decode as before, and a worker
of a release that does not know the key ignores it.

The body format the delivery was accepted with is stored under ``"format"`` (one of
``signalhooks.targets.http.BODY_FORMATS``) and comes back as the event's
``body_format``: a row is sent as it was stored even if its endpoint changed format
since. A row without it is sent as before: an endpoint's in the event JSON, a hook's
in its target's format. An update's previous values (``previous_attributes``) are
stored as ``previous_json``, and an instance shaped by a hook's ``serializer=`` is
marked ``"instance_custom": true``; both keys are only written when they apply.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

from .. import registry
from ..exceptions import PayloadError, SerializationError
from ..snapshot.events import Event, InstanceJSON
from ..targets.http import BODY_FORMATS, HTTPRequest
from ..targets.sns import SNSMessage
from ..telemetry.tracing import from_carrier, to_carrier

__all__ = [
    "FORMAT",
    "HookRegistry",
    "decode",
    "encode",
    "hook_key",
    "rebuild",
    "rebuild_rows",
    "stored_name",
]

#: Version of the payload format written now; :func:`decode` also reads format 1.
FORMAT = 2
_KEY_MAX = 255
_keys: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

#: Request types a row may hold, by stable name.
REQUEST_TYPES: dict[str, type[Any]] = {"http.request": HTTPRequest, "sns.message": SNSMessage}
_REQUEST_NAMES = {cls: name for name, cls in REQUEST_TYPES.items()}
#: Format 1 named these by module path.
_LEGACY_REQUEST_TYPES = {
    "signalhooks.targets.http:HTTPRequest": HTTPRequest,
    "signalhooks.targets.sns:SNSMessage": SNSMessage,
}
_LEGACY_HOOK_NAMES = {
    "signalhooks.hooks.HTTPSignalHook": "http",
    "signalhooks.hooks.SNSSignalHook": "sns",
}


def stored_name(cls: type) -> str:
    """The name rows use for hooks of class ``cls``: its own ``stored_name``, or its path.

    Read from the class itself, not inherited: a subclass of ``HTTPSignalHook`` renders
    its own requests and must not be mistaken for a plain one.
    """
    name = vars(cls).get("stored_name")
    if isinstance(name, str) and name:
        return name
    return f"{cls.__module__}.{cls.__qualname__}"


def hook_key(hook: Any) -> str:
    """``<stored name>:<digest>``; the digest covers the event name and the target's settings.

    Two hooks with the same class and configuration share a key, and either may send
    the other's rows (they would send the same request). Secrets only enter the
    digest, never the stored text. Computed once per hook: configuration is immutable.
    """
    key = _keys.get(hook)
    if key is None:
        identity = {
            "event": _stable(getattr(hook, "event_name", None)),
            "target": {
                name: _stable(value)
                for name, value in sorted(vars(hook.target).items())
                if not name.startswith("_")
            },
        }
        text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).hexdigest()[:20]
        key = _keys[hook] = f"{stored_name(type(hook))[: _KEY_MAX - 21]}:{digest}"
    return key


def _stable(value: Any) -> Any:
    """A JSON-able rendering of a setting that depends on neither addresses nor module paths."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): _stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_stable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    # Client objects, signers...: their type is configuration, their state is not.
    return f"<{type(value).__qualname__}>"


# -- payload -----------------------------------------------------------------------


def encode(event: Event, request: Any, body_format: str | None = None) -> str:
    """JSON text holding everything needed to rebuild the delivery.

    ``body_format``: the body its target sends now (HTTP targets), stored so that the
    row is sent as accepted.
    """
    fields: dict[str, Any] = {
        "name": event.name,
        "id": event.id,
        "timestamp": event.timestamp,
        "instance_id": event.instance_id,
        "instance_json": event.instance_json,
        "data_json": event.data_json,
        "model": event.model,
        "using": event.using,
    }
    if event.instance is not None and event.instance.custom:
        fields["instance_custom"] = True
    if event.previous is not None:
        fields["previous_json"] = event.previous.text
    doc: dict[str, Any] = {
        "v": FORMAT,
        "event": fields,
        "request": None if request is None else _encode_request(request),
    }
    body_format = event.body_format or body_format
    if body_format is not None:
        doc["format"] = body_format
    trace = to_carrier(event.trace)
    if trace is not None:
        doc["trace"] = trace
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> tuple[Event, Any]:
    """``(event, request)`` from :func:`encode`'s text (format 1 or 2), or :class:`PayloadError`."""
    try:
        doc = json.loads(text)
        version = doc.get("v") if isinstance(doc, dict) else doc
        if version not in (1, FORMAT):
            raise PayloadError(f"unknown payload format {version!r}")
        types = _LEGACY_REQUEST_TYPES if version == 1 else REQUEST_TYPES
        fields = dict(doc["event"])
        instance_json = fields.pop("instance_json", None)
        custom = bool(fields.pop("instance_custom", False))
        instance = None if instance_json is None else InstanceJSON(instance_json, custom=custom)
        previous_json = fields.pop("previous_json", None)
        previous = None if previous_json is None else InstanceJSON(previous_json)
        body_format = doc.get("format")
        if body_format is not None and body_format not in BODY_FORMATS:
            raise PayloadError(f"unknown body format {body_format!r}")
        event = Event(
            **fields,
            instance=instance,
            previous=previous,
            body_format=body_format,
            trace=from_carrier(doc.get("trace")),
        )
        request = None if doc["request"] is None else _decode_value(doc["request"], types)
    except PayloadError:
        raise
    except Exception as exc:  # anything malformed: the row is dead, the worker goes on
        raise PayloadError(f"undecodable payload: {type(exc).__name__}: {exc}") from exc
    return event, request


def _encode_request(request: Any) -> Any:
    if type(request) not in _REQUEST_NAMES:
        cls = type(request)
        raise SerializationError(
            f"a durable hook can only store signalhooks' request types "
            f"({', '.join(c.__name__ for c in _REQUEST_NAMES)}), not "
            f"{cls.__module__}.{cls.__qualname__}"
        )
    return _encode_value(request)


def _encode_value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Mapping):
        return {"$d": [[_encode_value(k), _encode_value(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {"$l": [_encode_value(v) for v in value], "t": isinstance(value, tuple)}
    name = _REQUEST_NAMES.get(type(value))
    if name is not None:
        fields = {f.name: _encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$t": name, "f": fields}
    raise SerializationError(f"cannot store a {type(value).__name__} in the outbox")


def _decode_value(value: Any, types: Mapping[str, type[Any]]) -> Any:
    if not isinstance(value, dict):
        return value
    if "$b" in value:
        return base64.b64decode(value["$b"], validate=True)
    if "$d" in value:
        return {_decode_value(k, types): _decode_value(v, types) for k, v in value["$d"]}
    if "$l" in value:
        items = [_decode_value(v, types) for v in value["$l"]]
        return tuple(items) if value.get("t") else items
    if "$t" in value:
        # Only the known request types: a row's content never chooses what code runs.
        cls = types.get(value["$t"])
        if cls is None:
            raise PayloadError(f"refusing request type {value['$t']!r}")
        return cls(**{k: _decode_value(v, types) for k, v in value["f"].items()})
    raise PayloadError(f"unknown value in payload: {value!r:.80}")


# -- finding hooks again -----------------------------------------------------------


class HookRegistry:
    """Maps stored keys to this process's hooks; rebuilt when hooks are added.

    A key with no exact match falls back to the only hook with the same stored name
    and target name (the configuration changed, e.g. a rotated header value, but the
    destination did not). No match, or several: the row cannot be sent. Hooks that
    rebuild a row's target themselves (``target_for``: ``EndpointsHook``) match any
    row of their stored name.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._size = -1
        self._exact: dict[str, Any] = {}
        self._by_target: dict[tuple[str, str], list[Any]] = {}
        self._per_row: dict[str, Any] = {}  # stored name -> a hook with target_for

    def find(self, key: str, target: str) -> Any:
        """The hook for a row, or :class:`PayloadError` saying why there is none."""
        name, _, digest = key.rpartition(":")
        name = _LEGACY_HOOK_NAMES.get(name, name)
        key = f"{name}:{digest}"
        hooks = registry.all_hooks()
        with self._lock:
            if len(hooks) != self._size:
                self._rebuild(hooks)
            hook = self._exact.get(key)
            if hook is not None:
                return hook
            candidates = self._by_target.get((name, target), [])
            if not candidates and name in self._per_row:
                return self._per_row[name]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise PayloadError(
                f"hook configuration {key!r} no longer exists and {len(candidates)} hooks "
                f"of that class send to {target!r}; cannot tell which one to use"
            )
        raise PayloadError(
            f"hook configuration {key!r} for {target!r} no longer exists in this process "
            f"({len(hooks)} hooks loaded); create the hook at startup (AppConfig.ready) "
            "so that the worker has it too"
        )

    def _rebuild(self, hooks: list[Any]) -> None:
        self._exact.clear()
        self._by_target.clear()
        self._per_row.clear()
        for hook in hooks:
            key = hook_key(hook)
            self._exact.setdefault(key, hook)
            if getattr(hook, "target_for", None) is not None:
                self._per_row.setdefault(key.rpartition(":")[0], hook)
            by_target = self._by_target.setdefault(
                (key.rpartition(":")[0], hook.target.name[:255]), []
            )
            if key not in {hook_key(h) for h in by_target}:
                by_target.append(hook)
        self._size = len(hooks)


def rebuild(
    registry: HookRegistry, hook_key: str, target_name: str, payload: str, endpoint_id: int | None
) -> tuple[Any, Any, Event, Any]:
    """``(hook, target, event, request)`` of a stored row, or :class:`PayloadError` saying why
    it cannot be sent (the row dies with that reason).

    An endpoint's row gets its target from its hook (``EndpointsHook.target_for``), which
    fails when the endpoint was deleted or disabled.
    """
    hook = registry.find(hook_key, target_name)
    if endpoint_id is None:
        target = hook.target
    else:
        target_for = getattr(hook, "target_for", None)
        if target_for is None:
            raise PayloadError(f"row names endpoint {endpoint_id} but {hook!r} has no endpoints")
        target = target_for(endpoint_id)
    event, request = decode(payload)
    if endpoint_id is not None and event.body_format is None:
        # Stored before endpoints had formats: every endpoint was sent the event JSON.
        event = dataclasses.replace(event, body_format="event")
    return hook, target, event, request


class StoredRow(Protocol):
    """What :func:`rebuild_rows` reads of a claimed row."""

    @property
    def id(self) -> int: ...
    @property
    def hook_key(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def endpoint_id(self) -> int | None: ...


Row = TypeVar("Row", bound=StoredRow)
logger = logging.getLogger("signalhooks")


def rebuild_rows(
    registry: HookRegistry, rows: Iterable[Row], who: str
) -> tuple[list[tuple[Row, tuple[Any, Any, Event, Any]]], list[tuple[int, str]]]:
    """:func:`rebuild` for each claimed row: ``(sendable, dead)``.

    ``sendable`` pairs each row with its ``(hook, target, event, request)``; ``dead``
    holds ``(row id, reason)`` for the rows that cannot be sent, each logged once, for
    the caller to mark dead (``who`` names the caller in the log line).
    """
    sendable: list[tuple[Row, tuple[Any, Any, Event, Any]]] = []
    dead: list[tuple[int, str]] = []
    for row in rows:
        try:
            rebuilt = rebuild(registry, row.hook_key, row.target, row.payload, row.endpoint_id)
        except PayloadError as exc:
            dead.append((row.id, str(exc)))
            logger.error("signalhooks %s: outbox row %d is dead: %s", who, row.id, exc)
            continue
        sendable.append((row, rebuilt))
    return sendable, dead
