"""Conditional delivery: ``when=`` (a predicate) and ``when_changed=`` (watched fields).

``when_changed`` needs each instance's previous values. They are captured without
a query: a ``post_init`` receiver stores the watched fields' values (read from the
instance ``__dict__``, so deferred fields are never loaded) when an instance is
created or loaded from the database. Receivers are connected with ``sender=`` for
exactly the models that have a watched field, so other models pay nothing.

After a save, the first decision refreshes the stored values (only the saved ones
when ``update_fields`` was given); every hook of the same save sees the same
answer: the decision is kept with the serial number of the dispatch
(:class:`signalhooks.snapshot.dispatch.Dispatch`) it was made in.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.db.models.signals import class_prepared, post_init

from ..snapshot.payload import field_names

__all__ = ["Conditions", "Predicate"]

#: ``when=``: called as ``when(instance, **signal_kwargs)``; a false result skips delivery.
Predicate = Callable[..., bool]

_STATE = "_signalhooks_previous"  # instance attribute: (dispatch serial, values, changed)
_UNKNOWN = object()  # a value that was not loaded (deferred) or not captured
_IMMUTABLE = frozenset(
    {
        str,
        int,
        float,
        bool,
        bytes,
        type(None),
        decimal.Decimal,
        datetime.date,
        datetime.time,
        datetime.timedelta,
        uuid.UUID,
        datetime.datetime,
    }
)

_lock = threading.Lock()
_watched_names: set[str] = set()  # union of every hook's when_changed
_plans: dict[type[Model], dict[str, str]] = {}  # model -> {field name: attname} captured
_attnames: dict[type[Model], tuple[str, ...]] = {}  # model -> attnames captured (hot path)


def _snapshot(value: Any) -> Any:
    # Mutable values (JSONField dicts, lists) are copied: mutating them in place must
    # still count as a change. An exact type check is the cheap common case.
    return value if type(value) in _IMMUTABLE else copy.deepcopy(value)


def _capture(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    # Runs for every instance of a watched model that is created or loaded: keep it lean.
    attnames = _attnames.get(sender)
    if attnames:
        values = instance.__dict__
        previous = {}
        for att in attnames:
            value = values.get(att, _UNKNOWN)
            if type(value) not in _IMMUTABLE and value is not _UNKNOWN:
                value = copy.deepcopy(value)
            previous[att] = value
        values[_STATE] = (None, previous, None)


def _plan_model(model: type[Model]) -> None:
    """Capture the watched fields ``model`` has (called with ``_lock`` held)."""
    if model._meta.abstract:
        return
    by_name = {f.name: f.attname for f in model._meta.concrete_fields}
    plan = {name: by_name[name] for name in _watched_names if name in by_name}
    if not plan or plan == _plans.get(model):
        return
    _plans[model] = plan
    _attnames[model] = tuple(plan.values())
    uid = f"signalhooks.conditions:{model._meta.label}"
    post_init.connect(_capture, sender=model, weak=False, dispatch_uid=uid)


def _on_class_prepared(sender: type[Model], **kwargs: Any) -> None:
    with _lock:
        _plan_model(sender)


def watch(names: Iterable[str]) -> None:
    """Start capturing ``names`` on every model (existing and future) that has them."""
    with _lock:
        _watched_names.update(names)
        if apps.models_ready:
            models: Iterable[type[Model]] = apps.get_models()
        else:  # a hook created while models are still being imported
            models = [m for app in list(apps.all_models.values()) for m in list(app.values())]
        for model in models:
            _plan_model(model)
        class_prepared.connect(
            _on_class_prepared, weak=False, dispatch_uid="signalhooks.conditions"
        )


def changed_fields(
    instance: Model, update_fields: set[str] | None, dispatch: int
) -> set[str] | None:
    """Names of captured fields that differ from their previous values at this save.

    ``update_fields``: the field *names* this save wrote, or ``None`` for all;
    ``dispatch``: the serial number of the save's dispatch.

    ``None`` if nothing was captured for this instance (then everything counts as
    changed). Computed once per save and shared by every hook of that save.
    """
    state = instance.__dict__.get(_STATE)
    plan = _plans.get(type(instance))
    if state is None or plan is None:
        return None
    seen, previous, changed = state
    if seen == dispatch:
        assert changed is not None
        return set(changed)
    current = instance.__dict__
    changed = set()
    refreshed = dict(previous)
    for name, att in plan.items():
        if update_fields is not None and name not in update_fields:
            continue  # not written by this save: the database still has the old value
        now = current.get(att, _UNKNOWN)
        before = previous.get(att, _UNKNOWN)
        if now is _UNKNOWN or before is _UNKNOWN or now != before:
            changed.add(name)
        refreshed[att] = _snapshot(now) if now is not _UNKNOWN else _UNKNOWN
    instance.__dict__[_STATE] = (dispatch, refreshed, frozenset(changed))
    return changed


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
            watch(names)
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
        concrete = model._meta.concrete_fields
        if model not in self._checked:
            unknown = sorted(self.when_changed - {f.name for f in concrete})
            if unknown:
                raise ImproperlyConfigured(
                    f"when_changed= names {', '.join(unknown)}, not field(s) of {model._meta.label}"
                )
            if model not in _plans:  # connected to a model created oddly: capture from now on
                with _lock:
                    _plan_model(model)
            self._checked.add(model)
        given = kwargs.get("update_fields")
        saved: set[str] | None = None
        if given is not None:  # save() accepts names and attnames ("category_id")
            saved = {f.name for f in concrete if f.name in given or f.attname in given}
        changed = changed_fields(instance, saved, dispatch)  # refreshes the snapshot
        if kwargs.get("created"):
            return True
        if saved is not None and self.when_changed.isdisjoint(saved):
            return False
        return changed is None or not self.when_changed.isdisjoint(changed)
