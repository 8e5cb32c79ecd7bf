"""Import of old service mailboxes: .eml files, .mbox files and Maildir folders.

Messages are processed synchronously through the same services as live mail, so the
report can say what became of each one. Re-importing the same files adds nothing.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from midoffice.intake import services
from midoffice.intake.models import InboundMessage, MailSource

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


def iter_sources(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for every message under ``paths``."""
    for path in paths:
        if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
            box = mailbox.Maildir(str(path), factory=None, create=False)
            for key in sorted(box.keys()):
                yield f"{path}/{key}", box.get_bytes(key)
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from iter_sources([child])
        elif path.suffix.lower() in (".mbox", ".mbx") or _looks_like_mbox(path):
            mbox = mailbox.mbox(str(path), create=False)
            for index, key in enumerate(mbox.keys()):
                yield f"{path}#{index}", mbox.get_bytes(key)
        else:
            yield str(path), path.read_bytes()


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


def import_one(label: str, raw: bytes, *, source: MailSource) -> ReportRow:
    """Store and process one message; report what became of it."""
    # Not durable per message: the files being imported are the durable copy.
    message = services.inbound_store(raw, source=source, enqueue=False, durable=False)
    if message.state == InboundMessage.State.RECEIVED:
        message = services.inbound_process(inbound_id=message.pk, raw=raw, stored=message)
    return report_row(label, message)


def report_row(label: str, message: InboundMessage) -> ReportRow:
    names = [
        a.original_filename or a.filename
        for a in message.attachments.filter(origin="mime").order_by("position")
        if a.original_filename or a.filename
    ]
    count = message.attachments.filter(origin="mime").count()
    return ReportRow(
        file=label,
        state=_REPORT_STATE.get(InboundMessage.State(message.state), str(message.state)),
        message_id=message.message_id or None,
        subject=message.subject,
        from_address=message.from_address or None,
        from_name=message.from_name or None,
        attachment_count=count,
        attachment_names=names,
        dossier=message.dossier.reference if message.dossier_id and message.dossier else None,
        reason=message.reason,
    )


def row_dict(row: ReportRow) -> dict[str, Any]:
    return asdict(row)
