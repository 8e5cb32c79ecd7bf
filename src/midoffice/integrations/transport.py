"""Transport security for the Flemish services: client certificates and OAuth2 tokens.

MAGDA's Documentendienst (REST) and DOSIS (SOAP) are reached over mutual TLS with the
town's certificate, and the REST service also wants an OAuth2 access token obtained with
the client-credentials grant (ADR 22d). Both go through the one HTTP client
(:func:`midoffice.integrations.http.http_request`):

- :func:`tls_context` turns a :class:`TlsConfig` (PKCS#12 file and password, or PEM
  certificate chain and key; a CA bundle) into an ``ssl.SSLContext``, built once per
  configuration and per version of its files, TLS 1.2 or newer;
- :class:`TokenSource` fetches, caches and refreshes the access token
  (``client_secret_basic``, ``client_secret_post`` or ``private_key_jwt``).

A configuration that cannot work (no such file, wrong password, an expired certificate,
a key that does not belong to the certificate) raises :class:`TransportConfigError`
naming the environment variable; :func:`check_service` runs every such check at start-up.
Passwords, secrets and tokens are never logged and never part of an error message.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import logging
import os
import re
import secrets
import ssl
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import ImproperlyConfigured

from midoffice.integrations.http import HttpUnavailable, TlsFailure, http_request

logger = logging.getLogger(__name__)

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
EXPIRY_WARNING = dt.timedelta(days=30)
# Lifetime assumed when the token answer has no expires_in (RFC 6749 makes it optional).
DEFAULT_TOKEN_LIFETIME = 300
# A client assertion is used once, right away: a minute covers any clock skew.
ASSERTION_LIFETIME = 60
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class TransportConfigError(ImproperlyConfigured):
    """The certificate, key or OAuth settings cannot work; the message names the variable."""


class TokenError(Exception):
    """No access token could be obtained. The message never holds a secret."""


class TokenUnavailable(TokenError):
    """The token endpoint did not answer, or answered 5xx: try again later."""


class TokenRefused(TokenError):
    """The token endpoint refused our client credentials: the configuration is wrong."""


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


# --- client certificates ---------------------------------------------------------------


@dataclass(frozen=True)
class TlsConfig:
    """How one service is reached over TLS. All empty: the system trust store, no client
    certificate.

    ``prefix`` is the start of the environment variables (``MIDOFFICE_MAGDA``), so that
    every error names the variable to fix.
    """

    prefix: str
    client_cert: str = ""
    client_key: str = ""
    client_p12: str = ""
    client_p12_password: str = field(default="", repr=False)
    ca_bundle: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.client_cert or self.client_key or self.client_p12 or self.ca_bundle)

    @property
    def has_client_certificate(self) -> bool:
        return bool(self.client_cert or self.client_p12)

    def name(self, suffix: str) -> str:
        return f"{self.prefix}_{suffix}"


@dataclass(frozen=True)
class ClientIdentity:
    """The town's key and certificate chain (leaf first), as read from the files."""

    key: PrivateKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    setting: str  # the variable the certificate came from

    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


def _read(path: str, setting: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise TransportConfigError(f"{setting}: there is no file {path}") from None
    except OSError as exc:
        raise TransportConfigError(
            f"{setting}: {path} cannot be read ({exc.strerror or exc})"
        ) from None


def _stamp(path: str, setting: str) -> tuple[str, int, int]:
    """What identifies one version of a file: a renewed certificate is read again."""
    if not path:
        return ("", 0, 0)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise TransportConfigError(f"{setting}: there is no file {path}") from None
    except OSError as exc:
        raise TransportConfigError(
            f"{setting}: {path} cannot be read ({exc.strerror or exc})"
        ) from None
    return (path, stat.st_mtime_ns, stat.st_size)


def _stamps(config: TlsConfig) -> tuple[tuple[str, int, int], ...]:
    return (
        _stamp(config.client_cert, config.name("CLIENT_CERT")),
        _stamp(config.client_key, config.name("CLIENT_KEY")),
        _stamp(config.client_p12, config.name("CLIENT_P12")),
        _stamp(config.ca_bundle, config.name("CA_BUNDLE")),
    )


def _check_key_type(key: object, setting: str) -> PrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TransportConfigError(f"{setting}: only RSA and EC keys are supported")
    return key


def _load_p12(config: TlsConfig) -> ClientIdentity:
    setting = config.name("CLIENT_P12")
    data = _read(config.client_p12, setting)
    password = config.client_p12_password.encode() or None
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        # cryptography cannot tell a wrong password from a damaged file.
        raise TransportConfigError(
            f"{setting}: {config.client_p12} cannot be opened: the password "
            f"({config.name('CLIENT_P12_PASSWORD')}) is wrong or the file is not PKCS#12"
        ) from None
    if key is None or certificate is None:
        raise TransportConfigError(
            f"{setting}: {config.client_p12} must hold a private key and its certificate"
        )
    return ClientIdentity(
        key=_check_key_type(key, setting),
        certificate=certificate,
        chain=tuple(extra),
        setting=setting,
    )


def _load_pem(config: TlsConfig) -> ClientIdentity:
    cert_setting, key_setting = config.name("CLIENT_CERT"), config.name("CLIENT_KEY")
    cert_data = _read(config.client_cert, cert_setting)
    try:
        certificates = x509.load_pem_x509_certificates(cert_data)
    except ValueError:
        raise TransportConfigError(
            f"{cert_setting}: {config.client_cert} holds no PEM certificate"
        ) from None
    # Without a key file, the key may sit in the certificate file (a common PEM bundle).
    if config.client_key:
        key_path, key_data_setting = config.client_key, key_setting
        key_data = _read(key_path, key_setting)
    else:
        key_path, key_data_setting, key_data = config.client_cert, cert_setting, cert_data
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except TypeError:
        raise TransportConfigError(
            f"{key_data_setting}: the private key in {key_path} is encrypted; give an "
            f"unencrypted PEM key readable only by Midoffice, or a PKCS#12 file with its "
            f"password ({config.name('CLIENT_P12')}, {config.name('CLIENT_P12_PASSWORD')})"
        ) from None
    except ValueError:
        hint = "" if config.client_key else f" (set {key_setting} to the key's file)"
        raise TransportConfigError(
            f"{key_data_setting}: {key_path} holds no readable PEM private key{hint}"
        ) from None
    return ClientIdentity(
        key=_check_key_type(key, key_data_setting),
        certificate=certificates[0],
        chain=tuple(certificates[1:]),
        setting=cert_setting,
    )


def _public_bytes(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _check_identity(identity: ClientIdentity) -> None:
    """What is checked once, when the files are read: the key fits the certificate."""
    certificate = identity.certificate
    if _public_bytes(identity.key.public_key()) != _public_bytes(certificate.public_key()):
        raise TransportConfigError(
            f"{identity.setting}: the private key does not belong to the certificate "
            f"{identity.subject()}"
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_warned: dict[tuple[str, int], float] = {}
_warned_lock = threading.Lock()
WARNING_INTERVAL = 24 * 3600.0


def _check_validity(identity: ClientIdentity, *, now: dt.datetime) -> None:
    """What is checked at every use (a process runs for months): the certificate is valid
    now, and a warning at most once a day from 30 days before it expires.
    """
    certificate = identity.certificate
    if certificate.not_valid_after_utc <= now:
        raise TransportConfigError(
            f"{identity.setting}: the client certificate {identity.subject()} expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    if certificate.not_valid_before_utc > now:
        raise TransportConfigError(
            f"{identity.setting}: the client certificate {identity.subject()} is valid only "
            f"from {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )
    if certificate.not_valid_after_utc - now >= EXPIRY_WARNING:
        return
    key, moment = (identity.setting, certificate.serial_number), time.monotonic()
    with _warned_lock:
        if moment - _warned.get(key, -WARNING_INTERVAL) < WARNING_INTERVAL:
            return
        _warned[key] = moment
    logger.warning(
        "client certificate expires soon",
        extra={
            "setting": identity.setting,
            "subject": identity.subject(),
            "not_after": certificate.not_valid_after_utc.isoformat(),
        },
    )


def _validate_combination(config: TlsConfig) -> None:
    if config.client_p12 and (config.client_cert or config.client_key):
        raise TransportConfigError(
            f"{config.name('CLIENT_P12')} and {config.name('CLIENT_CERT')}/"
            f"{config.name('CLIENT_KEY')} are both set: give the PKCS#12 file or the PEM "
            "files, not both"
        )
    if config.client_key and not config.client_cert:
        raise TransportConfigError(
            f"{config.name('CLIENT_KEY')} is set without {config.name('CLIENT_CERT')}: give "
            "the certificate (chain) that belongs to the key"
        )
    if config.client_p12_password and not config.client_p12:
        raise TransportConfigError(
            f"{config.name('CLIENT_P12_PASSWORD')} is set without {config.name('CLIENT_P12')}"
        )


@functools.lru_cache(maxsize=16)
def _identity(config: TlsConfig, stamps: tuple[tuple[str, int, int], ...]) -> ClientIdentity | None:
    del stamps  # part of the cache key only: a changed file is read again
    _validate_combination(config)
    if config.client_p12:
        identity = _load_p12(config)
    elif config.client_cert:
        identity = _load_pem(config)
    else:
        return None
    _check_identity(identity)
    return identity


def client_identity(config: TlsConfig) -> ClientIdentity | None:
    """The configured key and certificate, checked (also that the certificate is valid
    now); None without a client certificate.
    """
    identity = _identity(config, _stamps(config))
    if identity is not None:
        _check_validity(identity, now=_now())
    return identity


def _load_identity_into(context: ssl.SSLContext, identity: ClientIdentity) -> None:
    """Give ``context`` the key and chain. ``ssl`` reads them only from a file: a private
    temporary one, whose key is encrypted with a random one-time passphrase that never
    leaves this process, and which is deleted at once.
    """
    passphrase = secrets.token_bytes(32)
    pem = identity.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ) + b"".join(
        cert.public_bytes(serialization.Encoding.PEM)
        for cert in (identity.certificate, *identity.chain)
    )
    with tempfile.NamedTemporaryFile(prefix="midoffice-tls-", suffix=".pem") as handle:
        handle.write(pem)
        handle.flush()
        context.load_cert_chain(handle.name, password=passphrase)


@functools.lru_cache(maxsize=16)
def _context(config: TlsConfig, stamps: tuple[tuple[str, int, int], ...]) -> ssl.SSLContext:
    identity = _identity(config, stamps)
    if config.ca_bundle:
        setting = config.name("CA_BUNDLE")
        try:
            context = ssl.create_default_context(cafile=config.ca_bundle)
        except (ssl.SSLError, OSError) as exc:
            raise TransportConfigError(
                f"{setting}: {config.ca_bundle} holds no readable PEM CA certificates ({exc})"
            ) from None
    else:
        context = ssl.create_default_context()  # the system trust store
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if identity is not None:
        _load_identity_into(context, identity)
        logger.info(
            "client certificate loaded",
            extra={
                "setting": identity.setting,
                "subject": identity.subject(),
                "not_after": identity.certificate.not_valid_after_utc.isoformat(),
            },
        )
    return context


def explain(failure: TlsFailure, config: TlsConfig) -> str:
    """``failure``'s message with the variables to look at."""
    if failure.server_not_trusted:
        where = config.name("CA_BUNDLE") if config.ca_bundle else "the system trust store"
        return f"{failure}; check {config.name('CA_BUNDLE')} (now: {where})"
    return f"{failure}; check {config.name('CLIENT_P12')} or {config.name('CLIENT_CERT')}"


def tls_context(config: TlsConfig) -> ssl.SSLContext | None:
    """The ``ssl.SSLContext`` for ``config``, or None when nothing is configured (the
    default context then applies). Built once per configuration and file version.
    """
    if not config.configured:
        return None
    stamps = _stamps(config)
    identity = _identity(config, stamps)
    if identity is not None:
        _check_validity(identity, now=_now())
    return _context(config, stamps)


# --- OAuth2 client credentials ------------------------------------------------------------


@dataclass(frozen=True)
class OAuthConfig:
    """The client-credentials grant for one service; ``prefix`` as in :class:`TlsConfig`
    (``MIDOFFICE_MAGDA_OAUTH``).

    With ``private_key_jwt`` the client assertion is signed with ``private_key`` (a PEM
    file) or, when that is empty, with the key of ``signing_tls``: the client certificate.
    """

    prefix: str
    token_url: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    scope: str = ""
    auth_method: str = "client_secret_basic"
    private_key: str = ""
    key_id: str = ""
    audience: str = ""
    signing_tls: TlsConfig | None = None
    timeout: float = 10.0

    def name(self, suffix: str) -> str:
        return f"{self.prefix}_{suffix}"


def _is_loopback(url: str) -> bool:
    return urllib.parse.urlsplit(url).hostname in _LOOPBACK


@functools.lru_cache(maxsize=8)
def _pem_key(path: str, stamp: tuple[str, int, int], setting: str) -> PrivateKey:
    del stamp
    try:
        key = serialization.load_pem_private_key(_read(path, setting), password=None)
    except (TypeError, ValueError):
        raise TransportConfigError(
            f"{setting}: {path} holds no unencrypted PEM private key"
        ) from None
    return _check_key_type(key, setting)


def _assertion_key(config: OAuthConfig) -> PrivateKey:
    if config.private_key:
        setting = config.name("PRIVATE_KEY")
        return _pem_key(config.private_key, _stamp(config.private_key, setting), setting)
    identity = client_identity(config.signing_tls) if config.signing_tls else None
    if identity is None:
        raise TransportConfigError(
            f"{config.name('AUTH_METHOD')} is private_key_jwt but there is no key to sign "
            f"with: set {config.name('PRIVATE_KEY')} or a client certificate"
        )
    return identity.key


def _algorithm(key: PrivateKey, setting: str) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    curves = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
    if key.curve.name not in curves:
        raise TransportConfigError(f"{setting}: EC curve {key.curve.name} cannot sign a JWT")
    return curves[key.curve.name]


def client_assertion(config: OAuthConfig, *, now: float) -> str:
    """An RFC 7523 client assertion: a short-lived JWT about ourselves, signed."""
    key = _assertion_key(config)
    headers = {"kid": config.key_id} if config.key_id else None
    claims = {
        "iss": config.client_id,
        "sub": config.client_id,
        "aud": config.audience or config.token_url,
        "jti": uuid.uuid4().hex,
        "iat": int(now),
        "exp": int(now) + ASSERTION_LIFETIME,
    }
    return jwt.encode(
        claims, key, algorithm=_algorithm(key, config.name("PRIVATE_KEY")), headers=headers
    )


def check_oauth(config: OAuthConfig) -> None:
    """Every check of an OAuth configuration that needs no network."""
    url_setting = config.name("TOKEN_URL")
    if not config.token_url.startswith("https://") and not (
        config.token_url.startswith("http://") and _is_loopback(config.token_url)
    ):
        raise TransportConfigError(
            f"{url_setting} must be an https:// address (plain http only on loopback)"
        )
    if not config.client_id:
        raise TransportConfigError(f"{url_setting} is set but {config.name('CLIENT_ID')} is not")
    if config.auth_method not in AUTH_METHODS:
        raise TransportConfigError(
            f"{config.name('AUTH_METHOD')} must be one of {', '.join(AUTH_METHODS)}, "
            f"not {config.auth_method!r}"
        )
    if config.auth_method == "private_key_jwt":
        _algorithm(_assertion_key(config), config.name("PRIVATE_KEY"))
    elif not config.client_secret:
        raise TransportConfigError(
            f"{config.name('AUTH_METHOD')} is {config.auth_method} but "
            f"{config.name('CLIENT_SECRET')} is empty"
        )


_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _error_code(body: bytes) -> str:
    """The RFC 6749 ``error`` of a refusal, if it is a plain code (never the whole body)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.match(code) else ""


class TokenSource:
    """One service's access token: fetched when needed, reused until shortly before it
    expires, fetched again after :meth:`invalidate`. Safe to share between threads; a
    refresh holds the lock, so concurrent callers wait for one fetch instead of each
    making their own.
    """

    def __init__(
        self,
        config: OAuthConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._token = ""
        self._refresh_at = 0.0

    def token(self) -> str:
        with self._lock:
            if not self._token or self._clock() >= self._refresh_at:
                self._token, lifetime = self._fetch()
                # Refresh a little before the end: a request in flight must not meet an
                # expired token. Short-lived tokens keep at least half their life.
                self._refresh_at = self._clock() + lifetime - min(60.0, lifetime / 2)
            return self._token

    def invalidate(self, token: str) -> None:
        """The service refused ``token`` (401): fetch a new one next time."""
        with self._lock:
            if self._token == token:
                self._token = ""

    def _request(self) -> tuple[bytes, dict[str, str]]:
        config = self.config
        form = {"grant_type": "client_credentials"}
        if config.scope:
            form["scope"] = config.scope
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if config.auth_method == "client_secret_basic":
            # RFC 6749 2.3.1: both parts form-encoded before base64.
            pair = (
                f"{urllib.parse.quote_plus(config.client_id)}:"
                f"{urllib.parse.quote_plus(config.client_secret)}"
            )
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        elif config.auth_method == "client_secret_post":
            form["client_id"] = config.client_id
            form["client_secret"] = config.client_secret
        else:
            form["client_id"] = config.client_id
            form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            form["client_assertion"] = client_assertion(config, now=self._wall_clock())
        return urllib.parse.urlencode(form).encode(), headers

    def _fetch(self) -> tuple[str, float]:
        config = self.config
        body, headers = self._request()
        try:
            answer = http_request(
                "POST", config.token_url, data=body, headers=headers, timeout=config.timeout
            )
        except HttpUnavailable as exc:
            raise TokenUnavailable(f"token endpoint: no answer ({exc})") from exc
        if answer.status >= 500 or answer.status in (408, 429):
            raise TokenUnavailable(f"token endpoint {config.token_url} answered {answer.status}")
        if not answer.ok:
            code = _error_code(answer.body)
            raise TokenRefused(
                f"token endpoint {config.token_url} refused client {config.client_id} "
                f"(HTTP {answer.status}{' ' + code if code else ''}); check "
                f"{config.name('CLIENT_ID')}, {config.name('AUTH_METHOD')} and its "
                "secret or key"
            )
        try:
            data = json.loads(answer.body)
        except ValueError:
            data = None
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(token, str) or not token:
            raise TokenUnavailable(f"token endpoint {config.token_url}: no access_token")
        token_type = data.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise TokenRefused(
                f"token endpoint {config.token_url} gave a {token_type!r} token, not Bearer"
            )
        try:
            lifetime = float(data.get("expires_in", DEFAULT_TOKEN_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        lifetime = max(lifetime, 1.0)
        logger.info(
            "access token fetched",
            extra={"token_url": config.token_url, "expires_in": int(lifetime)},
        )
        return token, lifetime


_sources: dict[OAuthConfig, TokenSource] = {}
_sources_lock = threading.Lock()


def token_source(config: OAuthConfig) -> TokenSource:
    """The process's one :class:`TokenSource` for ``config`` (clients are built per call)."""
    with _sources_lock:
        source = _sources.get(config)
        if source is None:
            source = _sources[config] = TokenSource(config)
        return source


# --- from the settings, and the start-up check ------------------------------------------


def tls_from_settings(service: str) -> TlsConfig:
    """``MIDOFFICE_<service>_CLIENT_*`` and ``_CA_BUNDLE`` (``service``: MAGDA, DOSIS)."""
    from django.conf import settings

    def value(name: str) -> str:
        return str(getattr(settings, f"{service}_{name}", "") or "")

    return TlsConfig(
        prefix=f"MIDOFFICE_{service}",
        client_cert=value("CLIENT_CERT"),
        client_key=value("CLIENT_KEY"),
        client_p12=value("CLIENT_P12"),
        client_p12_password=value("CLIENT_P12_PASSWORD"),
        ca_bundle=value("CA_BUNDLE"),
    )


def oauth_from_settings(service: str) -> OAuthConfig | None:
    """``MIDOFFICE_<service>_OAUTH_*``; None when no token URL is set."""
    from django.conf import settings

    def value(name: str) -> str:
        return str(getattr(settings, f"{service}_OAUTH_{name}", "") or "")

    if not value("TOKEN_URL"):
        return None
    return OAuthConfig(
        prefix=f"MIDOFFICE_{service}_OAUTH",
        token_url=value("TOKEN_URL"),
        client_id=value("CLIENT_ID"),
        client_secret=value("CLIENT_SECRET"),
        scope=value("SCOPE"),
        auth_method=value("AUTH_METHOD") or "client_secret_basic",
        private_key=value("PRIVATE_KEY"),
        key_id=value("KEY_ID"),
        audience=value("AUDIENCE"),
        signing_tls=tls_from_settings(service),
    )


def check_service(
    *,
    tls: TlsConfig,
    url: str,
    url_setting: str,
    oauth: OAuthConfig | None = None,
    fixed_bearer_setting: str = "",
    fixed_bearer: str = "",
) -> None:
    """Fail now, naming the variable, rather than at the first letter: the files open,
    the key fits, the certificate is valid, the OAuth settings are complete.
    """
    if tls.has_client_certificate and url.startswith("http://"):
        raise TransportConfigError(
            f"{tls.name('CLIENT_CERT')}/{tls.name('CLIENT_P12')} is set but {url_setting} "
            f"is plain http://: a client certificate needs an https:// address"
        )
    tls_context(tls)
    if oauth is not None:
        if fixed_bearer:
            raise TransportConfigError(
                f"{fixed_bearer_setting} and {oauth.name('TOKEN_URL')} are both set: "
                "use a fixed token or OAuth2 client credentials, not both"
            )
        check_oauth(oauth)
