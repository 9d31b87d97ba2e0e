"""Event types declared in code: what the models cannot describe (custom signals).

``declare()`` checks what it is given at once, with the ``jsonschema`` package (the
``signalhooks[jsonschema]`` extra): only declarations need it, so a project that
declares nothing does not install it.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

from .event_type import EventType, standard_body
from .generated import generated, generated_names
from .schemas import example_of

__all__ = ["check_name", "clashes", "declare", "declared_types", "produces"]

#: An event type's name: what an endpoint's patterns match, without the wildcard.
NAME = re.compile(r"[A-Za-z0-9_.:/-]{1,255}")
#: The attribute :func:`produces` sets on an ``event=`` callable.
PRODUCES = "signalhooks_event_types"

_lock = threading.Lock()
_declared: dict[str, EventType] = {}
F = TypeVar("F", bound=Callable[..., Any])


def check_name(name: object, what: str = "declare()") -> str:
    """``name`` if it is a valid event type name, else ``ImproperlyConfigured``."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ImproperlyConfigured(
            f"{what}: {name!r} is not an event type name: use 1 to 255 letters, digits "
            'and "_ . : - /", e.g. "orders.placed" (no "*": that is for patterns)'
        )
    return name


def _validator(name: str, schema: dict[str, Any]) -> Any:
    try:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError
    except ImportError:
        raise ImproperlyConfigured(
            f"declare({name!r}): checking a schema needs the jsonschema package: "
            "pip install 'signalhooks[jsonschema]'"
        ) from None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "the root"
        raise ImproperlyConfigured(
            f"declare({name!r}): schema= is not a valid JSON Schema (draft 2020-12) at "
            f"{where}: {exc.message}"
        ) from None
    return Draft202012Validator(schema)


def declare(
    name: str, *, description: str, schema: dict[str, Any], example: Any = None
) -> EventType:
    """Add an event type to the catalog: one the models cannot describe.

    ``schema`` is the JSON Schema (draft 2020-12) of the body's ``data``; ``example``
    an example ``data`` (``None``: one is made from the schema). Raises
    ``ImproperlyConfigured`` for an invalid name, an invalid schema, an example the
    schema rejects, a name the connected hooks already generate, or a second
    declaration of the name with other content. Declaring the same type twice is
    harmless (a module may be imported twice).
    """
    check_name(name)
    if not isinstance(description, str):
        raise ImproperlyConfigured(
            f"declare({name!r}): description= must be a string, not {description!r}"
        )
    if not isinstance(schema, dict):
        raise ImproperlyConfigured(
            f"declare({name!r}): schema= must be a JSON Schema (a dict), not {schema!r}"
        )
    schema = copy.deepcopy(schema)
    validator = _validator(name, schema)
    data = example_of(schema) if example is None else copy.deepcopy(example)
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"declare({name!r}): example= is not JSON: {exc}") from None
    if example is not None:
        error = _first_error(validator, data)
        if error is not None:
            raise ImproperlyConfigured(
                f"declare({name!r}): example= does not match schema=: {error}"
            )
    event_type = EventType(name, description, schema, standard_body(name, data))
    clash = generated_names().get(name.casefold())
    if clash is not None:
        raise ImproperlyConfigured(
            f"declare({name!r}): {clash!r} is generated from the models by a connected "
            "EndpointsHook; its schema comes from the model's fields"
        )
    with _lock:
        known = _declared.get(name)
        if known is not None and known != event_type:
            raise ImproperlyConfigured(
                f"declare({name!r}): already declared with another description, schema "
                "or example; declare each event type once"
            )
        _declared[name] = event_type
    return event_type


def _first_error(validator: Any, instance: Any) -> str | None:
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{error.message} (at {where})" if where else str(error.message)


def declared_types() -> dict[str, EventType]:
    """The declared event types by name."""
    with _lock:
        return dict(_declared)


def clashes(made: dict[str, EventType] | None = None) -> list[str]:
    """Declared names that connected hooks also generate (each an error)."""
    folded = {name.casefold() for name in (generated() if made is None else made)}
    return sorted(name for name in declared_types() if name.casefold() in folded)


def produces(*names: str) -> Callable[[F], F]:
    """Mark an ``event=`` callable with the event type names it returns.

    The system check then verifies that each is declared (an unmarked callable's
    names cannot be known)::

        @produces("orders.placed", "orders.cancelled")
        def order_event(kwargs):
            return "orders.cancelled" if kwargs["cancelled"] else "orders.placed"
    """
    checked = tuple(check_name(name, "produces()") for name in names)
    if not checked:
        raise ImproperlyConfigured("produces() needs at least one event type name")

    def mark(func: F) -> F:
        setattr(func, PRODUCES, checked)
        return func

    return mark
