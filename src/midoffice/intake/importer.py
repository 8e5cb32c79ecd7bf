"""Import of old service mailboxes: .eml files, .mbox files and Maildir folders.

Messages are processed synchronously through the same services as live mail, so the
report can say what became of each one. Re-importing the same files adds nothing.
"""

from __future__ import annotations

import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from midoffice.intake import services
from midoffice.intake.mailparse import parse_message
from midoffice.intake.models import InboundMessage, MailSource

logger = logging.getLogger(__name__)

_REPORT_STATE = {
    InboundMessage.State.ROUTED: "routed",
    InboundMessage.State.ACKNOWLEDGED: "routed",
    InboundMessage.State.LINKED: "linked",
    InboundMessage.State.IGNORED: "ignored",
    InboundMessage.State.QUARANTINED: "quarantined",
}


@dataclass(frozen=True)
class ReportRow:
    file: str
    state: str
    message_id: str | None
    subject: str
    from_address: str | None
    from_name: str | None
    attachment_count: int
    attachment_names: list[str]
    dossier: str | None
    reason: str


class Source(NamedTuple):
    """One file (or one message of a mailbox file) to import."""

    label: str
    raw: bytes
    #: The container says it is a message: a ``.eml`` file, an mbox or Maildir entry.
    #: Any other file must show a header block to be taken as one.
    declared: bool


def iter_sources(paths: list[Path]) -> Iterator[Source]:
    """Every message (or file that may be one) under ``paths``."""
    for path in paths:
        if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
            box = mailbox.Maildir(str(path), factory=None, create=False)
            for key in sorted(box.keys()):
                yield Source(f"{path}/{key}", box.get_bytes(key), True)
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from iter_sources([child])
        elif path.suffix.lower() in (".mbox", ".mbx") or _looks_like_mbox(path):
            mbox = mailbox.mbox(str(path), create=False)
            for index, key in enumerate(mbox.keys()):
                yield Source(f"{path}#{index}", mbox.get_bytes(key), True)
        else:
            yield Source(str(path), path.read_bytes(), path.suffix.lower() == ".eml")


def _looks_like_mbox(path: Path) -> bool:
    if path.suffix.lower() == ".eml":
        return False
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def count_messages(paths: list[Path]) -> int | None:
    """How many .eml files there are (for the progress bar); None when mbox/Maildir
    would have to be read to know."""
    total = 0
    for path in paths:
        if path.is_file() and path.suffix.lower() == ".eml":
            total += 1
        elif path.is_dir() and not (path / "cur").is_dir():
            files = [p for p in path.rglob("*") if p.is_file()]
            if any(p.suffix.lower() != ".eml" for p in files):
                return None
            total += len(files)
        else:
            return None
    return total


# A header field line (RFC 5322 §2.2: a name of printable ASCII but the colon, then a
# colon; white space before the colon is the obsolete syntax real mail still has).
_FIELD_LINE = re.compile(rb"([!-9;-~]+)[ \t]*:")
# Fields a message has and a text file that happens to start with "Naam: …" has not.
_MESSAGE_FIELDS = frozenset(
    b"from sender reply-to to cc bcc subject date message-id in-reply-to references "
    b"received return-path delivered-to mime-version content-type".split()
)
_HEADER_SCAN_LINES = 500
_HEADER_SCAN_BYTES = 256 * 1024


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def refusal_reason(raw: bytes, *, declared: bool = False) -> str | None:
    """Why ``raw`` is not an e-mail message (Dutch, for the report), or None when it
    is taken as one. An empty file never is. A file its container calls a message
    (``declared``: .eml, mbox, Maildir) always is otherwise: a message without headers
    is still kept, and goes to triage for want of a sender. Any other file must start
    with a header block (after an optional mbox ``From `` line and blank lines) that
    has at least one of the fields every mail has: a text list or a PDF stays out."""
    if not raw or raw.isspace():  # no copy of a large file
        return "Geen e-mailbericht: het bestand is leeg."
    if declared:
        return None
    if raw.startswith(_OLE_MAGIC):
        return (
            "Geen e-mailbericht maar een Outlook- of Office-bestand: bewaar het bericht "
            "in Outlook als .eml (of exporteer de postbus) en lees dat in."
        )
    lines = raw[:_HEADER_SCAN_BYTES].removeprefix(b"\xef\xbb\xbf").splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    if not lines or not _FIELD_LINE.match(lines[0]):
        return (
            "Geen e-mailbericht: het bestand begint niet met kopregels "
            "(zoals ‘From:’, ‘Subject:’ of ‘Date:’)."
        )
    for line in lines[:_HEADER_SCAN_LINES]:
        if not line.strip():
            break
        field = _FIELD_LINE.match(line)
        if field and field.group(1).lower() in _MESSAGE_FIELDS:
            return None
    return (
        "Geen e-mailbericht: de kopregels bevatten geen afzender, onderwerp, datum of "
        "ander veld dat elk e-mailbericht heeft."
    )


def import_one(label: str, raw: bytes, *, source: MailSource, declared: bool = True) -> ReportRow:
    """Store and process one message; report what became of it. A file that is not a
    message is refused: nothing is written, the report says why."""
    refusal = refusal_reason(raw, declared=declared)
    if refusal is not None:
        return ReportRow(
            file=label,
            state="refused",
            message_id=None,
            subject="",
            from_address=None,
            from_name=None,
            attachment_count=0,
            attachment_names=[],
            dossier=None,
            reason=refusal,
        )
    # Not durable per message: the files being imported are the durable copy.
    message = services.inbound_store(raw, source=source, enqueue=False, durable=False)
    if message.state == InboundMessage.State.RECEIVED:
        message = services.inbound_process(inbound_id=message.pk, raw=raw, stored=message)
    return report_row(label, message, raw=raw)


def report_row(label: str, message: InboundMessage, *, raw: bytes | None = None) -> ReportRow:
    """What became of one message. A quarantined message has no attachment rows (its
    processing wrote nothing): with ``raw``, its attachments are read from the parse."""
    stored = list(message.attachments.filter(origin="mime").order_by("position"))
    names = [a.original_filename or a.filename for a in stored]
    count = len(stored)
    if not stored and message.state == InboundMessage.State.QUARANTINED and raw is not None:
        names, count = _attachment_names(raw)
    return ReportRow(
        file=label,
        state=_REPORT_STATE.get(InboundMessage.State(message.state), str(message.state)),
        message_id=message.message_id or None,
        subject=message.subject,
        from_address=message.from_address or None,
        from_name=message.from_name or None,
        attachment_count=count,
        attachment_names=[name for name in names if name],
        dossier=message.dossier.reference if message.dossier_id and message.dossier else None,
        reason=message.reason,
    )


def _attachment_names(raw: bytes) -> tuple[list[str], int]:
    try:
        parsed = parse_message(raw, limits=services.parse_limits())
    except Exception:  # the parse is what quarantined it: report without the names
        logger.exception("import report: attachments of a quarantined message unreadable")
        return [], 0
    mime = parsed.mime_attachments
    # Past the attachment limit the parse stops reading: those are counted, not named.
    return [a.original_filename or a.filename or "" for a in mime], len(mime) + (
        parsed.unread_leaf_count
    )


def row_dict(row: ReportRow) -> dict[str, Any]:
    return asdict(row)
