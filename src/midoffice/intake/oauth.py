"""OAuth2 access tokens for IMAP mailboxes (XOAUTH2, as Microsoft 365 requires).

A mailbox with an OAuth2 client configuration gets its access token from the provider's
token endpoint: ``client_credentials`` (Microsoft 365 app-only access) or, when a refresh
token is configured, ``refresh_token``. The token is cached on the :class:`MailSource`
row and fetched again when it has less than :data:`REFRESH_MARGIN` left.

Any failure raises :class:`OAuthTokenError`; the poll of that mailbox fails, its
``last_error`` shows the message, and the next poll (a minute later) tries again.
"""

from __future__ import annotations

import json
import urllib.parse
from datetime import timedelta
from typing import Any

from midoffice.core import clock
from midoffice.intake.models import MailSource
from midoffice.integrations.http import HttpUnavailable, http_request

REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_TIMEOUT = 10.0
# Providers should send expires_in (RFC 6749 §5.1 "recommended"); Microsoft always does.
# Without it, assume an hour: a token that dies sooner is refreshed after the failed login.
DEFAULT_EXPIRES_IN = 3600
ERROR_PREFIX = "OAuth2-token ophalen mislukt"
TOKEN_FIELDS = [
    "oauth2_token_url",
    "oauth2_client_id",
    "oauth2_client_secret",
    "oauth2_scope",
    "oauth2_refresh_token",
    "oauth2_access_token",
    "oauth2_access_token_expires_at",
]


class OAuthTokenError(Exception):
    """The token endpoint refused, answered nonsense, or could not be reached."""


def cached_token_valid(source: MailSource) -> bool:
    """Whether the stored access token has more than the margin left."""
    expires_at = source.oauth2_access_token_expires_at
    return bool(
        source.oauth2_access_token
        and expires_at is not None
        and expires_at - REFRESH_MARGIN > clock.now()
    )


def access_token_for(source: MailSource, *, force: bool = False) -> str:
    """The access token for ``source``: the cached one while it has more than five
    minutes left (unless ``force``), else a new one from the token endpoint, stored on
    the row (and a rotated refresh token with it)."""
    if not source.has_oauth2_client:
        raise OAuthTokenError(f"{ERROR_PREFIX}: geen OAuth2-clientgegevens ingesteld.")
    if not force and cached_token_valid(source):
        return source.oauth2_access_token
    # Another worker may have fetched a token, or had the refresh token rotated, since
    # this row was loaded: a stale refresh token can be refused by the provider.
    source.refresh_from_db(fields=TOKEN_FIELDS)
    if not force and cached_token_valid(source):
        return source.oauth2_access_token
    payload = _request_token(source)
    token = payload.get("access_token")
    if not isinstance(token, str) or not token:
        raise OAuthTokenError(f"{ERROR_PREFIX}: het antwoord bevat geen access_token.")
    fetched_at = clock.now()
    source.oauth2_access_token = token
    source.oauth2_access_token_expires_at = fetched_at + timedelta(
        seconds=_expires_in(payload.get("expires_in"))
    )
    fields = ["oauth2_access_token", "oauth2_access_token_expires_at"]
    rotated = payload.get("refresh_token")
    # Only when we use one: storing a refresh token would switch the grant type.
    if source.oauth2_refresh_token and isinstance(rotated, str) and rotated:
        # Providers may rotate refresh tokens; the old one can stop working soon after.
        source.oauth2_refresh_token = rotated
        fields.append("oauth2_refresh_token")
    # Only these columns: an administrator may be editing the rest of the row meanwhile.
    source.save(update_fields=fields)
    return token


def _token_form(source: MailSource) -> dict[str, str]:
    form = {"client_id": source.oauth2_client_id}
    if source.oauth2_refresh_token:
        form["grant_type"] = "refresh_token"
        form["refresh_token"] = source.oauth2_refresh_token
    else:
        form["grant_type"] = "client_credentials"
    if source.oauth2_client_secret:  # client_secret_post; public clients have none
        form["client_secret"] = source.oauth2_client_secret
    if source.oauth2_scope:
        form["scope"] = source.oauth2_scope
    return form


def _request_token(source: MailSource) -> dict[str, Any]:
    try:
        answer = http_request(
            "POST",
            source.oauth2_token_url,
            data=urllib.parse.urlencode(_token_form(source)).encode("ascii"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            timeout=TOKEN_TIMEOUT,
        )
    except (HttpUnavailable, ValueError) as exc:
        raise OAuthTokenError(f"{ERROR_PREFIX}: tokenserver onbereikbaar ({exc}).") from exc
    payload = _json_object(answer.body)
    if not answer.ok:
        raise OAuthTokenError(
            f"{ERROR_PREFIX}: {_describe_refusal(answer.status, payload, answer.body)}"
        )
    if payload is None:
        raise OAuthTokenError(f"{ERROR_PREFIX}: het antwoord is geen JSON-object.")
    return payload


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _describe_refusal(status: int, payload: dict[str, Any] | None, body: bytes) -> str:
    """The provider's own words (``error``, ``error_description``), which say what to fix:
    e.g. Microsoft's "AADSTS7000215: Invalid client secret provided"."""
    if payload and payload.get("error"):
        text = f"HTTP {status}, {payload['error']}"
        description = payload.get("error_description")
        if description:
            text += f": {description}"
        return text
    snippet = body[:200].decode("utf-8", "replace").strip()
    return f"HTTP {status}" + (f": {snippet}" if snippet else "")


def _expires_in(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 0)
    if isinstance(value, str) and value.strip().isdigit():  # some providers send a string
        return int(value)
    return DEFAULT_EXPIRES_IN
