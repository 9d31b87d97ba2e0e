"""The portal's forms: an endpoint (named after the model's fields) and a replay.

Validation is the model's own (``Endpoint.full_clean()``, run by ``ModelForm``): the
URL and its SSRF rule, patterns, reserved headers, the rate limit. The form only turns
what a browser sends into the model's values: event types come as ticked catalog
entries plus a text area of patterns (both named ``event_types``), headers as one
``Name: value`` per line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.datastructures import MultiValueDict

from ..endpoints.models import Endpoint
from .operations import parse_since
from .schema import EDITABLE, ceiling_problems

__all__ = ["EndpointForm", "EventTypesWidget", "HeadersField", "ReplayForm"]

if TYPE_CHECKING:  # generic only in django-stubs
    _ModelForm = forms.ModelForm[Endpoint]
else:
    _ModelForm = forms.ModelForm


class EventTypesWidget(forms.Widget):
    """Checkboxes of the catalog's event types and a text area of patterns, one name."""

    template_name = "signalhooks/portal/widgets/event_types.html"

    def __init__(self, choices: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.choices = list(choices)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        if isinstance(data, MultiValueDict):
            return [str(v) for v in data.getlist(name)]
        value = data.get(name)
        return list(value) if isinstance(value, list | tuple) else [] if value is None else [value]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = list(value or [])
        known = {choice for choice, _ in self.choices}
        context["widget"]["choices"] = [
            (choice, description, choice in chosen) for choice, description in self.choices
        ]
        context["widget"]["patterns"] = "\n".join(v for v in chosen if v not in known)
        return context


class EventTypesField(forms.Field):
    """A list of names and patterns; each value may hold several, one per line."""

    def to_python(self, value: Any) -> list[str]:
        patterns: list[str] = []
        for item in value or []:
            for line in str(item).splitlines():
                if line.strip() and line.strip() not in patterns:
                    patterns.append(line.strip())
        return patterns


class HeadersField(forms.CharField):
    """Extra request headers, one ``Name: value`` per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> dict[str, str]:  # type: ignore[override]
        headers: dict[str, str] = {}
        for number, line in enumerate(str(value or "").splitlines(), 1):
            if not line.strip():
                continue
            name, colon, text = line.partition(":")
            if not colon or not name.strip():
                raise ValidationError(
                    f"Line {number} is not a header: write one per line, as Name: value.",
                    code="invalid",
                )
            headers[name.strip()] = text.strip()
        return headers

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return "\n".join(f"{name}: {text}" for name, text in value.items())
        return value


class EndpointForm(_ModelForm):
    """Create or edit an endpoint of the owner; a field of :data:`~.schema.EDITABLE` that
    the model adds later appears here with its model form field, without more code."""

    event_types = EventTypesField(
        required=False,
        help_text='Tick event types, or type patterns, one per line ("shop.Order:*", '
        '"shop.*"). None: every event.',
    )
    headers = HeadersField(
        required=False,
        help_text="Added to every request, one per line, e.g. X-Customer: 42.",
    )

    class Meta:
        model = Endpoint
        fields = EDITABLE
        widgets = {
            "url": forms.TextInput(attrs={"inputmode": "url", "size": 60}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, event_types: Sequence[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].widget = EventTypesWidget(event_types)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, messages in ceiling_problems(cleaned.get("timeout")).items():
            self.add_error(name, messages)
        return cleaned


class ReplayForm(forms.Form):
    """Send again the endpoint's deliveries created since a time."""

    since = forms.CharField(
        help_text="ISO 8601, e.g. 2026-01-01T12:00; a time without a zone is UTC.",
        widget=forms.TextInput(attrs={"size": 30}),
    )
    failed_only = forms.BooleanField(
        required=False, initial=True, label="Only the deliveries that failed"
    )

    def clean_since(self) -> datetime:
        try:
            return parse_since(self.cleaned_data.get("since"))
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None
