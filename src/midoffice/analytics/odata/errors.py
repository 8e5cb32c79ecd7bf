"""OData errors: what went wrong, in the shape every OData client shows.

The body is ``{"error": {"code": ..., "message": ..., "target": ...}}`` (OData JSON
Format §21). ``code`` is a stable English name a script can test for; ``message`` is
Dutch, because it is shown to the analyst in Power BI as it is ("Details: …").
"""

from __future__ import annotations

import json

from django.http import HttpResponse

#: Sent with every 401 so that Power BI Desktop (and a browser) asks for credentials.
AUTH_CHALLENGE = 'Basic realm="Midoffice OData", charset="UTF-8"'


class ODataError(Exception):
    """A request the feed refuses; becomes an OData error response with ``status``."""

    def __init__(self, status: int, code: str, message: str, *, target: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers: dict[str, str] = {}


def bad_request(code: str, message: str, *, target: str = "") -> ODataError:
    """The request is wrong (400): a query option that cannot be read or used."""
    return ODataError(400, code, message, target=target)


def not_found(message: str) -> ODataError:
    return ODataError(404, "NotFound", message)


def unauthorized(message: str) -> ODataError:
    error = ODataError(401, "Unauthorized", message)
    error.headers["WWW-Authenticate"] = AUTH_CHALLENGE
    return error


def too_many_requests(retry_after: int) -> ODataError:
    error = ODataError(
        429,
        "TooManyRequests",
        f"Te veel vragen na elkaar. Probeer het opnieuw over {retry_after} seconden.",
    )
    error.headers["Retry-After"] = str(retry_after)
    return error


def error_response(error: ODataError) -> HttpResponse:
    body: dict[str, str] = {"code": error.code, "message": error.message}
    if error.target:
        body["target"] = error.target
    response = HttpResponse(
        json.dumps({"error": body}, ensure_ascii=False),
        status=error.status,
        content_type="application/json;charset=utf-8",
    )
    for name, value in error.headers.items():
        response[name] = value
    return response
