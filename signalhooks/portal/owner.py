"""Who the customer is (``SIGNALHOOKS["PORTAL_OWNER"]``), and the rows that owner may see.

The owner callable is imported once, and again after ``setting_changed``. Every lookup
the portal makes goes through an :class:`OwnerScope`: an endpoint of another owner, an
attempt of such an endpoint, or a delivery to it is simply not found (404), so an id
tells a curious customer nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.module_loading import import_string

from .. import conf
from ..endpoints.models import Endpoint
from ..outbox.models import DeliveryAttempt

__all__ = [
    "NoOwner",
    "NotSignedIn",
    "OwnerScope",
    "default_owner",
    "owner_callable",
    "owner_problem",
    "scope_of",
]

OwnerCallable = Callable[[HttpRequest], Any]


class NotSignedIn(Exception):
    """No owner, and nobody signed in: pages send the visitor to log in, the API says 401."""


class NoOwner(Exception):
    """Signed in, but the owner callable names no owner: 403."""


def default_owner(request: HttpRequest) -> Model | None:
    """The logged-in ``request.user`` (``None`` for an anonymous visitor)."""
    user = getattr(request, "user", None)
    if user is None:
        raise ImproperlyConfigured(
            "The webhook portal's default owner is request.user, which needs "
            "'django.contrib.auth.middleware.AuthenticationMiddleware' in MIDDLEWARE; "
            "or set SIGNALHOOKS['PORTAL_OWNER'] to a callable owner(request)."
        )
    return user if user.is_authenticated else None


def owner_problem(path: object) -> str | None:
    """Why ``PORTAL_OWNER`` = ``path`` cannot be used, or ``None`` (used by the checks too)."""
    if path is None:
        return None
    try:
        found = import_string(str(path))
    except ImportError as exc:
        return f"SIGNALHOOKS['PORTAL_OWNER'] = {path!r} cannot be imported: {exc}"
    if not callable(found):
        return (
            f"SIGNALHOOKS['PORTAL_OWNER'] = {path!r} names {found!r}, not a callable "
            "owner(request)."
        )
    return None


_loaded: OwnerCallable | None = None


def owner_callable() -> OwnerCallable:
    """The configured ``owner(request)``, imported once (``ImproperlyConfigured`` if unusable)."""
    global _loaded
    if _loaded is None:
        path = conf.settings().portal_owner
        problem = owner_problem(path)
        if problem is not None:
            raise ImproperlyConfigured(problem)
        _loaded = default_owner if path is None else import_string(path)
    return _loaded


def _drop(*, setting: str, **kwargs: Any) -> None:
    global _loaded
    if setting == "SIGNALHOOKS":
        _loaded = None


setting_changed.connect(_drop, dispatch_uid="signalhooks.portal.owner")


@dataclass(frozen=True)
class OwnerScope:
    """The endpoints, attempts and deliveries of one owner."""

    owner: Model
    owner_type: ContentType
    owner_id: str

    def endpoints(self) -> QuerySet[Endpoint]:
        return Endpoint.objects.filter(owner_type=self.owner_type, owner_id=self.owner_id)

    def endpoint(
        self,
        pk: int,
        *,
        annotate: Callable[[QuerySet[Endpoint]], QuerySet[Endpoint]] | None = None,
    ) -> Endpoint:
        """The owner's endpoint ``pk``; ``Http404`` for any other (another owner's too).

        ``annotate`` adds to the owner's rows (it cannot widen them).
        """
        rows = self.endpoints()
        found = (annotate(rows) if annotate else rows).filter(pk=pk).first()
        if found is None:
            raise Http404("No such endpoint.")
        return found

    def attempts(self) -> QuerySet[DeliveryAttempt]:
        """Attempts to the owner's endpoints (one query: the endpoints are a subquery)."""
        return DeliveryAttempt.objects.filter(endpoint_id__in=self.endpoints().values("pk"))

    def attempt(self, pk: int) -> DeliveryAttempt:
        found = self.attempts().filter(pk=pk).first()
        if found is None:
            raise Http404("No such attempt.")
        return found

    def new_endpoint(self) -> Endpoint:
        """An unsaved endpoint of this owner."""
        return Endpoint(owner_type=self.owner_type, owner_id=self.owner_id)


def scope_of(request: HttpRequest) -> OwnerScope:
    """The request's owner, as a scope; ``NotSignedIn`` or ``NoOwner`` when there is none."""
    owner = owner_callable()(request)
    if owner is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            raise NoOwner
        raise NotSignedIn
    if not isinstance(owner, Model) or owner.pk is None:
        raise ImproperlyConfigured(
            f"SIGNALHOOKS['PORTAL_OWNER'] returned {owner!r}: it must return a saved model "
            "instance or None."
        )
    owner_type = ContentType.objects.get_for_model(owner)  # the concrete model's
    return OwnerScope(owner, owner_type, str(owner.pk))
