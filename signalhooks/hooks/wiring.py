"""Where hooks are connected: which signals, from which senders (for checks and commands).

Django keeps no registry of signals, so they are found where they live: module
attributes and class attributes, a cheap scan. A signal held elsewhere (a closure,
a container) is found by a walk over every live object, which costs far more in a
large process and is done only when the cheap scan misses.
"""

from __future__ import annotations

import functools
import gc
import sys
import types
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

from .._internals import signal_receivers

__all__ = [
    "Connection",
    "all_signals",
    "connected_senders",
    "connected_signals",
    "connections",
    "receiver_owners",
    "signal_index",
    "signal_name",
    "signal_names",
]


@dataclass(frozen=True)
class Connection:
    """One ``signal.connect(...)`` of a hook (or of its ``async_receiver``)."""

    signal: Signal
    signal_name: str
    sender: str  # "any sender", a model label, or repr of the sender
    is_async: bool

    def __str__(self) -> str:
        how = "async_receiver on " if self.is_async else ""
        return f"{how}{self.signal_name} from {self.sender}"


def signal_names() -> dict[Signal, str]:
    """Signals reachable from modules, named ``post_save`` (Django's) or ``module.attr``."""
    best: dict[Signal, tuple[tuple[bool, int], str]] = {}
    for module_name, namespace in _module_namespaces():
        for attribute, value in list(namespace.items()):
            # type(), not isinstance(): isinstance() reads __class__, which sets up
            # lazy objects (django.contrib.staticfiles' storage raises doing so).
            kind = type(value)
            if issubclass(kind, Signal):
                _offer(best, value, module_name, attribute)
            elif issubclass(kind, type) and value.__module__ == module_name:
                for name, member in list(vars(value).items()):
                    if issubclass(type(member), Signal):
                        _offer(best, member, module_name, f"{attribute}.{name}")
    return {signal: name for signal, (_, name) in best.items()}


def _offer(best: dict[Signal, Any], signal: Signal, module_name: str, attribute: str) -> None:
    name = attribute if module_name.startswith("django.") else f"{module_name}.{attribute}"
    # Prefer where a signal is defined (a "signals" module, usually), then the shortest name.
    rank = (not module_name.endswith("signals"), len(name))
    if signal not in best or rank < best[signal][0]:
        best[signal] = (rank, name)


def _module_namespaces() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for module_name, module in list(sys.modules.items()):
        # No attribute access on modules: it would import lazily-loaded ones.
        if issubclass(type(module), types.ModuleType):
            namespace = object.__getattribute__(module, "__dict__")
            if isinstance(namespace, dict):
                out.append((module_name, namespace))
    return out


def all_signals() -> list[Signal]:
    """Every live :class:`~django.dispatch.Signal`, wherever it is referenced from."""
    return [obj for obj in gc.get_objects() if issubclass(type(obj), Signal)]


def receiver_owners(signal: Signal) -> set[int]:
    """ids of the live receivers of ``signal``, and of the objects their bound methods use."""
    owners = set()
    for _, receiver in signal_receivers(signal):
        owners.add(id(receiver))
        bound_to = getattr(receiver, "__self__", None)
        if bound_to is not None:
            owners.add(id(bound_to))
    return owners


def _is_hook(receiver: Any, hook: object) -> bool:
    """``receiver`` is ``hook`` or one of its bound methods (``async_receiver``)."""
    return receiver is hook or getattr(receiver, "__self__", None) is hook


def signal_index() -> dict[int, list[Signal]]:
    """id of every receiver (and bound-method owner) -> the live signals it is connected to.

    One walk over live signals for all hooks, not one per hook: the walk dominates.
    """
    index: dict[int, list[Signal]] = {}
    for signal in all_signals():
        for owner in receiver_owners(signal):
            index.setdefault(owner, []).append(signal)
    return index


def connected_signals(hook: object, index: dict[int, list[Signal]] | None = None) -> list[Signal]:
    """The signals ``hook`` (or its ``async_receiver``) is connected to."""
    return (signal_index() if index is None else index).get(id(hook), [])


def connected_senders(signal: Signal, hook: object) -> list[Any]:
    """The senders ``hook`` (or its ``async_receiver``) is connected to on ``signal``.

    ``None`` stands for "any sender"; a sender that is gone is left out. Reads only
    ``signal``'s receivers: cheap enough for a known signal such as ``post_save``.
    """
    from django.apps import apps

    by_id: dict[Any, Any] = {id(model): model for model in apps.get_models()}
    by_id[None] = None
    return [
        by_id[sender_id]
        for sender_id, receiver in signal_receivers(signal)
        if _is_hook(receiver, hook) and sender_id in by_id
    ]


def connections(hook: object, index: dict[int, list[Signal]] | None = None) -> list[Connection]:
    """Every connection of ``hook``, with a readable signal name and sender."""
    from django.apps import apps

    names = signal_names()
    senders = {id(model): model._meta.label for model in apps.get_models()}
    out = []
    for signal in connected_signals(hook, index):
        for sender_id, receiver in signal_receivers(signal):
            if _is_hook(receiver, hook):
                sender = "any sender" if sender_id is None else senders.get(sender_id, "?")
                name = names.get(signal, repr(signal))
                out.append(Connection(signal, name, sender, receiver is not hook))
    return out


@functools.lru_cache(maxsize=64)
def signal_name(signal: Any) -> str:
    """``post_save``, or ``module.name`` where a custom signal is defined, for errors.

    Django signals have no name, and a user reading "cannot serialize ..." needs to
    know which of their signals sent it. The module scan costs a few ms: error path
    only, once per signal.
    """
    return signal_names().get(signal, repr(signal))
