"""Event types generated from the models, by the ``EndpointsHook``\\ s connected to them.

An ``EndpointsHook`` connected to ``post_save`` of ``shop.Order`` delivers
``shop.Order:created`` and ``shop.Order:updated``; to ``post_delete``,
``shop.Order:deleted``. Their ``data`` is the instance's fields that the hook sends
(its ``fields=`` / ``exclude=``), so the schema is generated from those fields. A hook
with ``event="name"`` on those signals sends its events under that one name, with the
same data. A hook whose body the models do not describe (``serializer=``,
``use_natural_keys=True``, an ``event=`` callable, a custom signal) generates nothing:
its event types are declared (:func:`~signalhooks.catalog.declare`), and a system
check says which are missing (:mod:`.checks`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from ..exceptions import SerializationError
from ..hooks.endpoints import EndpointsHook
from ..hooks.wiring import connected_senders
from ..registry import all_hooks
from .event_type import EventType, standard_body
from .schemas import data_schema, example_of

__all__ = ["describable", "endpoints_hooks", "generated", "generated_names", "model_events"]

#: What each model signal delivers, by the action in the event name.
SIGNALS = ((post_save, ("created", "updated")), (post_delete, ("deleted",)))
_VERBS = {"created": "created", "updated": "updated", "deleted": "deleted", "saved": "saved"}


def endpoints_hooks() -> list[EndpointsHook]:
    return [hook for hook in all_hooks() if isinstance(hook, EndpointsHook)]


def describable(hook: EndpointsHook) -> bool:
    """Whether the models describe ``hook``'s bodies (else its types are declared)."""
    payload = hook.payload
    return not (payload.custom or payload.use_natural_keys or callable(hook.event_name))


def model_events(hook: EndpointsHook) -> Iterator[tuple[str, str, type[Model]]]:
    """``(event name, action, model)`` for each model event ``hook`` delivers.

    ``action`` is ``created``/``updated``/``deleted``, or ``saved`` for a named hook on
    ``post_save`` (one name for both). An ``event=`` callable yields nothing.
    """
    if not apps.models_ready or callable(hook.event_name):
        return
    for signal, actions in SIGNALS:
        models: dict[type[Model], None] = {}
        for sender in connected_senders(signal, hook):
            for model in apps.get_models() if sender is None else [sender]:
                models[model] = None
        for model in models:
            if hook.event_name is not None:
                yield hook.event_name, "saved" if len(actions) > 1 else actions[0], model
                continue
            for action in actions:
                yield f"{model._meta.label}:{action}", action, model


def _description(model: type[Model], action: str) -> str:
    name = str(model._meta.verbose_name)
    article = "An" if name[:1].lower() in "aeiou" else "A"
    return f"{article} {name} was {_VERBS[action]}."


def generated_names() -> dict[str, str]:
    """The names generated now, by their ``casefold()`` (names match case-insensitively)."""
    return {
        name.casefold(): name
        for hook in endpoints_hooks()
        if describable(hook)
        for name, _, _ in model_events(hook)
    }


def generated() -> dict[str, EventType]:
    """The generated event types, by name."""
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for hook in endpoints_hooks():
        if not describable(hook):
            continue
        previous = hook.previous_attributes
        for name, action, model in model_events(hook):
            try:
                fields = hook.payload.sent_fields(model)
            except SerializationError:  # fields= names a field the model lacks: every
                continue  # delivery of it fails too, and is reported where it happens
            schema = data_schema(model, fields, previous and action in ("updated", "saved"))
            entry = (_description(model, action), schema)
            if entry not in found.setdefault(name, []):
                found[name].append(entry)
    types = {}
    for name, entries in found.items():
        descriptions = list(dict.fromkeys(description for description, _ in entries))
        schemas = [schema for _, schema in entries]
        schema = schemas[0] if len(schemas) == 1 else {"anyOf": _unique(schemas)}
        types[name] = EventType(name, " ".join(descriptions), schema, _example(name, schema))
    return types


def _unique(schemas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for schema in schemas:
        if schema not in out:
            out.append(schema)
    return out


def _example(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    data = example_of(schema)
    previous = data.get("previous_attributes") if isinstance(data, dict) else None
    if previous:  # one changed field is the typical update
        first = next(iter(previous))
        data["previous_attributes"] = {first: previous[first]}
    return standard_body(name, data)
