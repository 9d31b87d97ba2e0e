"""What an outbox row stores, and how the worker turns it back into a delivery.

* :func:`hook_key` names a hook's configuration with a string that is the same in
  every process built from the same code and settings, so the worker finds the hook
  that wrote a row among the hooks it created itself (:func:`signalhooks.hooks.all_hooks`).
* :func:`encode` / :func:`decode` turn an :class:`~signalhooks.Event` plus the request a
  hook rendered in the caller's thread (a frozen dataclass such as ``HTTPRequest`` or
  ``SNSMessage``, or ``None``) into JSON text and back.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import json
import threading
import weakref
from collections.abc import Mapping
from typing import Any

from ..events import Event, InstanceJSON
from ..serialization import SerializationError

__all__ = ["FORMAT", "HookRegistry", "PayloadError", "decode", "encode", "hook_key"]

#: Version of the payload format, stored in every row.
FORMAT = 1
_KEY_MAX = 255
_keys: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


class PayloadError(ValueError):
    """A row's payload cannot be turned back into a delivery."""


def hook_key(hook: Any) -> str:
    """``module.Class:digest``: the digest covers the event name and the target's settings.

    Two hooks with the same class and configuration share a key, and either may send
    the other's rows (they would send the same request). Secrets only enter the
    digest, never the stored text. Computed once per hook: configuration is immutable.
    """
    key = _keys.get(hook)
    if key is None:
        cls = type(hook)
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
        path = f"{cls.__module__}.{cls.__qualname__}"[: _KEY_MAX - 21]
        key = _keys[hook] = f"{path}:{digest}"
    return key


def _stable(value: Any) -> Any:
    """A JSON-able rendering of a setting that does not depend on memory addresses."""
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
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


# -- payload -----------------------------------------------------------------------


def encode(event: Event, request: Any) -> str:
    """JSON text holding everything needed to rebuild the delivery."""
    doc = {
        "v": FORMAT,
        "event": {
            "name": event.name,
            "id": event.id,
            "timestamp": event.timestamp,
            "instance_id": event.instance_id,
            "instance_json": event.instance_json,
            "data_json": event.data_json,
            "model": event.model,
            "using": event.using,
        },
        "request": None if request is None else _encode_request(request),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> tuple[Event, Any]:
    """``(event, request)`` from :func:`encode`'s text, or :class:`PayloadError`."""
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("v") != FORMAT:
            raise PayloadError(
                f"unknown payload format {doc.get('v') if isinstance(doc, dict) else doc!r}"
            )
        fields = dict(doc["event"])
        text = fields.pop("instance_json", None)
        event = Event(**fields, instance=None if text is None else InstanceJSON(text))
        request = None if doc["request"] is None else _decode_value(doc["request"])
    except PayloadError:
        raise
    except Exception as exc:  # anything malformed: the row is dead, the worker goes on
        raise PayloadError(f"undecodable payload: {type(exc).__name__}: {exc}") from exc
    return event, request


def _encode_request(request: Any) -> Any:
    cls = type(request)
    if not dataclasses.is_dataclass(request) or not cls.__module__.startswith("signalhooks."):
        raise SerializationError(
            f"a durable hook can only store requests of signalhooks' own dataclasses, not "
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
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = {f.name: _encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$t": f"{cls.__module__}:{cls.__qualname__}", "f": fields}
    raise SerializationError(f"cannot store a {type(value).__name__} in the outbox")


def _decode_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "$b" in value:
        return base64.b64decode(value["$b"], validate=True)
    if "$d" in value:
        return {_decode_value(k): _decode_value(v) for k, v in value["$d"]}
    if "$l" in value:
        items = [_decode_value(v) for v in value["$l"]]
        return tuple(items) if value.get("t") else items
    if "$t" in value:
        module, _, qualname = value["$t"].partition(":")
        # Only signalhooks' own types: a row's content never chooses what code runs.
        if not module.startswith("signalhooks."):
            raise PayloadError(f"refusing request type {value['$t']!r}")
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise PayloadError(f"{value['$t']!r} is not a dataclass")
        factory: Any = cls
        return factory(**{k: _decode_value(v) for k, v in value["f"].items()})
    raise PayloadError(f"unknown value in payload: {value!r:.80}")


# -- finding hooks again -----------------------------------------------------------


class HookRegistry:
    """Maps stored keys to this process's hooks; rebuilt when hooks are added.

    A key with no exact match falls back to the only hook with the same class and
    target name (the configuration changed, e.g. a rotated header value, but the
    destination did not). No match, or several: the row cannot be sent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._size = -1
        self._exact: dict[str, Any] = {}
        self._by_target: dict[tuple[str, str], list[Any]] = {}

    def find(self, key: str, target: str) -> Any:
        """The hook for a row, or :class:`PayloadError` saying why there is none."""
        from ..hooks import all_hooks

        hooks = all_hooks()
        with self._lock:
            if len(hooks) != self._size:
                self._rebuild(hooks)
            hook = self._exact.get(key)
            if hook is not None:
                return hook
            candidates = self._by_target.get((key.rpartition(":")[0], target), [])
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
        for hook in hooks:
            key = hook_key(hook)
            self._exact.setdefault(key, hook)
            by_target = self._by_target.setdefault(
                (key.rpartition(":")[0], hook.target.name[:255]), []
            )
            if key not in {hook_key(h) for h in by_target}:
                by_target.append(hook)
        self._size = len(hooks)
