"""Helpers of the contract tests: a model instance with every field set, schema checks."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from signalhooks import catalog
from tests.testapp.models import Category, Order, Pizza, Specimen


def specimen(using: str = "default", **values: Any) -> Specimen:
    """A saved Specimen with every field set; ``values`` override (as assigned in memory)."""
    fields: dict[str, Any] = {
        "title": "Ünïcode title",
        "body": "long text",
        "count": -3,
        "big": 2**40,
        "small": -7,
        "positive": 3,
        "positive_small": 4,
        "positive_big": 2**50,
        "price": decimal.Decimal("12.50"),
        "ratio": 0.25,
        "active": False,
        "day": datetime.date(2026, 2, 3),
        "moment": datetime.datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC),
        "alarm": datetime.time(7, 8, 9, 123456),
        "lasting": datetime.timedelta(days=1, hours=2, seconds=3, microseconds=4),
        "token": uuid.uuid4(),
        "extra": {"nested": [1, "two", None], "ok": True},
        "email": "customer@example.com",
        "website": "https://example.com/page",
        "slug": "a-slug",
        "address": "192.0.2.7",
        "blob": b"\x00\x01binary",
        "pizza": Pizza.objects.using(using).create(name="Margherita"),
        "order": Order.objects.using(using).create(),
        "category": Category.objects.using(using).create(slug=f"veg-{uuid.uuid4().hex[:8]}"),
        "status": "live",
        "level": 2,
        "note": None,
    }
    fields.update(values)
    return Specimen.objects.using(using).create(**fields)


def errors(schema: dict[str, Any], instance: object) -> list[str]:
    """Why ``instance`` does not match ``schema`` (formats checked too), as a customer sees it."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def event_type(name: str) -> catalog.EventType:
    [found] = [t for t in catalog.event_types() if t.name == name]
    return found


@pytest.fixture
def restore_capture() -> Iterator[None]:
    """Forget the models this test's hooks made signalhooks capture previous values of.

    Captures outlive hooks in a process (nothing stops watching a model); other tests
    check that models nobody watches get no ``post_init`` receiver.
    """
    from django.db.models.signals import post_init

    from signalhooks.hooks import capture

    state = [capture._plans, capture._attnames, capture._model_names, capture._pending]
    saved = [dict(part) for part in state]
    names = {model: set(fields) for model, fields in capture._model_names.items()}
    watched = set(capture._watched_names)
    receivers = list(post_init.receivers)
    yield
    for part, copy in zip(state, saved, strict=True):
        part.clear()
        part.update(copy)
    capture._model_names.update(names)
    capture._watched_names.clear()
    capture._watched_names.update(watched)
    with post_init.lock:
        post_init.receivers[:] = receivers
        post_init.sender_receivers_cache.clear()
