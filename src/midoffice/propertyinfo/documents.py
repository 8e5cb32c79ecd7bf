"""The kept property documents as documents of the dossier, and their erasure.

Registered with ``dossiers.documents`` and ``dossiers.erasure`` in ``PropertyInfoConfig``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from midoffice.dossiers.documents import DossierDocument
from midoffice.dossiers.erasure import Eraser, Erasure
from midoffice.dossiers.models import Dossier
from midoffice.propertyinfo.models import KeptPropertyDocument
from midoffice.propertyinfo.storage import PREFIX, property_file_read


def _reader(name: str, sha256: str) -> Callable[[], bytes]:
    return lambda: property_file_read(name=name, sha256=sha256)


def property_documents(dossier: Dossier) -> Iterator[DossierDocument]:
    for kept in KeptPropertyDocument.objects.filter(dossier=dossier).order_by("added_at", "id"):
        created = (
            dt.datetime.combine(kept.document_date, dt.time(), tzinfo=dt.UTC)
            if kept.document_date
            else kept.added_at
        )
        yield DossierDocument(
            key=f"property-{kept.pk}",
            kind="property",
            name=kept.title,
            created=created,
            filename=kept.filename,
            media_type=kept.media_type,
            size=kept.size,
            sha256=kept.sha256,
            storage_name=kept.storage_name,
            read=_reader(kept.storage_name, kept.sha256),
        )


def _collect(erasure: Erasure) -> None:
    names = list(
        KeptPropertyDocument.objects.filter(dossier_id=erasure.dossier.pk).values_list(
            "storage_name", flat=True
        )
    )
    erasure.files |= set(names)
    erasure.counts["property_documents"] += len(names)


def _erase(erasure: Erasure) -> None:
    # Cascades from the dossier; deleted here so the order is plain to read.
    KeptPropertyDocument.objects.filter(dossier_id=erasure.dossier.pk).delete()


def _files_in_use(names: set[str]) -> set[str]:
    names = {name for name in names if name.startswith(PREFIX)}
    if not names:
        return set()
    return set(
        KeptPropertyDocument.objects.filter(storage_name__in=list(names)).values_list(
            "storage_name", flat=True
        )
    )


PROPERTY_ERASER = Eraser(collect=_collect, erase=_erase, files_in_use=_files_in_use)
