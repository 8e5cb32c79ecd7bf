"""Reads for intake: quarantined messages and the caught outgoing mail."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from midoffice.intake.models import InboundMessage


def inbound_quarantined(*, limit: int = 200) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(state=InboundMessage.State.QUARANTINED).order_by(
        "-created_at", "-id"
    )[:limit]


@dataclass(frozen=True)
class CaughtMail:
    name: str
    subject: str
    to: str
    date: str
    text: str


def caught_mail_list(*, limit: int = 50) -> list[CaughtMail]:
    """Mail caught by the file backend (EMAIL_HOST empty), newest first."""
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", "") or "")
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    out: list[CaughtMail] = []
    for path in files[:limit]:
        raw = path.read_bytes()
        # The file backend writes one or more messages separated by a line of dashes.
        first = raw.split(b"\n" + b"-" * 79 + b"\n")[0]
        msg = BytesParser(policy=policy.default).parsebytes(first)
        body = msg.get_body(preferencelist=("plain",))
        text = ""
        if body is not None:
            try:
                text = str(body.get_content())
            except (KeyError, LookupError):
                text = ""
        out.append(
            CaughtMail(
                name=path.name,
                subject=str(msg.get("Subject", "")),
                to=str(msg.get("To", "")),
                date=str(msg.get("Date", "")),
                text=text,
            )
        )
    return out
