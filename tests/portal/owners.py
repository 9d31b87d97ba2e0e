"""Owner callables of the portal tests (``SIGNALHOOKS["PORTAL_OWNER"]``)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

#: Not a callable: a system check error.
NOT_CALLABLE = 42

#: API tokens of the token callable: token -> user name.
TOKENS: dict[str, str] = {}


def nobody(request: HttpRequest) -> None:
    """A project where signed-in users own nothing."""
    return None


def by_token(request: HttpRequest) -> User | None:
    """API clients send ``Authorization: Bearer <token>``; browsers sign in as usual."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        name = TOKENS.get(header.removeprefix("Bearer "))
        return User.objects.filter(username=name).first() if name else None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
