"""The one HTTP client for outgoing calls: stdlib urllib, always with a timeout.

Answers with any status code are returned (the caller decides whose fault a 4xx or 5xx
is); only a failure to get an answer at all raises :class:`HttpUnavailable`.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message

DEFAULT_TIMEOUT = 10.0


class HttpUnavailable(Exception):
    """No answer: connection refused, DNS failure, timeout."""


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


def http_request(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> HttpResponse:
    """Send one request and return the answer, whatever its status."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http(s) URLs are allowed")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=data, headers=headers or {}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return HttpResponse(
                status=answer.status, body=answer.read(), headers=_headers(answer.headers)
            )
    except urllib.error.HTTPError as exc:
        return HttpResponse(status=exc.code, body=exc.read(), headers=_headers(exc.headers))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise HttpUnavailable(f"{method} {url}: {exc}") from exc
