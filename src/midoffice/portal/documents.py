"""The portal's documents of a dossier: the files citizens added to it.

Registered with ``dossiers.documents`` in ``PortalConfig.ready()``. The portal keeps no
hash of an upload; the archive computes one when it packages the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from midoffice.dossiers.documents import DossierDocument
from midoffice.dossiers.models import Dossier
from midoffice.portal.models import CitizenDocument


def _reader(document: CitizenDocument) -> Callable[[], bytes]:
    def read() -> bytes:
        with document.file.open("rb") as handle:
            return bytes(handle.read())

    return read


def portal_documents(dossier: Dossier) -> Iterator[DossierDocument]:
    for document in CitizenDocument.objects.filter(dossier=dossier).order_by("created_at", "id"):
        yield DossierDocument(
            key=f"upload-{document.pk}",
            kind="upload",
            name=document.name,
            created=document.created_at,
            filename=document.name,
            media_type=document.content_type,
            size=document.size,
            sha256="",
            storage_name=document.file.name,
            read=_reader(document),
        )
