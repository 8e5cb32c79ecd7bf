"""Who may read the feed: a read-only OData token, the way Power BI sends it.

* **Basic**: the token is the password, the user name is anything (Power BI Desktop's
  "Basic"; in the Power BI service through a gateway);
* **API key**: ``?api_key=<token>`` (Power BI's "Web API" credential with
  ``ApiKeyName="api_key"``), also what the Power BI service accepts without a gateway;
* ``Authorization: Bearer <token>`` for scripts.

A missing, wrong or revoked token is a 401 with ``WWW-Authenticate: Basic realm=…``, so
Power BI asks for credentials. Limits, counted in the database like the API's (ADR 11):
requests without a valid token share the API's per-address ``anon`` limit (guessing
tokens is as slow as guessing API tokens), and each token has its own
``MIDOFFICE_ODATA_RATE``. Every accepted request is counted in the token's audit row of
the day (``tokens.odata_token_record_use``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from midoffice.analytics.odata.errors import too_many_requests, unauthorized
from midoffice.analytics.odata.tokens import odata_token_for_key, odata_token_record_use
from midoffice.analytics.token_models import ODataToken
from midoffice.core import clock
from midoffice.core.http import client_address
from midoffice.core.throttling import parse_rate, rate_window_hit

API_KEY_PARAMETER = "api_key"


def presented_key(request: HttpRequest) -> str:
    """The token the request carries ("" when none): Authorization first, then api_key."""
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return ""
        _, separator, password = decoded.partition(":")
        return password if separator else ""
    if scheme.lower() == "bearer":
        return value.strip()
    return str(request.GET.get(API_KEY_PARAMETER, "")).strip()


def _wait(bucket: str, rate: str | None) -> int | None:
    """Count a request in ``bucket``; seconds to wait when over ``rate``, else None."""
    if not rate:
        return None
    limit, period = parse_rate(rate)
    hits, started = rate_window_hit(bucket=bucket, period=period)
    if hits <= limit:
        return None
    return max(1, started + period - int(clock.now().timestamp()))


def authenticate(request: HttpRequest) -> ODataToken:
    """The token of this request, counted and audited; ODataError 401/429 otherwise."""
    key = presented_key(request)
    token = odata_token_for_key(key) if key else None
    address = client_address(request) or "unknown"
    if token is None:
        api: dict[str, Any] = settings.REST_FRAMEWORK
        anon = api.get("DEFAULT_THROTTLE_RATES", {}).get("anon")
        wait = _wait(f"anon:{address}", anon)
        if wait is not None:
            raise too_many_requests(wait)
        raise unauthorized(
            "Geen geldige sleutel. Gebruik de OData-sleutel als wachtwoord (Basic, met "
            "eender welke gebruikersnaam) of als api_key."
            if key
            else "Deze feed vraagt een OData-sleutel: als wachtwoord (Basic) of als api_key."
        )
    wait = _wait(f"odata:{token.pk}", settings.ODATA_RATE)
    if wait is not None:
        raise too_many_requests(wait)
    odata_token_record_use(token=token, address=address, path=request.path)
    return token
