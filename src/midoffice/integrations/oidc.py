"""OpenID Connect relying party for both sign-in doors, on Authlib (ADR 25).

Two providers, each with its own client registration: ``citizen`` (the government login,
ACM/IDM) for the portal and ``staff`` (the town's identity provider, e.g. Entra ID) for
the workbench. The protocol is Authlib's: discovery, the authorization-code flow with
PKCE (S256), state and nonce kept in the session, the token exchange and the ID token's
checks (signature against the provider's JWKS, refetched on an unknown ``kid``; issuer,
audience, expiry and our nonce). This module only chooses the settings, keeps the
discovery for an hour, checks the discovery names the configured issuer, and turns every
protocol failure into :class:`OidcError` (or :class:`OidcStateError` for a stale or
forged callback) so the views can say whose fault it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from joserfc.errors import JoseError

DISCOVERY_TTL = 3600.0
HTTP_TIMEOUT = 10.0
# A little slack for clocks that drift between the provider and us.
LEEWAY = 60


class OidcError(Exception):
    """The sign-in could not be completed (provider unreachable, bad or forged token)."""


class OidcStateError(OidcError):
    """The callback does not belong to a sign-in started in this session (stale or forged)."""


@dataclass(frozen=True)
class Provider:
    """One client registration at one identity provider."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


def citizen_provider() -> Provider | None:
    """The government login for citizens, or ``None`` when it is not configured."""
    if not (settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID):
        return None
    return Provider(
        name="citizen",
        issuer=settings.OIDC_ISSUER.rstrip("/"),
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        scopes=tuple(settings.OIDC_SCOPES),
    )


def staff_provider() -> Provider | None:
    """The town's identity provider for staff, or ``None`` when it is not configured."""
    if not (settings.STAFF_OIDC_ISSUER and settings.STAFF_OIDC_CLIENT_ID):
        return None
    return Provider(
        name="staff",
        issuer=settings.STAFF_OIDC_ISSUER.rstrip("/"),
        client_id=settings.STAFF_OIDC_CLIENT_ID,
        client_secret=settings.STAFF_OIDC_CLIENT_SECRET,
        scopes=tuple(settings.STAFF_OIDC_SCOPES),
    )


def is_configured() -> bool:
    return citizen_provider() is not None


# One Authlib client per registration, rebuilt after DISCOVERY_TTL so a provider's new
# endpoints are picked up; Authlib itself refetches the JWKS on an unknown key id.
_clients: dict[Provider, tuple[float, DjangoOAuth2App]] = {}


def _client(provider: Provider) -> DjangoOAuth2App:
    cached = _clients.get(provider)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    client = DjangoOAuth2App(
        DjangoIntegration(provider.name),
        name=provider.name,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": " ".join(provider.scopes),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": HTTP_TIMEOUT,
        },
    )
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise OidcError(f"provider unreachable: {type(exc).__name__}") from exc
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
        raise OidcError("discovery document names another issuer")
    _clients[provider] = (time.monotonic() + DISCOVERY_TTL, client)
    return client


def authorization_redirect(
    request: HttpRequest, provider: Provider, *, redirect_uri: str
) -> HttpResponseRedirect:
    """Send the browser to the provider; state, nonce and PKCE verifier stay in the session."""
    try:
        response: HttpResponseRedirect = _client(provider).authorize_redirect(request, redirect_uri)
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        raise OidcError(f"provider unusable: {type(exc).__name__}") from exc
    return response


def callback_claims(request: HttpRequest, provider: Provider) -> dict[str, Any]:
    """Check the callback against the session, trade the code and return the verified
    ID token's claims. Raises :class:`OidcStateError` or :class:`OidcError`."""
    try:
        client = _client(provider)
        token = client.authorize_access_token(
            request,
            leeway=LEEWAY,
            # Authlib checks the issuer by default but the audience only through "azp":
            # a token for another client that names us as "azp" would pass. OIDC Core
            # 3.1.3.7 wants our client id in "aud", so both are checked explicitly.
            claims_options={
                "iss": {"essential": True, "values": [client.server_metadata["issuer"]]},
                "aud": {"essential": True, "values": [provider.client_id]},
            },
        )
    except MismatchingStateError as exc:
        raise OidcStateError("state does not match a sign-in of this session") from exc
    except (OAuthError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        raise OidcError(f"sign-in rejected: {type(exc).__name__}: {exc}") from exc
    claims = token.get("userinfo")
    if not claims:
        raise OidcError("no ID token in the token answer")
    return dict(claims)
