"""The REST client for the Document Service API.

Through the one HTTP client (every call has a timeout), over mutual TLS when a client
certificate is configured, with an OAuth2 access token when a token URL is (ADR 22d).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from midoffice.integrations import transport
from midoffice.integrations.http import HttpResponse, HttpUnavailable, TlsFailure, http_request
from midoffice.integrations.magda import mapping
from midoffice.integrations.magda.base import (
    Channel,
    DeliveryState,
    DeliveryStatus,
    DocumentService,
    MagdaRefused,
    MagdaUnavailable,
    OutgoingDocumentMessage,
    SendReceipt,
    document_services,
)

logger = logging.getLogger(__name__)

SERVICE = "MAGDA"


@document_services.register("rest")
class RestDocumentService(DocumentService):
    """``tls`` and ``oauth`` default to the ``MIDOFFICE_MAGDA_*`` settings; ``token_source``
    (tests) replaces the process's shared token cache for ``oauth``.
    """

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float = 20.0,
        token: str = "",
        tls: transport.TlsConfig | None = None,
        oauth: transport.OAuthConfig | None = None,
        token_source: transport.TokenSource | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the MAGDA base URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token
        self.tls = tls if tls is not None else transport.tls_from_settings(SERVICE)
        if token_source is None:
            oauth = oauth if oauth is not None else transport.oauth_from_settings(SERVICE)
            token_source = transport.token_source(oauth) if oauth is not None else None
        self.token_source = token_source

    def _authorization(self) -> str:
        """The bearer token to send: a fresh or cached OAuth2 token, else the fixed one."""
        if self.token_source is None:
            return self.token
        try:
            return self.token_source.token()
        except transport.TokenError as exc:
            # Our credentials (or the token endpoint) fail, not the letter: retry later.
            raise MagdaUnavailable(f"no access token for the Documentendienst: {exc}") from exc

    def _send_once(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[HttpResponse, str]:
        token = self._authorization()
        if token:
            headers = {**headers, "Authorization": f"Bearer {token}"}
        try:
            tls = transport.tls_context(self.tls)
        except transport.TransportConfigError as exc:
            # A certificate file replaced by a broken one while running.
            raise MagdaUnavailable(f"MAGDA TLS configuration: {exc}") from exc
        try:
            answer = http_request(
                method,
                self.base_url + path,
                data=body,
                headers=headers,
                timeout=self.timeout,
                tls=tls,
            )
        except TlsFailure as exc:
            raise MagdaUnavailable(transport.explain(exc, self.tls)) from exc
        except HttpUnavailable as exc:
            # A timeout after the request left may mean "accepted but unanswered": the
            # retry carries the same Idempotency-Key, so the service will not deliver twice.
            raise MagdaUnavailable(f"no answer on {method} {path}: {exc}") from exc
        return answer, token

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str = "application/json",
        correlation_id: str,
        idempotency_key: str = "",
    ) -> tuple[bytes, str]:
        headers = {mapping.HEADER_CORRELATION: correlation_id, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        if idempotency_key:
            headers[mapping.HEADER_IDEMPOTENCY] = idempotency_key
        answer, token = self._send_once(method, path, body, headers)
        if answer.status == 401 and self.token_source is not None:
            # Revoked or expired early: one new token, one more try (same idempotency key).
            self.token_source.invalidate(token)
            answer, token = self._send_once(method, path, body, headers)
        if answer.status == 401:
            # Our credentials are wrong, not the letter: temporary until someone fixes them.
            raise MagdaUnavailable(
                f"HTTP 401 on {method} {path}: the Documentendienst refused our credentials "
                "(MIDOFFICE_MAGDA_TOKEN or MIDOFFICE_MAGDA_OAUTH_*)"
            )
        if answer.status in (408, 429) or answer.status >= 500:
            raise MagdaUnavailable(f"HTTP {answer.status} on {method} {path}")
        if not answer.ok:
            detail = answer.body[:500].decode("utf-8", "replace")
            raise MagdaRefused(f"HTTP {answer.status} on {method} {path}: {detail}")
        return answer.body, answer.headers.get("content-type", "")

    def _json(self, raw: bytes) -> dict[str, Any]:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise MagdaUnavailable("answer is not JSON") from exc
        if not isinstance(data, dict):
            raise MagdaUnavailable("answer is not a JSON object")
        return data

    def send(
        self, message: OutgoingDocumentMessage, *, idempotency_key: str, correlation_id: str
    ) -> SendReceipt:
        if message.channel == Channel.EBOX:
            raw, _ = self._call(
                "POST",
                mapping.path(mapping.PATH_SEND_EBOX),
                body=mapping.ebox_body(message),
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        else:
            if message.channel == Channel.PAPER and (
                len(message.documents) > mapping.MAX_PAPER_DOCUMENTS
                or sum(len(d.content) for d in message.documents) > mapping.MAX_PAPER_BYTES
            ):
                raise MagdaRefused("paper letters take at most 6 PDFs and 30 MB")
            raw, _ = self._call(
                "POST",
                mapping.path(mapping.PATH_UPLOAD, channel=message.channel.value),
                body=mapping.upload_zip(message),
                content_type="application/zip",
                correlation_id=correlation_id,
                idempotency_key=idempotency_key,
            )
        answer = self._json(raw)
        status = mapping.parse_status(answer)
        return SendReceipt(
            message_id=mapping.parse_message_id(answer),
            channel=message.channel,
            state=status.state if status.raw_status else DeliveryState.ACCEPTED,
        )

    def statuses(
        self, *, channel: Channel, message_ids: list[str], correlation_id: str
    ) -> list[DeliveryStatus]:
        result: list[DeliveryStatus] = []
        for start in range(0, len(message_ids), mapping.MAX_STATUS_IDS):
            chunk = message_ids[start : start + mapping.MAX_STATUS_IDS]
            raw, _ = self._call(
                "POST",
                mapping.path(mapping.PATH_STATUS, channel=channel.value),
                body=mapping.status_request(chunk),
                correlation_id=correlation_id,
            )
            result += mapping.parse_statuses(self._json(raw))
        return result

    def message(self, *, message_id: str, correlation_id: str) -> dict[str, Any]:
        raw, _ = self._call(
            "GET",
            mapping.path(mapping.PATH_MESSAGE, message_id=message_id),
            correlation_id=correlation_id,
        )
        return self._json(raw)

    def bpost_status(self, *, message_id: str, correlation_id: str) -> DeliveryStatus:
        raw, _ = self._call(
            "GET",
            mapping.path(mapping.PATH_BPOST_STATUS, message_id=message_id),
            correlation_id=correlation_id,
        )
        return mapping.parse_status(self._json(raw))

    def bpost_attestation(self, *, message_id: str, correlation_id: str) -> bytes | None:
        try:
            raw, content_type = self._call(
                "GET",
                mapping.path(mapping.PATH_BPOST_ATTESTATION, message_id=message_id),
                correlation_id=correlation_id,
            )
        except MagdaRefused:
            return None  # 404: no attestation (yet)
        return raw if raw.startswith(b"%PDF") or "pdf" in content_type else None


def check_configuration(*, url: str, token: str) -> None:
    """The start-up check of the ``MIDOFFICE_MAGDA_*`` connection settings (ADR 22d).

    Raises :class:`~midoffice.integrations.transport.TransportConfigError` naming the
    variable: a missing file, a wrong PKCS#12 password, an expired certificate, a key that
    does not fit it, incomplete OAuth2 settings.
    """
    transport.check_service(
        tls=transport.tls_from_settings(SERVICE),
        url=url,
        url_setting="MIDOFFICE_MAGDA_URL",
        oauth=transport.oauth_from_settings(SERVICE),
        fixed_bearer_setting="MIDOFFICE_MAGDA_TOKEN",
        fixed_bearer=token,
    )
