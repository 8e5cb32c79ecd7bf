"""What goes into an E-ARK SIP: a closed dossier, its documents and its history.

Plain dataclasses, filled by ``archive.sip.collect`` from the database and turned into a
package by ``archive.sip.build`` — the builder never touches the database. Digitaal
Archief Vlaanderen's base model is serie → dossier → stuk; its mandatory fields are the
dossier's name, opening and closing date, and each document's name and creation date.
:func:`sip_problems` says, in Dutch, what is missing before anything is packaged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SipDocument:
    """One document (DAV: stuk) with the bytes behind it."""

    key: str  # unique in the dossier, e.g. "mail-12", "attachment-40"
    kind: str  # mail | attachment | letter | letter-attachment | attestation | upload
    name: str  # DAV: naam van het stuk
    created: dt.datetime | None  # DAV: creatiedatum
    filename: str  # the name it came with (never used as a path)
    claimed_type: str  # the media type the source recorded
    size: int
    sha256: str  # as recorded when it was stored; "" when the source keeps none
    read: Callable[[], bytes] = field(repr=False, compare=False)
    parent_key: str = ""  # an attachment's mail, a letter attachment's letter


@dataclass(frozen=True)
class SipEvent:
    """One entry of the dossier's timeline, for PREMIS."""

    event_id: int
    kind: str  # the EventKind value, e.g. "dossier.closed"
    label: str  # its Dutch name
    at: dt.datetime
    agent: str  # who did it ("Midoffice" for internal work)
    summary: str


@dataclass(frozen=True)
class SipDossier:
    reference: str
    name: str  # DAV: naam van het dossier
    opened: dt.date | None  # DAV: openingsdatum
    closed: dt.date | None  # DAV: sluitingsdatum
    dossier_type_code: str
    dossier_type_name: str
    series_code: str
    series_name: str
    result: str
    documents: list[SipDocument]
    events: list[SipEvent]


@dataclass(frozen=True)
class SipContext:
    """What the package says about itself (the same on every rebuild of one transfer)."""

    package_id: uuid.UUID
    created: dt.datetime  # the transfer's request time: a rebuild writes the same bytes
    software: str
    software_version: str
    archival_creator: str  # the town
    archival_creator_code: str  # its identification code (KBO/OVO), may be empty
    preservation_agency: str  # the e-depot

    @property
    def objid(self) -> str:
        return f"uuid-{self.package_id}"


def sip_problems(dossier: SipDossier) -> list[str]:
    """The reasons, in Dutch, why this dossier cannot become a package (empty: it can)."""
    problems = []
    if not dossier.name.strip():
        problems.append(f"Dossier {dossier.reference} heeft geen naam (onderwerp).")
    if dossier.opened is None:
        problems.append(f"Dossier {dossier.reference} heeft geen openingsdatum.")
    if dossier.closed is None:
        problems.append(
            f"Dossier {dossier.reference} heeft geen sluitingsdatum: het is niet afgesloten."
        )
    if not dossier.series_code.strip() or not dossier.series_name.strip():
        problems.append(
            f"Het dossiertype ‘{dossier.dossier_type_name}’ hoort bij geen archiefserie: vul "
            "het serie-id en de naam van de serie in bij het dossiertype in de catalogus."
        )
    for index, document in enumerate(dossier.documents, start=1):
        if not document.name.strip():
            problems.append(f"Document {index} ({document.kind}) heeft geen naam.")
        if document.created is None:
            label = document.name.strip() or f"{index} ({document.kind})"
            problems.append(f"Document ‘{label}’ heeft geen creatiedatum.")
    return problems
