"""The ``http`` e-depot plugin: a small REST shape (what the fake e-depot speaks).

    POST /api/v1/packages                  the ZIP; headers Idempotency-Key, X-Package-Id,
                                           X-Package-SHA256, X-Reference, X-Series
                                           → 201 (new) or 200 (same key) {"id", "status"}
    GET  /api/v1/packages/{id}             → {"id", "status", "reasons"}
    GET  /api/v1/packages/{id}/receipt     → the receipt (404 until accepted)

Every path and header name is in this module only, to be corrected when Digitaal Archief
Vlaanderen's own API is known.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from midoffice.integrations.edepot.base import (
    DepotState,
    EdepotRefused,
    EdepotTarget,
    EdepotUnavailable,
    Package,
    Receipt,
    Submission,
    SubmissionStatus,
    edepot_targets,
)
from midoffice.integrations.http import HttpResponse, HttpUnavailable, http_request

API_PREFIX = "/api/v1"
HEADER_IDEMPOTENCY = "Idempotency-Key"
HEADER_PACKAGE_ID = "X-Package-Id"
HEADER_SHA256 = "X-Package-SHA256"
HEADER_REFERENCE = "X-Reference"
HEADER_SERIES = "X-Series"


def _json(response: HttpResponse) -> dict[str, Any]:
    try:
        data = json.loads(response.body or b"{}")
    except ValueError:
        raise EdepotUnavailable(f"e-depot answered {response.status} without JSON") from None
    return data if isinstance(data, dict) else {}


@edepot_targets.register("http")
class HttpEdepot(EdepotTarget):
    name = "http"

    def __init__(self, *, base_url: str, token: str = "", timeout: float = 60.0, **_: Any):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _call(self, method: str, path: str, **kwargs: Any) -> HttpResponse:
        try:
            response = http_request(
                method, f"{self.base_url}{API_PREFIX}{path}", timeout=self.timeout, **kwargs
            )
        except HttpUnavailable as exc:
            raise EdepotUnavailable(str(exc)) from exc
        if response.status >= 500 or response.status == 429:
            raise EdepotUnavailable(f"e-depot answered {response.status}")
        return response

    def submit(self, package: Package, *, idempotency_key: str) -> Submission:
        headers = {
            **self._headers(),
            "Content-Type": "application/zip",
            HEADER_IDEMPOTENCY: idempotency_key,
            HEADER_PACKAGE_ID: package.package_id,
            HEADER_SHA256: package.sha256,
            HEADER_REFERENCE: package.reference,
            HEADER_SERIES: package.series,
        }
        response = self._call("POST", "/packages", data=package.data, headers=headers)
        data = _json(response)
        if not response.ok:
            reasons = [str(r) for r in data.get("reasons", [])] or [
                str(data.get("error", f"HTTP {response.status}"))
            ]
            raise EdepotRefused("; ".join(reasons), reasons)
        submission_id = str(data.get("id", ""))
        if not submission_id:
            raise EdepotUnavailable("e-depot answered without a package id")
        return Submission(
            submission_id=submission_id,
            location=f"{self.base_url}{API_PREFIX}/packages/{quote(submission_id)}",
        )

    def status(self, submission_id: str) -> SubmissionStatus:
        response = self._call("GET", f"/packages/{quote(submission_id)}", headers=self._headers())
        data = _json(response)
        if response.status == 404:
            raise EdepotRefused(f"the e-depot does not know package {submission_id}")
        try:
            state = DepotState(str(data.get("status", "")))
        except ValueError:
            raise EdepotUnavailable(f"unknown package status {data.get('status')!r}") from None
        return SubmissionStatus(state=state, reasons=[str(r) for r in data.get("reasons", [])])

    def receipt(self, submission_id: str) -> Receipt:
        response = self._call(
            "GET", f"/packages/{quote(submission_id)}/receipt", headers=self._headers()
        )
        if not response.ok:
            raise EdepotUnavailable(f"no receipt yet (HTTP {response.status})")
        data = _json(response)
        try:
            return Receipt(
                receipt_id=str(data["receipt_id"]),
                submission_id=submission_id,
                package_id=str(data["package_id"]),
                sha256=str(data["sha256"]),
                size=int(data["size"]),
                accepted_at=str(data["accepted_at"]),
                issuer=str(data.get("issuer", "e-depot")),
                raw=data,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EdepotUnavailable(f"the receipt is incomplete: {exc}") from exc
