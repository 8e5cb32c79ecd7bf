"""Reads for intake: quarantined messages, the caught outgoing mail, the mails of a
dossier with their attachments, and the attachments held back (ADR 12)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from midoffice.core.preview import may_offer_preview
from midoffice.intake.models import Attachment, InboundMessage


def inbound_quarantined(*, limit: int = 200) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(state=InboundMessage.State.QUARANTINED).order_by(
        "-created_at", "-id"
    )[:limit]


@dataclass(frozen=True)
class CaughtMail:
    name: str
    subject: str
    to: str
    date: datetime | None  # the Date header; None when missing or unreadable
    text: str


def _header_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    if moment is not None and moment.tzinfo is None:
        # "-0000" (what Django writes): UTC, zone not stated.
        moment = moment.replace(tzinfo=UTC)
    return moment


HIDDEN_LINK = "[verborgen: deze aanmeldlink is alleen voor de geadresseerde]"


def without_signin_links(text: str) -> str:
    """The text with every portal sign-in link's token hidden.

    A sign-in link signs its holder in as the citizen: whoever reads caught mail must
    not be able to use it. (With ``make run`` the link is in the file under
    MIDOFFICE_DATA_DIR/mail-out, for whoever has the server's files.)
    """
    prefix = reverse("portal:link", args=["-"]).rsplit("-", 1)[0]
    return re.sub(re.escape(prefix) + r"[^\s/<>\"']+/?", HIDDEN_LINK, text)


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
                date=_header_date(str(msg.get("Date", ""))),
                text=without_signin_links(text),
            )
        )
    return out


@dataclass(frozen=True)
class MailAttachmentView:
    id: int
    filename: str
    content_type: str
    size: int
    #: Dutch, "" when the file is not dangerous (``mailparse.danger``).
    dangerous_reason: str
    #: Held back: no download, no preview, until released (ADR 12).
    held: bool = False
    released_at: datetime | None = None
    released_by: str = ""
    release_reason: str = ""
    #: "Bekijken" is offered (the preview itself checks the bytes).
    previewable: bool = False


@dataclass(frozen=True)
class MailView:
    """An inbound mail as staff read it on the dossier page: text, and HTML only sanitised."""

    id: int
    received_at: datetime
    from_name: str
    from_address: str
    subject: str
    text: str
    safe_html: str | None
    attachments: list[MailAttachmentView]
    #: Always False: a question asked in the portal is the web layer's ``PortalQuestionView``.
    via_portal: bool = False


def dossier_mail(*, dossier_id: int, limit: int = 20) -> list[MailView]:
    """The mails that came in on a dossier, newest first, re-read from the stored raw bytes.

    The caller has already checked that the user may see the dossier.
    """
    from midoffice.intake.mailparse import parse_message, sanitize_html
    from midoffice.intake.storage import blob_read, pending_names

    messages = list(
        InboundMessage.objects.filter(dossier_id=dossier_id)
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("released_by"))
        )
        .order_by("-created_at", "-id")[:limit]
    )
    # One query for the mails that wait in the database for the storage (ADR 21g), not
    # one per mail.
    waiting = pending_names(m.raw_name for m in messages)
    views: list[MailView] = []
    for message in messages:
        try:
            raw = blob_read(message.raw_name, may_be_pending=message.raw_name in waiting)
            parsed = parse_message(raw)
            text, html = parsed.text_body, parsed.html_body
        except OSError:
            text, html = "(Het oorspronkelijke bericht kon niet gelezen worden.)", None
        views.append(
            MailView(
                id=message.pk,
                received_at=message.created_at,
                from_name=message.from_name,
                from_address=message.from_address,
                subject=message.subject,
                text=text[:20000],
                safe_html=sanitize_html(html) if html else None,
                attachments=[_attachment_view(a) for a in message.attachments.all()],
            )
        )
    return views


def _attachment_view(a: Attachment) -> MailAttachmentView:
    filename = a.filename or "bijlage"
    return MailAttachmentView(
        id=a.pk,
        filename=filename,
        content_type=a.content_type,
        size=a.size,
        dangerous_reason=a.dangerous_reason,
        held=a.is_held,
        released_at=a.released_at,
        released_by=(a.released_by.get_full_name() or a.released_by.username)
        if a.released_by
        else "",
        release_reason=a.release_reason,
        # Never for a dangerous file, released or not.
        previewable=not a.dangerous_reason
        and may_offer_preview(content_type=a.content_type, filename=filename),
    )


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment of a mail on a dossier, to download or preview."""

    id: int
    filename: str
    content_type: str
    dangerous_reason: str
    held: bool
    data: bytes
    #: Its name in the storage, to stream it (``intake.storage.blob_open``).
    stored_name: str = ""


def dossier_attachment(
    *, dossier_id: int, attachment_id: int, with_data: bool = True
) -> AttachmentFile:
    """An attachment of a mail on this dossier, with its bytes (``with_data``; else the
    caller streams it by ``stored_name``).

    Raises ``Attachment.DoesNotExist`` for an attachment of another dossier, ``OSError``
    when its file is gone. The caller checks ``held`` (ADR 12) and that the user may
    see the dossier.
    """
    from midoffice.intake.storage import blob_read

    attachment = Attachment.objects.get(pk=attachment_id, message__dossier_id=dossier_id)
    return AttachmentFile(
        id=attachment.pk,
        filename=attachment.filename or "bijlage",
        content_type=attachment.content_type,
        dangerous_reason=attachment.dangerous_reason,
        held=attachment.is_held,
        data=b"" if attachment.is_held or not with_data else blob_read(attachment.stored_name),
        stored_name=attachment.stored_name,
    )


@dataclass(frozen=True)
class HeldAttachment:
    """A held attachment, for the list of what needs attention."""

    id: int
    filename: str
    dangerous_reason: str
    held_at: datetime
    subject: str
    from_address: str
    dossier_reference: str | None


def attachments_held(*, limit: int = 200) -> list[HeldAttachment]:
    """Attachments held back and not released, newest first (every dossier: for the
    administrators' mail page; the dossier page lists its own)."""
    rows = (
        Attachment.objects.filter(held_at__isnull=False, released_at__isnull=True)
        .select_related("message", "message__dossier")
        .order_by("-held_at", "-id")[:limit]
    )
    return [
        HeldAttachment(
            id=a.pk,
            filename=a.filename or "bijlage",
            dangerous_reason=a.dangerous_reason,
            held_at=a.held_at or a.message.created_at,
            subject=a.message.subject,
            from_address=a.message.from_address,
            dossier_reference=a.message.dossier.reference if a.message.dossier else None,
        )
        for a in rows
    ]
