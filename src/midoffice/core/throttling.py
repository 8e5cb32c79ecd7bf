"""API rate limits, counted in the database so they hold across workers and hosts.

Two limits (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, set by
``MIDOFFICE_API_RATE_USER`` and ``MIDOFFICE_API_RATE_ANON``):

* ``user``: requests per signed-in user (one API token per user), counted in
  ``TokenThrottle`` after authentication;
* ``anon``: requests without valid credentials, per client address. Every API operation
  needs a token, so those requests are refused with 401 before DRF's throttles run; the
  exception handler (core.api) counts them here instead, and answers 429 past the limit.

A window starts at a client's first request and lasts the rate's period; the count starts
over with the next window. Counting is one ``INSERT … ON CONFLICT … RETURNING`` statement
per request (SQLite ≥ 3.35 and PostgreSQL), atomic under concurrency, no cache needed.
The decision and its alternatives: docs/adr/0011-api-rate-limits.md.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import connection
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from midoffice.core import clock
from midoffice.core.http import client_address
from midoffice.core.models import ApiRateWindow

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: Windows older than this are gone from every limit; the periodic prune deletes them.
LONGEST_PERIOD = max(_PERIODS.values())


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/min"`` → (60, 60): requests, and the window in seconds. ValueError if malformed."""
    number, _, period = rate.partition("/")
    if not number.strip().isdigit() or not period.strip() or period.strip()[0] not in _PERIODS:
        raise ValueError(f"not a rate like 60/min: {rate!r}")
    return int(number), _PERIODS[period.strip()[0]]


# One statement that counts and reads; SET expressions see the row as it was, so both
# CASEs test the old window (PostgreSQL and SQLite alike).
_HIT_SQL = (
    'INSERT INTO "core_apiratewindow" (bucket, started, hits) VALUES (%s, %s, 1) '
    'ON CONFLICT (bucket) DO UPDATE SET hits = CASE WHEN "core_apiratewindow".started <= %s '
    'THEN 1 ELSE "core_apiratewindow".hits + 1 END, started = CASE WHEN '
    '"core_apiratewindow".started <= %s THEN excluded.started '
    'ELSE "core_apiratewindow".started END '
    "RETURNING hits, started"
)


def rate_window_hit(*, bucket: str, period: int) -> tuple[int, int]:
    """Count one request in ``bucket``; return (requests in the window, its start).

    A window older than ``period`` seconds starts over at now with one request.
    """
    now = int(clock.now().timestamp())
    expired = now - period
    with connection.cursor() as cursor:
        cursor.execute(_HIT_SQL, [bucket, now, expired, expired])
        hits, started = cursor.fetchone()
    return int(hits), int(started)


def rate_windows_prune() -> int:
    """Delete windows that every limit has left behind; the number deleted."""
    horizon = int(clock.now().timestamp()) - LONGEST_PERIOD
    deleted, _ = ApiRateWindow.objects.filter(started__lt=horizon).delete()
    return deleted


class _WindowThrottle(BaseThrottle):
    scope = ""

    def __init__(self) -> None:
        self._wait: int | None = None

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        # Read per request, not at import: the rates follow settings overrides in tests.
        rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        rate = rates.get(self.scope)
        ident = self.ident(request)
        if not rate or ident is None:
            return True
        limit, period = parse_rate(rate)
        hits, started = rate_window_hit(bucket=f"{self.scope}:{ident}", period=period)
        if hits <= limit:
            return True
        self._wait = max(1, started + period - int(clock.now().timestamp()))
        return False

    def wait(self) -> float | None:
        return self._wait


class TokenThrottle(_WindowThrottle):
    """The ``user`` limit: requests per signed-in user (and so per API token)."""

    scope = "user"

    def ident(self, request: Request) -> str | None:
        user = request.user
        return str(user.pk) if user is not None and user.is_authenticated else None


class AddressThrottle(_WindowThrottle):
    """The ``anon`` limit: requests without valid credentials, per client address."""

    scope = "anon"

    def ident(self, request: Request) -> str | None:
        user = request.user
        if user is not None and user.is_authenticated:
            return None
        return client_address(request) or "unknown"


def refused_request_throttle(request: Request, view: Any) -> int | None:
    """Count a request refused for want of credentials; seconds to wait if over the limit."""
    throttle = AddressThrottle()
    if throttle.allow_request(request, view):
        return None
    return int(throttle.wait() or 1)
