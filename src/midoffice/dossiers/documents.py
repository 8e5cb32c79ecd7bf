"""Every document of a dossier, whichever app keeps it: an explicit registry.

The documents of a dossier live in the apps above this one — raw mails and their
attachments in ``intake``, letters in ``correspondence``, uploads in ``portal`` — and
those apps may not import each other. Each registers a source here in its
``AppConfig.ready()``; whoever needs the whole dossier (the archive's SIP, one day an
export) asks :func:`dossier_documents`. Like ``dossiers.hooks``: explicit lists, no
signals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from midoffice.dossiers.models import Dossier


@dataclass(frozen=True)
class DossierDocument:
    """One document of a dossier and how to read its bytes."""

    key: str  # unique in the dossier and stable, e.g. "mail-12", "attachment-40"
    kind: str  # mail | attachment | letter | letter-attachment | attestation | upload
    name: str  # what people call it (a mail's subject, a file name, a letter's subject)
    created: dt.datetime | None  # when it was made or sent (not when we stored it)
    filename: str  # the name it came with; never a path
    media_type: str  # as the source recorded it
    size: int
    sha256: str  # as recorded when stored; "" when the source keeps no hash
    storage_name: str  # where it lives in the storage API
    read: Callable[[], bytes] = field(repr=False, compare=False)
    parent_key: str = ""  # an attachment's mail, a letter attachment's letter


DocumentSource = Callable[[Dossier], Iterable[DossierDocument]]
SOURCES: dict[str, DocumentSource] = {}


def document_source_register(name: str, source: DocumentSource) -> None:
    """Add (or replace) the source called ``name``; apps call this in ``ready()``."""
    SOURCES[name] = source


def dossier_documents(*, dossier: Dossier) -> list[DossierDocument]:
    """Every document of ``dossier`` from every registered source, oldest first (a mail
    before its attachments)."""
    documents = [doc for source in SOURCES.values() for doc in source(dossier)]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(
        documents,
        key=lambda d: (d.created or oldest, d.parent_key or d.key, bool(d.parent_key), d.key),
    )
