"""Health and readiness endpoints for load balancers and monitoring (core.health, ADR 21b)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from midoffice.core.health import readiness


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Whether this process can serve (503 if not) and whether the work behind it runs.

    ``status`` is ``ok``, ``degraded`` (200: a background part such as a mailbox or the
    scheduler has stopped; the pages work) or ``unavailable`` (503: database, migrations
    or storage); ``failing`` names the parts. With ``?strict``, degraded is 503 too.
    """
    result = readiness()
    response = JsonResponse(
        {"status": result.status, "failing": result.failing, "checks": result.checks},
        status=result.http_status(strict="strict" in request.GET),
    )
    response["Cache-Control"] = "no-store"
    return response
