"""Correspondence's documents of a dossier: the letters that were signed or left, their
attachments and bpost's attestations.

Registered with ``dossiers.documents`` in ``CorrespondenceConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from midoffice.correspondence.models import Letter, LetterState
from midoffice.correspondence.storage import file_read
from midoffice.dossiers.documents import DossierDocument
from midoffice.dossiers.models import Dossier

# A draft or a letter waiting for its signature is not a document of the dossier yet.
FINAL_STATES = (
    LetterState.SIGNED,
    LetterState.QUEUED,
    LetterState.SENT,
    LetterState.DELIVERED,
    LetterState.FAILED,
)


def _reader(name: str, sha256: str) -> Callable[[], bytes]:
    return lambda: file_read(name=name, sha256=sha256)


def correspondence_documents(dossier: Dossier) -> Iterator[DossierDocument]:
    letters = Letter.objects.filter(dossier=dossier, state__in=FINAL_STATES).order_by("id")
    for letter in letters:
        name, sha256 = letter.final_pdf
        if not name:
            continue
        created = letter.signed_at or letter.sent_at or letter.created_at
        key = f"letter-{letter.pk}"
        title = f"Brief: {' '.join(letter.subject.split())}"[:300]
        yield DossierDocument(
            key=key,
            kind="letter",
            name=title,
            created=created,
            filename=f"{dossier.reference}-brief-{letter.pk}.pdf",
            media_type="application/pdf",
            size=0,
            sha256=sha256,
            storage_name=name,
            read=_reader(name, sha256),
        )
        for number, attachment in enumerate(letter.attachments, start=1):
            yield DossierDocument(
                key=f"{key}-attachment-{number}",
                kind="letter-attachment",
                name=str(attachment.get("filename") or f"Bijlage {number} bij {title}")[:300],
                created=created,
                filename=str(attachment.get("filename", "")),
                media_type="application/pdf",
                size=int(attachment.get("size", 0)),
                sha256=str(attachment["sha256"]),
                storage_name=str(attachment["name"]),
                read=_reader(str(attachment["name"]), str(attachment["sha256"])),
                parent_key=key,
            )
        if letter.attestation_name:
            yield DossierDocument(
                key=f"{key}-attestation",
                kind="attestation",
                name=f"Bewijs van afgifte (bpost) bij {title}"[:300],
                created=letter.delivered_at or created,
                filename="attest.pdf",
                media_type="application/pdf",
                size=0,
                sha256=letter.attestation_sha256,
                storage_name=letter.attestation_name,
                read=_reader(letter.attestation_name, letter.attestation_sha256),
                parent_key=key,
            )
