"""The documents specialist systems added, as a source of the dossier's document registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from midoffice.dossiers.documents import DossierDocument
from midoffice.dossiers.models import Dossier
from midoffice.systems.models import SystemDocument


def _reader(document: SystemDocument) -> Callable[[], bytes]:
    def read() -> bytes:
        with document.file.open("rb") as handle:
            return bytes(handle.read())

    return read


def system_documents(dossier: Dossier) -> Iterator[DossierDocument]:
    for document in SystemDocument.objects.filter(dossier=dossier).order_by("created_at", "id"):
        yield DossierDocument(
            key=f"system-{document.pk}",
            kind="system",
            name=document.title or document.name,
            created=document.created_at,
            filename=document.name,
            media_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            storage_name=document.file.name,
            read=_reader(document),
        )
