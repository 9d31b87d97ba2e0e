"""System checks of the contract (registered with the others by :mod:`signalhooks.checks`).

``signalhooks.W005``: an ``EndpointsHook`` sends event types the catalog cannot
describe: an ``event=`` name on a custom signal that is not declared, an ``event=``
callable not marked with :func:`~signalhooks.catalog.produces` (or naming undeclared
types), a custom signal without ``event=``, or a body the models do not describe
(``serializer=``, ``use_natural_keys=True``) whose types are not declared.

``signalhooks.E013``: a declared event type has the name of one generated from the
models.

``signalhooks.E014``: a hook with ``previous_attributes=True`` is connected to a signal
that sends no saved instance (not one of Django's model signals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning
from django.db.models.signals import ModelSignal, post_delete, post_save

from ..hooks.endpoints import EndpointsHook
from ..hooks.wiring import Connection, connections, signal_index
from ..registry import all_hooks
from .declared import PRODUCES, clashes, declared_types
from .generated import describable, endpoints_hooks, model_events

__all__ = ["check_catalog"]

_MODEL_SIGNALS = (post_save, post_delete)


def check_catalog(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W005, E013 and E014 (see the module docstring)."""
    hooks = endpoints_hooks()
    comparing = [hook for hook in all_hooks() if getattr(hook, "previous_attributes", False)]
    if not hooks and not comparing:
        return []
    index = signal_index()
    messages: list[CheckMessage] = []
    for hook in comparing:
        for connection in connections(hook, index):
            if not isinstance(connection.signal, ModelSignal):
                messages.append(
                    Error(
                        f"{hook!r} has previous_attributes=True but is connected to "
                        f"{connection}, which sends no saved instance.",
                        hint="previous_attributes describes the updates of post_save; "
                        "connect a hook without it to this signal.",
                        obj=hook,
                        id="signalhooks.E014",
                    )
                )
    messages += [
        Error(
            f"The declared event type {name!r} has the name of a type generated from the "
            "models by a connected EndpointsHook.",
            hint="Remove the declaration (the generated schema describes what is sent), or "
            "give the hook another event= name.",
            id="signalhooks.E013",
        )
        for name in clashes()
    ]
    known = {name.casefold() for name in declared_types()}
    for hook in hooks:
        problems = _undescribed(hook, connections(hook, index), known)
        if problems:
            messages.append(
                Warning(
                    f"{hook!r} sends event types the catalog cannot describe: "
                    + "; ".join(problems)
                    + ".",
                    hint="Declare them with signalhooks.catalog.declare(name, description=..., "
                    "schema=...), and mark an event= callable with @produces(*names) "
                    "(see the contract page of the docs).",
                    obj=hook,
                    id="signalhooks.W005",
                )
            )
    return messages


def _undescribed(hook: EndpointsHook, wired: list[Connection], known: set[str]) -> list[str]:
    """Why some of ``hook``'s event types are neither generated nor declared."""
    if not wired:  # never sends anything (W001 says so)
        return []
    event = hook.event_name
    problems = []
    if callable(event):
        names = getattr(event, PRODUCES, None)
        if names is None:
            return [f"the names its event= callable {_name(event)} returns cannot be known"]
        needed = list(names)
    else:
        needed = [] if describable(hook) else [name for name, _, _ in model_events(hook)]
        for connection in wired:
            if connection.signal in _MODEL_SIGNALS:
                continue
            if event is None:
                problems.append(
                    f"{connection} has no event= name (its events are named 'signal' or "
                    "'<app_label.Model>:signal')"
                )
            else:
                needed.append(event)
    missing = sorted({name for name in needed if name.casefold() not in known})
    if missing:
        problems.insert(0, f"{', '.join(repr(name) for name in missing)} not declared")
    return problems


def _name(func: Any) -> str:
    return str(getattr(func, "__qualname__", None) or repr(func))
