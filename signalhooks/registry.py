"""Every hook created in this process: a leaf module anything may import.

Read by the system checks, the management commands and the outbox worker, which
finds the hook that wrote a row among the hooks it created itself.
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["add", "all_hooks", "is_hook"]

_hooks: weakref.WeakSet[Any] = weakref.WeakSet()
# Django connects receivers weakly by default, so the seed's inline
# ``post_save.connect(HTTPSignalHook(...))`` would be collected at once. Hooks are
# configuration objects that live as long as the process: keep them alive here.
_keepalive: list[Any] = []


def add(hook: Any) -> None:
    """Record ``hook`` (called by every hook's constructor) and keep it alive."""
    _hooks.add(hook)
    _keepalive.append(hook)


def all_hooks() -> list[Any]:
    """Every hook created in this process."""
    return list(_hooks)


def is_hook(obj: object) -> bool:
    """Whether ``obj`` is a hook of this process (a receiver that Django may call)."""
    try:
        return obj in _hooks
    except TypeError:  # an unhashable receiver: certainly not a hook
        return False
