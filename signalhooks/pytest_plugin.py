"""pytest plugin: fixtures for projects that use signalhooks.

Registered through the ``pytest11`` entry point, so installing signalhooks makes
the fixtures available in every test suite. It imports nothing from Django until
a fixture is used, so it costs nothing in projects that do not use them.

* ``signalhooks_capture``: a list that records every delivery hooks would make
  (no network), like Django's ``mail.outbox``; see :func:`signalhooks.testing.capture_hooks`.
* ``signalhooks_synchronous``: real deliveries, each hook call waiting for its
  outcome; a list of :class:`~signalhooks.DeliveryResult`; see
  :func:`signalhooks.testing.deliver_synchronously`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .outcome.results import DeliveryResult
    from .testing import CapturedDelivery

__all__ = ["signalhooks_capture", "signalhooks_synchronous"]


@pytest.fixture
def signalhooks_capture() -> Iterator[list[CapturedDelivery]]:
    """Every delivery the hooks would make during the test, captured instead of sent."""
    from .testing import capture_hooks

    with capture_hooks() as sent:
        yield sent


@pytest.fixture
def signalhooks_synchronous() -> Iterator[list[DeliveryResult]]:
    """Deliver for real, each hook call returning once its delivery has finished."""
    from .testing import deliver_synchronously

    with deliver_synchronously() as results:
        yield results
