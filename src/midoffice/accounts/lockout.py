"""Sign-in lockout: one limit for every door that takes a staff password.

django-axes does the counting for all of Django's authentication (``authenticate()``
is the only way a password is checked: the workbench sign-in and the admin login both
go through it, and nothing else in Midoffice takes a password). This module holds the
three things Midoffice decides on top of axes:

- a lockout by user name *and*, separately, by client address, each with its own limit
  (axes compares one number with one limit; :class:`LockoutHandler` makes the address
  count speak in the same unit);
- the client address, taken the way the rest of the product takes it
  (:func:`midoffice.core.http.client_address`);
- the answer to a locked-out request: the sign-in page with the Dutch message, status
  429, and one log line.

Settings: ``MIDOFFICE_LOGIN_FAILURE_LIMIT``, ``MIDOFFICE_LOGIN_ADDRESS_FAILURE_LIMIT`` and
``MIDOFFICE_LOGIN_COOLOFF_MINUTES`` (docs/config.md).
"""

from __future__ import annotations

import logging
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse

from midoffice.accounts.models import User
from midoffice.core.http import client_address

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: our client address; None when the server saw none
    (axes stores it in an IP address column, where an empty string is not valid)."""
    return client_address(request) or None


class LockoutHandler(AxesDatabaseHandler):
    """The database handler (attempts are rows an administrator sees in the admin), with
    two limits: ``AXES_FAILURE_LIMIT`` failures for one user name, and
    ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address whatever the user names.

    Axes asks ``get_failures() >= AXES_FAILURE_LIMIT``; the address count is scaled to
    that unit: ``a * U // A >= U`` holds exactly when ``a >= A``.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_user = _failures(recent.filter(username=username))
        by_address = _failures(recent.filter(ip_address=request.axes_ip_address))  # type: ignore[attr-defined]  # set by axes
        user_limit: int = settings.AXES_FAILURE_LIMIT
        address_limit: int = settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_user, by_address * user_limit // address_limit)


def _failures(attempts: Any) -> int:
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


def request_is_locked_out(request: HttpRequest | None) -> bool:
    """True when axes refused (or just locked) the sign-in made with this request."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_message() -> str:
    return str(get_lockout_message())


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: answer a locked-out sign-in.

    The sign-in forms already show the lockout message (``accounts.forms``), so the page
    the view rendered is kept, with 429 Too Many Requests. Logged once per refused
    request, with the account's id when the user name is one (never the typed text:
    people type their e-mail address in the user name field).
    """
    username = get_client_username(request, credentials) or ""
    user_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
    logger.warning(
        "sign-in refused: locked out",
        extra={
            "event": "signin.locked_out",
            "path": request.path,
            "user_id": user_id,
            "request_id": getattr(request, "request_id", ""),
        },
    )
    if original_response is not None and original_response.status_code == 200:
        original_response.status_code = 429
        return original_response
    return HttpResponse(lockout_message(), status=429, content_type="text/plain; charset=utf-8")
