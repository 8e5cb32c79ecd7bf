"""Structured (JSON lines) logging, the request id on every line, and a redaction net."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from stdnum.be import bis, nn

from midoffice.core.request_id import request_id_current

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def _field(value: Any) -> Any:
    # Django's request logger passes the request itself; its repr has the query string,
    # which may hold what a person searched for. Method and path are enough to find it.
    if isinstance(value, HttpRequest):
        return f"{value.method} {value.path}"
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = _field(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, default=str, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (core.request_id) to every record that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None):
            return True
        request_id = request_id_current()
        if request_id is None:
            # django.request logs some responses after the middleware has returned; the
            # request it passes along still has the id.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
        if request_id is not None:
            record.request_id = request_id
        return True


# An e-mail address: enough to catch one in free text, not a validator.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# Eleven digits, bare or as 85.07.30-033.28 / 850730 033 28, not inside a longer number.
_NATIONAL = re.compile(
    r"(?<![\w-])(?<!\d\.)(\d{2})[ .]?(\d{2})[ .]?(\d{2})[ .-]?(\d{3})[ .-]?(\d{2})(?![\w-]|\.\d)"
)
EMAIL_MASK = "[e-mail]"
NATIONAL_MASK = "[rijksregisternummer]"


def _national(match: re.Match[str]) -> str:
    digits = "".join(match.groups())
    if nn.is_valid(digits) or bis.is_valid(digits):
        return NATIONAL_MASK
    return match.group(0)


def redact(text: str) -> str:
    """``text`` with e-mail addresses and checksum-valid national (INSZ) numbers masked."""
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    return _NATIONAL.sub(_national, text)


class RedactFilter(logging.Filter):
    """A safety net, not the rule: code logs ids, never addresses or national numbers
    (tests/ops/test_logs.py checks that without this filter). Should a line slip through
    anyway (an exception message from a library, say), the address or number in its
    message, string fields or traceback is masked before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        for key, value in vars(record).items():
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
