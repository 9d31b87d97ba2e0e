"""``previous_attributes=True``: what an update changed, with the values before it.

Stripe's convention: the ``data`` of an update carries ``"previous_attributes":
{field: value before this save}`` for exactly the sent fields whose value this save
changed, and no such key when none did. The values before the save come from the
capture that ``when_changed`` uses (:mod:`.capture`): from memory, no query, only on
the models a hook with this option is connected to.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Field, Model
from django.db.models.signals import post_save

from ..exceptions import SerializationError
from ..snapshot.dispatch import Dispatch
from ..snapshot.events import Event, InstanceJSON
from ..snapshot.payload import PayloadOptions
from ..snapshot.serialization import previous_values
from . import capture
from .conditions import saved_fields
from .wiring import connected_senders

__all__ = ["PreviousAttributes", "check_previous"]

_last = threading.local()  # the last (event, fields, event with previous values) made


def check_previous(owner: str, value: object, payload: PayloadOptions) -> bool:
    """``previous_attributes=`` validated: a bool, and a body that Django's serializer makes."""
    if not isinstance(value, bool):
        raise ImproperlyConfigured(
            f"{owner}: previous_attributes= must be True or False, not {value!r}"
        )
    if value and (payload.custom or payload.use_natural_keys):
        raise ImproperlyConfigured(
            f"{owner}: previous_attributes=True compares the fields Django's serializer "
            "sends; it cannot be combined with serializer= or use_natural_keys=True"
        )
    return value


class PreviousAttributes:
    """One hook's ``previous_attributes``: the changes of each save, and the event with them."""

    def __init__(self, hook: object, payload: PayloadOptions) -> None:
        self.payload = payload
        self._hook = weakref.ref(hook)
        self._fields: dict[type[Model], tuple[Field[Any, Any], ...]] = {}
        capture.track(hook, self._connected_models)

    def fields(self, model: type[Model]) -> tuple[Field[Any, Any], ...]:
        """The sent fields of ``model`` that a save can change (not many-to-many)."""
        found = self._fields.get(model)
        if found is None:
            sent = self.payload.sent_fields(model)
            found = self._fields[model] = tuple(f for f in sent if not f.many_to_many)
            capture.watch_model(model, [f.name for f in found])
        return found

    def _connected_models(self) -> list[tuple[type[Model], set[str]]]:
        from django.apps import apps

        hook = self._hook()
        if hook is None:
            return []
        senders = connected_senders(post_save, hook)
        found = []
        for model in apps.get_models() if None in senders else senders:
            try:
                found.append((model, {f.name for f in self.fields(model)}))
            except SerializationError:  # fields= names a field the model lacks: its
                continue  # events fail, and say so, where they happen
        return found

    def changes(self, dispatch: Dispatch) -> Mapping[str, Any] | None:
        """What this save changed (previous values by field name); ``None`` for another
        signal, or an instance whose previous values were not captured. Call it for
        every save the hook sees, delivered or not: it moves the baseline on."""
        instance = dispatch.kwargs.get("instance")
        if dispatch.signal is not post_save or not isinstance(instance, Model):
            return None
        model = type(instance)
        self.fields(model)
        return capture.changes(instance, saved_fields(model, dispatch.kwargs), dispatch.serial)

    def attach(self, event: Event, dispatch: Dispatch, changed: Mapping[str, Any]) -> Event:
        """``event`` with the previous values of the sent fields that changed (an update).

        The hooks of one save that share its event and send the same fields share the
        result too (they are called one after the other, in the saving thread).
        """
        instance = dispatch.kwargs.get("instance")
        if dispatch.kwargs.get("created") is not False or not isinstance(instance, Model):
            return event
        fields = tuple(
            f
            for f in self.fields(type(instance))
            if f.name in changed and changed[f.name] is not capture.UNKNOWN
        )
        if not fields:
            return event
        last = getattr(_last, "attached", None)
        if last is not None and last[0] is event and last[1] == fields:
            return last[2]  # type: ignore[no-any-return]
        old = {f.attname: changed[f.name] for f in fields}
        values = previous_values(instance, old, fields)
        attached = replace(event, previous=InstanceJSON(values=values))
        _last.attached = (event, fields, attached)
        return attached
