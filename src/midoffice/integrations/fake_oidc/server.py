"""The fake OIDC provider: discovery, authorize (pick a demo person), token, JWKS, userinfo.

Authorization-code flow with PKCE (S256 only), client authentication by
``client_secret_basic`` or ``client_secret_post``, RS256 ID tokens signed with an RSA key
made at start. Two clients: the citizen client's ID token carries ``rrn`` like ACM/IDM
does; the staff client's carries ``preferred_username``, ``upn`` and ``groups`` like Entra
ID does. Loopback only, demo and tests only.

For tests of the relying party: ``id_token_overrides`` is merged into the next ID tokens
(a wrong ``nonce``, ``aud`` or ``exp``), ``stranger_key`` signs them with a key the JWKS
does not hold, and :meth:`rotate_key` starts signing with a new key and ``kid``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from midoffice.integrations.fake_oidc.citizens import DEMO_CITIZENS, DemoCitizen
from midoffice.integrations.fake_oidc.staff import DEMO_STAFF, DemoStaffMember

CODE_LIFETIME = 120
TOKEN_LIFETIME = 600


Person = DemoCitizen | DemoStaffMember


@dataclass
class _Grant:
    citizen: Person
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    expires: float


class FakeOidcProvider:
    """Run with :meth:`start` (background thread) or :meth:`serve_forever`."""

    def __init__(
        self,
        *,
        port: int = 0,
        client_id: str = "midoffice-demo",
        client_secret: str = "demo-secret",  # noqa: S107 - a fake for the demo
        issuer: str | None = None,
        staff_client_id: str = "midoffice-staff-demo",
        staff_client_secret: str = "staff-secret",  # noqa: S107 - a fake for the demo
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.staff_client_id = staff_client_id
        self.staff_client_secret = staff_client_secret
        # Tests change people's groups between sign-ins: a list, not the demo tuple.
        self.staff: list[DemoStaffMember] = list(DEMO_STAFF)
        self.id_token_overrides: dict[str, Any] = {}
        self.stranger_key = False
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.grants: dict[str, _Grant] = {}
        self.tokens: dict[str, Person] = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self.port = self.httpd.server_address[1]
        self.issuer = issuer or f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    # --- protocol pieces -------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "rrn", "email"],
            "claims_supported": [
                *("sub", "rrn", "given_name", "family_name", "email"),
                *("preferred_username", "upn", "groups"),
            ],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def rotate_key(self) -> None:
        """Sign with a new key from now on; the JWKS then holds only the new one."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)

    def _secret_of(self, client_id: str) -> str | None:
        return {
            self.client_id: self.client_secret,
            self.staff_client_id: self.staff_client_secret,
        }.get(client_id)

    def claims(self, citizen: Person) -> dict[str, Any]:
        if isinstance(citizen, DemoStaffMember):
            return {
                "sub": citizen.sub,
                "preferred_username": citizen.username,
                "upn": citizen.email,
                "email": citizen.email,
                "given_name": citizen.given_name,
                "family_name": citizen.family_name,
                "groups": list(citizen.groups),
            }
        return {
            "sub": citizen.sub,
            "rrn": citizen.rrn,
            "given_name": citizen.given_name,
            "family_name": citizen.family_name,
            "email": citizen.email,
        }

    def grant(self, *, citizen: Person, params: dict[str, str]) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.grants[code] = _Grant(
                citizen=citizen,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                nonce=params.get("nonce", ""),
                challenge=params.get("code_challenge", ""),
                expires=time.time() + CODE_LIFETIME,
            )
        return code

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
            client_id = urllib.parse.unquote(client_id)
            client_secret = urllib.parse.unquote(client_secret)
        expected = self._secret_of(client_id)
        if expected is None or not secrets.compare_digest(client_secret, expected):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self.lock:
            grant = self.grants.pop(form.get("code", ""), None)  # single use
        if grant is None or grant.expires < time.time() or grant.client_id != client_id:
            return 400, {"error": "invalid_grant"}
        if grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not grant.challenge or not secrets.compare_digest(challenge, grant.challenge):
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        signing_key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if self.stranger_key
            else self.key
        )
        id_token = jwt.encode(
            {
                **self.claims(grant.citizen),
                "iss": self.issuer,
                "aud": client_id,
                "iat": now,
                "exp": now + TOKEN_LIFETIME,
                "nonce": grant.nonce,
                "auth_time": now,
                "acr": "urn:be:vlaanderen:acm:loa:substantial",
                **self.id_token_overrides,
            },
            signing_key,
            algorithm="RS256",
            headers={"kid": self.kid},
        )
        access_token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[access_token] = grant.citizen
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": id_token,
        }

    # --- running ---------------------------------------------------------------------------

    def start(self) -> FakeOidcProvider:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()


def _staff_chooser(provider: FakeOidcProvider, hidden: str) -> str:
    buttons = "".join(
        f'<li><button type="submit" name="staff" value="{index}">'
        f"{html.escape(s.given_name)} {html.escape(s.family_name)}</button> "
        f"<small>groepen: {html.escape(', '.join(s.groups))}</small></li>"
        for index, s in enumerate(provider.staff)
    )
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Aanmelden (demo)</title></head><body><main>"
        "<h1>Aanmelden bij de gemeente (demo)</h1>"
        "<p>Dit is een nagebootste aanmeldpagina. Kies een fictieve medewerker.</p>"
        f"<form method='post' action='/authorize'>{hidden}<ul>{buttons}</ul></form>"
        "</main></body></html>"
    )


def _chooser(provider: FakeOidcProvider, params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    if params.get("client_id") == provider.staff_client_id:
        return _staff_chooser(provider, hidden)
    buttons = "".join(
        f'<li><button type="submit" name="citizen" value="{index}">'
        f"{html.escape(c.given_name)} {html.escape(c.family_name)}</button> "
        f"<small>rijksregisternummer {c.rrn[:6]}-…</small></li>"
        for index, c in enumerate(DEMO_CITIZENS)
    )
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Aanmelden (demo)</title></head><body><main>"
        "<h1>Aanmelden bij de Vlaamse overheid (demo)</h1>"
        "<p>Dit is een nagebootste aanmeldpagina. Kies een fictieve burger.</p>"
        f"<form method='post' action='/authorize'>{hidden}<ul>{buttons}</ul></form>"
        "</main></body></html>"
    )


def _make_handler(provider: FakeOidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeOIDC/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(
            self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: dict[str, Any]) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def _form(self) -> dict[str, str]:
            length = min(int(self.headers.get("Content-Length") or 0), 100_000)
            pairs = urllib.parse.parse_qsl(self.rfile.read(length).decode())
            return dict(pairs)

        def _check_authorize(self, params: dict[str, str]) -> str | None:
            if params.get("client_id") not in (provider.client_id, provider.staff_client_id):
                return "unknown client_id"
            if params.get("response_type") != "code":
                return "response_type must be code"
            if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
                return "PKCE with S256 is required"
            redirect = urllib.parse.urlsplit(params.get("redirect_uri", ""))
            if redirect.hostname not in ("127.0.0.1", "localhost"):
                return "redirect_uri must be on loopback"
            return None

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/authorize":
                params = dict(urllib.parse.parse_qsl(url.query))
                problem = self._check_authorize(params)
                if problem:
                    self._send(400, problem.encode(), "text/plain; charset=utf-8")
                else:
                    self._send(200, _chooser(provider, params).encode(), "text/html; charset=utf-8")
            elif url.path == "/userinfo":
                auth = self.headers.get("Authorization", "")
                citizen = provider.tokens.get(auth.removeprefix("Bearer "))
                if citizen is None:
                    self._json(401, {"error": "invalid_token"})
                else:
                    self._json(200, provider.claims(citizen))
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            form = self._form()
            if url.path == "/authorize":
                problem = self._check_authorize(form)
                citizen: Person | None = None
                try:
                    # A missing choice is "-1", which must not pick the last person.
                    if form.get("client_id") == provider.staff_client_id:
                        index = int(form.pop("staff", "-1"))
                        citizen = provider.staff[index] if index >= 0 else None
                    else:
                        index = int(form.pop("citizen", "-1"))
                        citizen = DEMO_CITIZENS[index] if index >= 0 else None
                except (ValueError, IndexError):
                    problem = problem or "choose a person"
                problem = problem or (None if citizen else "choose a person")
                if problem or citizen is None:
                    self._send(400, (problem or "").encode(), "text/plain; charset=utf-8")
                    return
                code = provider.grant(citizen=citizen, params=form)
                query = {"code": code, "state": form.get("state", "")}
                location = f"{form['redirect_uri']}?{urllib.parse.urlencode(query)}"
                self._send(302, b"", "text/plain", {"Location": location})
            elif url.path == "/token":
                status, data = provider.token(form, self.headers.get("Authorization"))
                self._json(status, data)
            else:
                self._send(404, b"not found", "text/plain")

    return Handler
