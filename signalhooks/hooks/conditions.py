"""Conditional delivery: ``when=`` (a predicate) and ``when_changed=`` (watched fields).

``when_changed`` needs each instance's previous values, captured from memory when
instances are created or loaded (:mod:`.capture`, which ``previous_attributes`` uses
too). Every hook of one save gets the same answer (the changes are computed once per
dispatch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model

from ..snapshot.payload import field_names
from . import capture

__all__ = ["Conditions", "Predicate", "saved_fields"]

#: ``when=``: called as ``when(instance, **signal_kwargs)``; a false result skips delivery.
Predicate = Callable[..., bool]


def saved_fields(model: type[Model], kwargs: Mapping[str, Any]) -> set[str] | None:
    """The names of the fields a save wrote (``update_fields``), or ``None`` for all.

    ``save()`` accepts names and attribute names (``category_id``).
    """
    given = kwargs.get("update_fields")
    if given is None:
        return None
    concrete = model._meta.concrete_fields
    return {f.name for f in concrete if f.name in given or f.attname in given}


class Conditions:
    """A hook's ``when`` / ``when_changed``; :meth:`allows` decides per signal dispatch."""

    def __init__(
        self,
        owner: str,
        *,
        when: Predicate | None = None,
        when_changed: Iterable[str] | None = None,
    ) -> None:
        if when is not None and not callable(when):
            raise ImproperlyConfigured(
                f"{owner}: when= must be a callable (instance, **kwargs) -> bool, not {when!r}"
            )
        names: frozenset[str] | None = None
        if when_changed is not None:
            names = frozenset(field_names(owner, "when_changed", when_changed) or ())
            capture.watch(names)
        self.when = when
        self.when_changed = names
        self._checked: set[type[Model]] = set()

    @property
    def active(self) -> bool:
        return self.when is not None or self.when_changed is not None

    def allows(self, signal: object, kwargs: Mapping[str, Any], dispatch: int) -> bool:
        """``True`` to deliver. ``when_changed`` applies to saves (``created`` present):
        a creation always counts as a change; other signals are not filtered by it.
        ``dispatch``: the serial number of the dispatch (one decision per save)."""
        instance = kwargs.get("instance")
        watched = self.when_changed is not None and "created" in kwargs
        if (
            watched
            and isinstance(instance, Model)
            and not self._changed(instance, kwargs, dispatch)
        ):
            return False
        if self.when is not None:
            args = {k: v for k, v in kwargs.items() if k != "instance"}
            return bool(self.when(instance, **args))
        return True

    def observe(self, kwargs: Mapping[str, Any], dispatch: int) -> None:
        """Keep ``when_changed``'s previous values current for a save the hook does not
        deliver (an ``EndpointsHook`` with no matching endpoint), without calling ``when``.
        """
        instance = kwargs.get("instance")
        if self.when_changed is not None and "created" in kwargs and isinstance(instance, Model):
            self._changed(instance, kwargs, dispatch)

    def _changed(self, instance: Model, kwargs: Mapping[str, Any], dispatch: int) -> bool:
        assert self.when_changed is not None
        model = type(instance)
        if model not in self._checked:
            unknown = sorted(self.when_changed - {f.name for f in model._meta.concrete_fields})
            if unknown:
                raise ImproperlyConfigured(
                    f"when_changed= names {', '.join(unknown)}, not field(s) of {model._meta.label}"
                )
            if not capture.planned(model):  # connected to a model created oddly
                capture.plan(model)
            self._checked.add(model)
        saved = saved_fields(model, kwargs)
        changed = capture.changes(instance, saved, dispatch)  # refreshes the snapshot
        if kwargs.get("created"):
            return True
        if saved is not None and self.when_changed.isdisjoint(saved):
            return False
        return changed is None or not self.when_changed.isdisjoint(changed)
