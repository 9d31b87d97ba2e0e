"""Who may call a portal view, for pages and for the API, and the API's error answers.

Pages: Django's CSRF protection on every POST (even without the middleware); no owner
and nobody signed in: to ``settings.LOGIN_URL``; signed in without an owner: 403.

API: answers are JSON, errors ``{"error": {"code", "message", "fields"}}``. Without an
owner: 401 (nobody signed in) or 403. Unsafe methods of a request signed in through
Django's session need the CSRF token, as Django REST framework's
``SessionAuthentication`` does; a request whose owner comes from a token (the
``PORTAL_OWNER`` callable, no session user) is not checked: a browser does not add a
token header by itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from .owner import NoOwner, NotSignedIn, OwnerScope, scope_of

__all__ = ["ApiError", "api_view", "error_response", "page_view"]

PageView = Callable[..., HttpResponse]
ScopedView = Callable[..., HttpResponse]

_SAFE = ("GET", "HEAD", "OPTIONS", "TRACE")


def page_view(*methods: str) -> Callable[[ScopedView], PageView]:
    """A page answering ``methods``, called as ``view(request, scope, **kwargs)``."""

    def decorate(view: ScopedView) -> PageView:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                scope = scope_of(request)
            except NotSignedIn:
                return redirect_to_login(request.get_full_path())
            except NoOwner:
                raise PermissionDenied("No webhook endpoints belong to this account.") from None
            return view(request, scope, **kwargs)

        return require_http_methods(list(methods))(csrf_protect(wrapped))

    return decorate


class ApiError(Exception):
    """An API error answer: ``status``, a stable ``code``, a message, per-field messages."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_response(error: ApiError) -> JsonResponse:
    body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
    return JsonResponse(body, status=error.status)


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def _csrf_problem(request: HttpRequest) -> str | None:
    check = _CsrfCheck(lambda req: HttpResponse())
    check.process_request(request)
    reason = check.process_view(request, None, (), {})  # type: ignore[arg-type]
    return reason if isinstance(reason, str) else None


def api_view(
    handlers: dict[str, Callable[..., HttpResponse]],
) -> Callable[..., HttpResponse]:
    """An API route: ``handlers`` maps each method to ``handler(request, scope, **kwargs)``."""
    if "GET" in handlers:
        handlers = {"HEAD": handlers["GET"], **handlers}
    allowed = sorted(handlers)

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            scope = _api_scope(request)
            handler = handlers.get(request.method or "")
            if handler is None:
                raise ApiError(
                    405,
                    "method_not_allowed",
                    f"{request.method} is not allowed here; allowed: {', '.join(allowed)}.",
                )
            return handler(request, scope, **kwargs)
        except Http404 as exc:
            return error_response(ApiError(404, "not_found", str(exc) or "Not found."))
        except ApiError as exc:
            response = error_response(exc)
            if exc.status == 405:
                response["Allow"] = ", ".join(allowed)
            return response

    view.methods = allowed  # type: ignore[attr-defined]  # the OpenAPI test reads them
    return view


def _api_scope(request: HttpRequest) -> OwnerScope:
    try:
        scope = scope_of(request)
    except NotSignedIn:
        raise ApiError(401, "not_authenticated", "Sign in to use this API.") from None
    except NoOwner:
        raise ApiError(
            403, "permission_denied", "No webhook endpoints belong to this account."
        ) from None
    user = getattr(request, "user", None)
    if request.method not in _SAFE and user is not None and user.is_authenticated:
        problem = _csrf_problem(request)
        if problem is not None:
            raise ApiError(403, "csrf_failed", f"CSRF check failed: {problem}.")
    return scope
