"""OpenID Connect relying party for the citizen login (ACM/IDM): code flow with PKCE.

Discovery, token exchange and JWKS go through the one HTTP client (timeouts); the ID
token is checked with PyJWT: signature against the provider's keys, issuer, audience,
expiry and our nonce. Only then is the national number claim trusted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings

from midoffice.integrations.http import HttpUnavailable, http_request

DISCOVERY_TTL = 3600.0
ALGORITHMS = ["RS256", "ES256", "PS256"]


class OidcError(Exception):
    """The sign-in could not be completed (provider unreachable, bad or forged token)."""


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    verifier: str


_discovery_cache: dict[str, tuple[float, ProviderConfig]] = {}


def is_configured() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def _get_json(url: str) -> dict[str, Any]:
    try:
        answer = http_request("GET", url, headers={"Accept": "application/json"})
    except HttpUnavailable as exc:
        raise OidcError(f"provider unreachable: {exc}") from exc
    if not answer.ok:
        raise OidcError(f"provider answered {answer.status} for {url}")
    try:
        data = json.loads(answer.body)
    except ValueError as exc:
        raise OidcError("provider answered with invalid JSON") from exc
    if not isinstance(data, dict):
        raise OidcError("provider answered with unexpected JSON")
    return data


def provider_config() -> ProviderConfig:
    """The provider's endpoints from its discovery document (cached for an hour)."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    cached = _discovery_cache.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    data = _get_json(f"{issuer}/.well-known/openid-configuration")
    try:
        config = ProviderConfig(
            issuer=str(data["issuer"]),
            authorization_endpoint=str(data["authorization_endpoint"]),
            token_endpoint=str(data["token_endpoint"]),
            jwks_uri=str(data["jwks_uri"]),
        )
    except KeyError as exc:
        raise OidcError(f"discovery document lacks {exc}") from exc
    if config.issuer.rstrip("/") != issuer:
        raise OidcError("discovery document names another issuer")
    _discovery_cache[issuer] = (time.monotonic() + DISCOVERY_TTL, config)
    return config


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_request(*, redirect_uri: str) -> AuthorizationRequest:
    """Where to send the browser, with fresh state, nonce and PKCE verifier to remember."""
    config = provider_config()
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": settings.OIDC_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": " ".join(settings.OIDC_SCOPES),
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in config.authorization_endpoint else "?"
    return AuthorizationRequest(
        url=f"{config.authorization_endpoint}{separator}{query}",
        state=state,
        nonce=nonce,
        verifier=verifier,
    )


def _signing_key(config: ProviderConfig, token: str) -> Any:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise OidcError("the ID token is not a JWT") from exc
    try:
        keys = jwt.PyJWKSet.from_dict(_get_json(config.jwks_uri))
    except jwt.PyJWTError as exc:
        raise OidcError("the provider's key set is unusable") from exc
    for key in keys.keys:
        if kid is None or key.key_id == kid:
            return key.key
    raise OidcError("no provider key matches the ID token")


def code_exchange(*, code: str, redirect_uri: str, verifier: str, nonce: str) -> dict[str, Any]:
    """Trade the code for tokens and return the verified ID token's claims."""
    config = provider_config()
    credentials = base64.b64encode(
        f"{urllib.parse.quote(settings.OIDC_CLIENT_ID)}:"
        f"{urllib.parse.quote(settings.OIDC_CLIENT_SECRET)}".encode()
    ).decode()
    form = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    ).encode()
    try:
        answer = http_request(
            "POST",
            config.token_endpoint,
            data=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Authorization": f"Basic {credentials}",
            },
        )
    except HttpUnavailable as exc:
        raise OidcError(f"token endpoint unreachable: {exc}") from exc
    if not answer.ok:
        raise OidcError(f"token endpoint answered {answer.status}")
    try:
        id_token = str(json.loads(answer.body)["id_token"])
    except (ValueError, KeyError, TypeError) as exc:
        raise OidcError("no ID token in the token answer") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            _signing_key(config, id_token),
            algorithms=ALGORITHMS,
            audience=settings.OIDC_CLIENT_ID,
            issuer=config.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=60,
        )
    except jwt.PyJWTError as exc:
        raise OidcError(f"ID token rejected: {type(exc).__name__}") from exc
    if not nonce or not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OidcError("ID token nonce does not match")
    return claims
