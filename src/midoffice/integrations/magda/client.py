"""The REST client for the Document Service API (stdlib urllib; every call has a timeout)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

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


@document_services.register("rest")
class RestDocumentService(DocumentService):
    def __init__(self, *, base_url: str, timeout: float = 20.0, token: str = "") -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the MAGDA base URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token

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
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.base_url + path, data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace")
            if exc.code in (408, 429) or exc.code >= 500:
                raise MagdaUnavailable(f"HTTP {exc.code} on {method} {path}") from exc
            raise MagdaRefused(f"HTTP {exc.code} on {method} {path}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            # A timeout after the request left may mean "accepted but unanswered": the
            # retry carries the same Idempotency-Key, so the service will not deliver twice.
            raise MagdaUnavailable(f"{type(exc).__name__} on {method} {path}") from exc

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
