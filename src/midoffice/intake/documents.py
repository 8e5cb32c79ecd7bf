"""The intake's documents of a dossier: the raw mails (.eml) and their attachments.

Registered with ``dossiers.documents`` in ``IntakeConfig.ready()``, so the archive can
package a whole dossier without importing this app.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from midoffice.dossiers.documents import DossierDocument
from midoffice.dossiers.models import Dossier
from midoffice.intake.models import InboundMessage
from midoffice.intake.storage import blob_read


class StoredBlobCorrupt(Exception):
    pass


def _reader(name: str, sha256: str) -> Callable[[], bytes]:
    def read() -> bytes:
        data = blob_read(name)
        if sha256 and hashlib.sha256(data).hexdigest() != sha256:
            raise StoredBlobCorrupt(f"{name} does not match its hash")
        return data

    return read


def intake_documents(dossier: Dossier) -> Iterator[DossierDocument]:
    """Every mail linked to the dossier (not the quarantined ones), raw, and each of its
    attachments that is not an inline part (those stay inside the .eml)."""
    messages = (
        InboundMessage.objects.filter(dossier=dossier)
        .exclude(state=InboundMessage.State.QUARANTINED)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    for message in messages:
        sent = message.sent_at or message.created_at
        subject = " ".join(message.subject.split())
        name = f"E-mail: {subject}" if subject else f"E-mail zonder onderwerp van {sent:%d-%m-%Y}"
        key = f"mail-{message.pk}"
        yield DossierDocument(
            key=key,
            kind="mail",
            name=name[:300],
            created=sent,
            filename="",
            media_type="message/rfc822",
            size=message.size,
            sha256=message.sha256,
            storage_name=message.raw_name,
            read=_reader(message.raw_name, message.sha256),
        )
        for attachment in message.attachments.all():
            if attachment.is_inline:
                continue
            filename = attachment.filename or attachment.original_filename[:255]
            yield DossierDocument(
                key=f"attachment-{attachment.pk}",
                kind="attachment",
                name=filename or f"Bijlage {attachment.position} bij {name}"[:300],
                created=sent,
                filename=filename,
                media_type=attachment.content_type,
                size=attachment.size,
                sha256=attachment.sha256,
                storage_name=attachment.stored_name,
                read=_reader(attachment.stored_name, attachment.sha256),
                parent_key=key,
            )
