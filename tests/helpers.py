"""Helpers shared by the core test modules: outcome collection, fresh engines, decoding.

Context managers rather than fixtures, so test modules can use them without
touching ``conftest.py`` (which other suites share).
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import serializers
from django.test import override_settings

from signalhooks import DeliveryResult, delivery_failed, delivery_succeeded
from signalhooks.engine.bridge import Engine, get_engine
from signalhooks.testing import reset_engine


def unique_path(stem: str) -> str:
    """A path no other test uses on the shared recording server."""
    return f"/{stem}-{uuid.uuid4().hex[:8]}"


def decode_instance(b64: str) -> Any:
    """The seed's ``Instance`` value back to a ``DeserializedObject`` (asserts exactly one)."""
    decoded = base64.b64decode(b64).decode("utf-8")
    [obj] = serializers.deserialize("json", "[" + decoded + "]")
    return obj


class Outcomes:
    """Records ``delivery_succeeded`` / ``delivery_failed`` as they fire (outcome thread)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.items: list[tuple[bool, DeliveryResult, object]] = []

    def _record(self, signal: Any, sender: Any, result: DeliveryResult, hook: object, **_: Any):
        with self._cond:
            self.items.append((signal is delivery_succeeded, result, hook))
            self._cond.notify_all()

    def of(self, hook: object) -> list[DeliveryResult]:
        with self._cond:
            return [result for _, result, owner in self.items if owner is hook]

    def signalled(self, hook: object) -> list[bool]:
        """Which signal fired for each outcome of ``hook``: True = delivery_succeeded."""
        with self._cond:
            return [succeeded for succeeded, _, owner in self.items if owner is hook]

    def wait(self, hook: object, count: int = 1, timeout: float = 10.0) -> list[DeliveryResult]:
        """Block until ``hook`` has ``count`` outcomes; return them in order."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.of(hook)) >= count, timeout):
                raise AssertionError(
                    f"expected {count} outcome(s) for {hook!r} within {timeout}s, "
                    f"got {self.of(hook)}"
                )
            return self.of(hook)


@contextmanager
def outcomes() -> Iterator[Outcomes]:
    """Collect delivery outcome signals for the duration of the block."""
    collector = Outcomes()
    uid = f"tests-outcomes-{id(collector)}"
    delivery_succeeded.connect(collector._record, weak=False, dispatch_uid=uid)
    delivery_failed.connect(collector._record, weak=False, dispatch_uid=uid)
    try:
        yield collector
    finally:
        delivery_succeeded.disconnect(dispatch_uid=uid)
        delivery_failed.disconnect(dispatch_uid=uid)


@contextmanager
def fresh_engine(**overrides: Any) -> Iterator[Engine]:
    """A new engine started under ``SIGNALHOOKS`` = test settings + ``overrides``.

    The engine reads ``MAX_QUEUE`` and ``MAX_IN_FLIGHT`` (and its clients
    ``HTTP_TRANSPORT``) when it starts, so overriding settings alone is not enough.
    The engine is shut down again on exit, so later tests get one with the defaults.
    """
    reset_engine()
    with override_settings(SIGNALHOOKS={**settings.SIGNALHOOKS, **overrides}):
        try:
            yield get_engine()
        finally:
            reset_engine()
