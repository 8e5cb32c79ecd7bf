"""Outgoing webhooks: CloudEvents 1.0 (structured JSON mode) signed with HMAC-SHA256.

The signature header reads ``t=<unix seconds>,v1=<hex>`` where ``hex`` is
HMAC-SHA256(secret, ``"<t>." + body``). Receivers recompute it over the raw body and
refuse old timestamps (replays); :func:`signature_verify` does exactly that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
SIGNATURE_HEADER = "X-Midoffice-Signature"
TYPE_PREFIX = "be.midoffice."


def cloudevent(
    *,
    event_type: str,
    source: str,
    subject: str,
    data: dict[str, Any],
    at: dt.datetime,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A CloudEvents 1.0 event in structured mode."""
    return {
        "specversion": "1.0",
        "id": event_id or uuid.uuid4().hex,
        "source": source,
        "type": TYPE_PREFIX + event_type,
        "subject": subject,
        "time": at.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def event_body(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signature_verify(
    *, secret: str, body: bytes, header: str, now: int, tolerance: int = 300
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` s old."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp)
    return hmac.compare_digest(expected, f"t={timestamp},v1={parts.get('v1', '')}")
