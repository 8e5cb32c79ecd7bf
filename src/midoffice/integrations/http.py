"""The one HTTP client for outgoing calls: stdlib urllib, always with a timeout.

Answers with any status code are returned (the caller decides whose fault a 4xx or 5xx
is); only a failure to get an answer at all raises :class:`HttpUnavailable`. A call that
must present a client certificate or trust a private CA passes its ``ssl.SSLContext``
(built once per configuration by :mod:`midoffice.integrations.transport`).
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message

DEFAULT_TIMEOUT = 10.0


class HttpUnavailable(Exception):
    """No answer: connection refused, DNS failure, timeout."""


class TlsFailure(HttpUnavailable):
    """The TLS handshake failed: the server's certificate was not trusted, or the server
    refused ours (none, expired, or issued by a CA it does not accept).

    Still "no answer" for the caller (the outbox retries once the configuration is fixed),
    but with a message that says where to look: ``server_not_trusted`` tells our CA bundle
    apart from our client certificate.
    """

    def __init__(self, message: str, *, server_not_trusted: bool) -> None:
        super().__init__(message)
        self.server_not_trusted = server_not_trusted


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _headers(message: Message) -> dict[str, str]:
    return {key.lower(): value for key, value in message.items()}


def _tls_failure(method: str, url: str, exc: BaseException) -> TlsFailure | None:
    """A clear :class:`TlsFailure` when ``exc`` (or the reason it wraps) is a TLS error."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLCertVerificationError):
        return TlsFailure(
            f"{method} {url}: the server's certificate is not trusted "
            f"({reason.verify_message or reason.reason})",
            server_not_trusted=True,
        )
    if isinstance(reason, ssl.SSLError):
        # The server's alert arrives as the handshake's (TLS 1.2) or the first read's
        # (TLS 1.3) error: "certificate required", "unknown ca", "handshake failure"…
        return TlsFailure(
            f"{method} {url}: TLS handshake failed ({reason.reason or reason}); the server "
            "may require a client certificate it accepts",
            server_not_trusted=False,
        )
    return None


def http_request(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    tls: ssl.SSLContext | None = None,
) -> HttpResponse:
    """Send one request and return the answer, whatever its status.

    ``tls`` replaces the default context (system trust store, no client certificate) for
    an ``https://`` URL.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http(s) URLs are allowed")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=data, headers=headers or {}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=tls) as answer:  # noqa: S310
            return HttpResponse(
                status=answer.status, body=answer.read(), headers=_headers(answer.headers)
            )
    except urllib.error.HTTPError as exc:
        return HttpResponse(status=exc.code, body=exc.read(), headers=_headers(exc.headers))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        tls_failure = _tls_failure(method, url, exc)
        if tls_failure is not None:
            raise tls_failure from exc
        raise HttpUnavailable(f"{method} {url}: {exc}") from exc
