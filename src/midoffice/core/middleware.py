"""Request id, Content-Security-Policy and database-unavailable middleware."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from midoffice.core.request_id import request_id_bound, request_id_new, request_id_sane

logger = logging.getLogger(__name__)

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class RequestIdMiddleware:
    """Gives each request an id (or keeps the proxy's ``X-Request-ID`` when it is a sane
    token) and echoes it. Log lines written and tasks enqueued while the request runs
    carry it (core.request_id)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_sane(request.headers.get("X-Request-ID")) or request_id_new()
        request.request_id = request_id  # type: ignore[attr-defined]  # our own attribute
        with request_id_bound(request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    """A strict CSP on every response; pages load only our own scripts and styles.

    One policy for every path, the admin and the API docs included (issue 19): Django
    5.2's admin has no inline script or style left, and the API docs page is
    drf-spectacular's split view (its start script is a file) with our template (its
    style is a file), so neither needs 'unsafe-inline' or 'unsafe-eval'. The browser test
    tests/browser/test_csp_browser.py walks those pages and fails on any CSP violation;
    a path that ever needs more gets its own, named, policy here, never a gap.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        return response


DATABASE_UNAVAILABLE_TEXT = (
    "Midoffice kan zijn gegevens op dit moment niet bereiken. Probeer het over een minuut "
    "opnieuw; wat je al had ingediend, is niet verloren."
)
DATABASE_UNAVAILABLE_PAGE = f"""<!doctype html>
<html lang="nl-BE"><head><meta charset="utf-8"><title>Even niet beschikbaar</title></head>
<body><h1>Even niet beschikbaar</h1>
<p>{DATABASE_UNAVAILABLE_TEXT}</p></body></html>
"""
#: Machine clients get the API's error shape (docs/api.md) instead of the page.
_JSON_PREFIXES = ("/api/", "/odata/")


class DatabaseUnavailableMiddleware:
    """A view that meets an unreachable database (restart, failover, network) answers 503
    with a page that says so and ``Retry-After``, not a bare 500. Django opens a new
    connection for the next request, so the first one after the outage works again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable", extra={"path": request.path})
        if request.path.startswith(_JSON_PREFIXES):
            return JsonResponse(
                {"detail": DATABASE_UNAVAILABLE_TEXT, "code": "database_unavailable"},
                status=503,
                headers={"Retry-After": "60"},
            )
        return HttpResponse(
            DATABASE_UNAVAILABLE_PAGE,
            status=503,
            content_type="text/html; charset=utf-8",
            headers={"Retry-After": "60"},
        )
