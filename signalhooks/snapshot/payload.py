"""Per-hook control of the serialized instance: ``fields``, ``exclude``, a custom
serializer, natural keys.

A hook with none of these options uses the default snapshot, shared by every hook
of one dispatch (see :class:`~signalhooks.snapshot.dispatch.Dispatch`). A hook with
options serializes for itself, with the dispatch's event id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Field, Model

from ..exceptions import SerializationError
from .serialization import serialize_instance

__all__ = ["InstanceSerializer", "PayloadOptions", "field_names"]

#: ``serializer=``: the instance in, JSON text (used verbatim) or a dict (encoded) out.
InstanceSerializer = Callable[[Model], str | dict[str, Any]]


class PayloadOptions:
    """Validated payload options of one hook; callable as ``serialize(instance) -> str``."""

    def __init__(
        self,
        owner: str,
        *,
        fields: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        serializer: InstanceSerializer | None = None,
        use_natural_keys: bool = False,
    ) -> None:
        self.fields = field_names(owner, "fields", fields)
        self.exclude = field_names(owner, "exclude", exclude)
        if self.fields is not None and self.exclude is not None:
            raise ImproperlyConfigured(f"{owner}: give fields= or exclude=, not both")
        if serializer is not None and not callable(serializer):
            raise ImproperlyConfigured(
                f"{owner}: serializer= must be a callable taking the instance, not {serializer!r}"
            )
        if serializer is not None and (self.fields or self.exclude or use_natural_keys):
            raise ImproperlyConfigured(
                f"{owner}: serializer= replaces Django's serializer; fields=, exclude= and "
                "use_natural_keys= cannot be combined with it"
            )
        if not isinstance(use_natural_keys, bool):
            raise ImproperlyConfigured(
                f"{owner}: use_natural_keys= must be True or False, not {use_natural_keys!r}"
            )
        self.serializer = serializer
        self.use_natural_keys = use_natural_keys
        # Field lists checked and resolved once per model class.
        self._resolved: dict[type[Model], list[str]] = {}

    @property
    def is_default(self) -> bool:
        """No option set: the shared default snapshot applies."""
        return (
            self.fields is None
            and self.exclude is None
            and self.serializer is None
            and not self.use_natural_keys
        )

    def __call__(self, instance: Model) -> str:
        """The instance's JSON text per these options (a :class:`SerializationError` if not)."""
        if self.serializer is not None:
            return self._custom(instance)
        options: dict[str, Any] = {}
        if self.use_natural_keys:
            options = {"use_natural_foreign_keys": True, "use_natural_primary_keys": True}
        names = None
        if self.fields is not None or self.exclude is not None:
            names = self._field_names(type(instance))
        return serialize_instance(instance, names, **options)

    @property
    def custom(self) -> bool:
        """``serializer=`` shapes the instance: its JSON is not Django's serializer dict."""
        return self.serializer is not None

    def sent_fields(self, model: type[Model]) -> tuple[Field[Any, Any], ...]:
        """The fields Django's serializer writes for ``model`` with these options (not the pk).

        The same selection as ``Serializer.serialize()``: the concrete model's own
        serializable fields, then its many-to-many fields with an automatic ``through``
        table, limited by ``fields=``/``exclude=`` (a ``SerializationError`` names an
        unknown one). Meaningless with ``serializer=``, which shapes the instance itself.
        """
        selected = None
        if self.fields is not None or self.exclude is not None:
            selected = set(self._field_names(model))
        opts = (model._meta.concrete_model or model)._meta
        return tuple(
            f
            for f in (*opts.local_fields, *opts.local_many_to_many)
            if getattr(f, "serialize", True)
            and (selected is None or f.name in selected)
            and (not f.many_to_many or _automatic_through(f))
        )

    def _field_names(self, model: type[Model]) -> list[str]:
        names = self._resolved.get(model)
        if names is not None:
            return names
        opts = model._meta
        # What Django's serializer can emit: concrete fields and many-to-many fields.
        known = [f.name for f in (*opts.concrete_fields, *opts.many_to_many)]
        unknown = sorted(set(self.fields or self.exclude or ()) - set(known))
        if unknown:
            option = "fields" if self.fields is not None else "exclude"
            raise SerializationError(
                f"{option}= names {', '.join(unknown)}, not field(s) of {opts.label} "
                f"(fields: {', '.join(known)})"
            )
        if self.fields is not None:
            names = list(self.fields)
        else:
            excluded = set(self.exclude or ())
            names = [name for name in known if name not in excluded]
        self._resolved[model] = names
        return names

    def _custom(self, instance: Model) -> str:
        assert self.serializer is not None
        label = instance._meta.label
        try:
            value = self.serializer(instance)
        except Exception as exc:
            raise SerializationError(
                f"serializer= raised for {label} (pk={instance.pk!r}): {type(exc).__name__}: {exc}"
            ) from exc
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            raise SerializationError(
                f"serializer= must return str or dict, returned {type(value).__name__} for {label}"
            )
        try:
            return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise SerializationError(
                f"serializer= result for {label} is not JSON-serializable: {exc}"
            ) from exc


def _automatic_through(field: Field[Any, Any]) -> bool:
    # Django's serializer leaves out many-to-many fields with a through model of yours.
    through = getattr(field.remote_field, "through", None)
    return through is not None and bool(through._meta.auto_created)


def field_names(owner: str, option: str, value: object) -> tuple[str, ...] | None:
    """A non-empty list of field-name strings as a tuple (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ImproperlyConfigured(
            f"{owner}: {option}= must be a list of field names, not {value!r}"
        )
    names = tuple(value)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ImproperlyConfigured(
            f"{owner}: {option}= must be a non-empty list of field names, not {value!r}"
        )
    return names
