"""What a save changed: each instance's previous values, captured from memory.

``when_changed=`` and ``previous_attributes=True`` need the values an instance had
before a save. They are captured without a query: a ``post_init`` receiver stores the
watched fields' values (read from the instance ``__dict__``, so deferred fields are
never loaded) when an instance is created or loaded from the database. Receivers are
connected with ``sender=`` for exactly the models that have a watched field, so other
models pay nothing.

Which fields are watched: ``when_changed`` names, on every model that has them
(:func:`watch`); for ``previous_attributes``, the fields a hook sends, on the models it
is connected to (:func:`watch_model`). Those models are found (:func:`track`) when the
first instance of any model is created after the hook is connected, by a ``post_init``
receiver that disconnects itself then; a hook connected later still has its models
watched from its first event on.

After a save, the first caller refreshes the stored values (only the saved ones when
``update_fields`` was given) and keeps what changed, with its old value, under the
serial number of the save's dispatch: every hook of the same save gets the same answer,
and a second save in the same transaction compares with the first. ``refresh_from_db()``
sets the stored values too: Django copies the reloaded values onto the instance without
sending ``post_init`` for it, so the ``refresh_from_db`` of a watched model is wrapped
(once per class).
"""

from __future__ import annotations

import copy
import datetime
import decimal
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.db.models.signals import class_prepared, post_init, post_save

from .._internals import receivers_version

__all__ = ["UNKNOWN", "changes", "plan", "planned", "track", "watch", "watch_model"]

#: The previous value of a field that was not loaded (deferred) or not captured.
UNKNOWN: Any = object()
_STATE = "_signalhooks_previous"  # instance attribute: (dispatch serial, values, changes)
_WRAPPED = "_signalhooks_captures"  # marks a wrapped refresh_from_db
_DISCOVER = "signalhooks.capture:discover"
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

_lock = threading.RLock()
_watched_names: set[str] = set()  # union of every hook's when_changed
_model_names: dict[type[Model], set[str]] = {}  # previous_attributes: fields per model
_plans: dict[type[Model], dict[str, str]] = {}  # model -> {field name: attname} captured
_attnames: dict[type[Model], tuple[str, ...]] = {}  # model -> attnames captured (hot path)
#: Hooks whose models are not found yet -> their finder: () -> [(model, field names)].
_pending: weakref.WeakKeyDictionary[Any, Callable[[], list[tuple[type[Model], set[str]]]]] = (
    weakref.WeakKeyDictionary()
)
_receivers_seen: Any = None  # post_save's receivers at the last look for pending hooks


def _snapshot(value: Any) -> Any:
    # Mutable values (JSONField dicts, lists) are copied: mutating them in place must
    # still count as a change. An exact type check is the cheap common case.
    if value is UNKNOWN or type(value) in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


def _capture(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    # Runs for every instance of a watched model that is created or loaded: keep it lean.
    attnames = _attnames.get(sender)
    if attnames:
        values = instance.__dict__
        previous = {}
        for att in attnames:
            value = values.get(att, UNKNOWN)
            if type(value) not in _IMMUTABLE and value is not UNKNOWN:
                value = copy.deepcopy(value)
            previous[att] = value
        values[_STATE] = (None, previous, None)


def _recapture(instance: Model, fields: Iterable[str] | None) -> None:
    """After ``refresh_from_db(fields=...)``: the reloaded values are the new baseline."""
    plan = _plans.get(type(instance))
    if not plan:
        return
    values = instance.__dict__
    state = values.get(_STATE)
    previous = dict(state[1]) if state is not None else {}
    names = None if fields is None else set(fields)
    for name, att in plan.items():
        if names is None or name in names or att in names:
            previous[att] = _snapshot(values.get(att, UNKNOWN))
    values[_STATE] = (None, previous, None)


def _wrap_refresh(model: type[Model]) -> None:
    original = model.refresh_from_db
    if getattr(original, _WRAPPED, False):  # this class or a parent is wrapped already
        return

    def refresh_from_db(
        self: Model,
        using: str | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: Any = None,
    ) -> None:
        fields = None if fields is None else list(fields)
        original(self, using=using, fields=fields, from_queryset=from_queryset)
        _recapture(self, fields)

    setattr(refresh_from_db, _WRAPPED, True)
    refresh_from_db.__doc__ = original.__doc__
    model.refresh_from_db = refresh_from_db  # type: ignore[method-assign]


def _plan_model(model: type[Model]) -> None:
    """Capture the watched fields ``model`` has (called with ``_lock`` held)."""
    if model._meta.abstract:
        return
    by_name = {f.name: f.attname for f in model._meta.concrete_fields}
    wanted = _watched_names | _model_names.get(model, set())
    plan = {name: by_name[name] for name in wanted if name in by_name}
    if not plan or plan == _plans.get(model):
        return
    _plans[model] = plan
    _attnames[model] = tuple(plan.values())
    uid = f"signalhooks.conditions:{model._meta.label}"
    post_init.connect(_capture, sender=model, weak=False, dispatch_uid=uid)
    _wrap_refresh(model)


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


def watch_model(model: type[Model], names: Iterable[str]) -> None:
    """Start capturing ``names`` on ``model`` (if not already)."""
    names = set(names)
    with _lock:
        if names - _model_names.get(model, set()):
            _model_names.setdefault(model, set()).update(names)
            _plan_model(model)


def track(hook: Any, find: Callable[[], list[tuple[type[Model], set[str]]]]) -> None:
    """Watch the models ``hook`` is connected to, once it is: ``find()`` names them, with
    the fields to capture (an empty list while ``hook`` is not connected yet)."""
    with _lock:
        _pending[hook] = find
        post_init.connect(_discover, weak=False, dispatch_uid=_DISCOVER)


def _discover(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    # Connected (for every model) from track() to the first instance created once the
    # apps are ready: then it looks at post_save's receivers once and disconnects (a
    # hook not connected by then has its models watched from its first event on).
    # Earlier, during start-up, it looks again only when those receivers changed (their
    # number or the last one connected: a connect appends, a disconnect removes).
    global _receivers_seen
    if not apps.models_ready:
        return
    seen = receivers_version(post_save)
    ready = apps.ready
    if seen == _receivers_seen and not ready:
        return
    with _lock:
        _receivers_seen = seen
        for hook, find in list(_pending.items()):
            try:
                found = find()
            except Exception:  # never into the caller's Model(); the first event plans
                found = []
            for model, names in found:
                _model_names.setdefault(model, set()).update(names)
                _plan_model(model)
            if found or ready:
                del _pending[hook]
        if not _pending:
            post_init.disconnect(dispatch_uid=_DISCOVER)
    if sender in _attnames:  # planned just now: its own receiver missed this instance
        _capture(sender, instance)


def changes(
    instance: Model, update_fields: set[str] | None, dispatch: int
) -> Mapping[str, Any] | None:
    """The captured fields that this save changed, by name, with their previous values
    (:data:`UNKNOWN` when it was not loaded). Do not modify it: hooks share it.

    ``update_fields``: the field *names* this save wrote, or ``None`` for all;
    ``dispatch``: the serial number of the save's dispatch. ``None`` if nothing was
    captured for this instance (then everything counts as changed).
    """
    state = instance.__dict__.get(_STATE)
    plan = _plans.get(type(instance))
    if state is None or plan is None:
        return None
    seen, previous, changed = state
    if seen == dispatch:
        return changed  # type: ignore[no-any-return]
    current = instance.__dict__
    changed = {}
    refreshed = dict(previous)
    for name, att in plan.items():
        if update_fields is not None and name not in update_fields:
            continue  # not written by this save: the database still has the old value
        now = current.get(att, UNKNOWN)
        before = previous.get(att, UNKNOWN)
        if now is UNKNOWN or before is UNKNOWN or now != before:
            changed[name] = before
        refreshed[att] = _snapshot(now)
    current[_STATE] = (dispatch, refreshed, changed)
    return changed


def planned(model: type[Model]) -> bool:
    """Whether ``model``'s instances are captured."""
    return model in _plans


def plan(model: type[Model]) -> None:
    """Capture ``model``'s watched fields from now on (a model created unusually)."""
    with _lock:
        _plan_model(model)
