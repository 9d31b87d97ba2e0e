"""Database routers of the tests."""

from __future__ import annotations

from typing import Any

_ENDPOINT_MODELS = frozenset({"endpoint", "endpointrevision"})


class EndpointsOnPostgres:
    """The endpoint tables on the ``pg`` alias (the PostgreSQL endpoint tests)."""

    def _route(self, model: Any, **hints: Any) -> str | None:
        meta = model._meta
        return (
            "pg"
            if meta.app_label == "signalhooks" and meta.model_name in _ENDPOINT_MODELS
            else None
        )

    db_for_read = _route
    db_for_write = _route
