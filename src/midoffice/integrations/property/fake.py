"""An in-process property platform with sample documents for every well-formed parcel.

Used by the demo (``make run``) and the tests. The documents are generated from the
CaPaKey, so the same parcel always shows the same permits and plans. Parcels in section
``Z`` are unknown to it (PropertyNotFound); setting ``FakePropertySource.outage`` makes
every call fail as a platform that is down would (PropertyInfoUnavailable).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from midoffice.core.simple_pdf import one_page_pdf
from midoffice.integrations.property.base import (
    CAPAKEY_RE,
    DocumentKind,
    FetchedDocument,
    PropertyDocument,
    PropertyInfoUnavailable,
    PropertyNotFound,
    PropertySource,
    property_sources,
)


def simple_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ``lines`` of text (``core.simple_pdf``)."""
    return one_page_pdf(lines)


@dataclass(frozen=True)
class _Sample:
    id: str
    kind: DocumentKind
    title: str
    date: dt.date
    source: str
    filename: str
    media_type: str
    content: bytes


def _samples(capakey: str) -> list[_Sample]:
    # A stable number per parcel, so every parcel gets its own permit number and years.
    seed = int(hashlib.sha256(capakey.encode()).hexdigest()[:8], 16)
    permit_year = 1995 + seed % 25
    permit_no = f"OMV_{permit_year}{seed % 100000:05d}"
    plan_year = permit_year - 1
    plain = capakey.replace("/", "-")
    permit_lines = [
        f"Omgevingsvergunning {permit_no}",
        f"Perceel {capakey}",
        "Voorwerp: verbouwen van een eengezinswoning",
        f"Verleend door het college van burgemeester en schepenen in {permit_year}.",
    ]
    plan_lines = [
        "Bouwplan: gelijkvloers en verdieping (schaal 1/100)",
        f"Perceel {capakey}",
        f"Bij de aanvraag van {plan_year}.",
    ]
    zoning_lines = [
        "Uittreksel gewestplan en ruimtelijk uitvoeringsplan",
        f"Perceel {capakey}",
        "Bestemming: woongebied. Geen rooilijnplan van toepassing.",
    ]
    heritage = (
        f"Erfgoedtoets voor perceel {capakey}\n"
        "Het gebouw staat niet in de inventaris van het bouwkundig erfgoed en is niet "
        "beschermd.\n"
    ).encode()
    return [
        _Sample(
            id=f"permit-{permit_no.lower()}",
            kind=DocumentKind.PERMIT,
            title=f"Omgevingsvergunning {permit_no}",
            date=dt.date(permit_year, 1 + seed % 12, 1 + seed % 28),
            source="Omgevingsloket (demo)",
            filename=f"{plain}-vergunning-{permit_no}.pdf",
            media_type="application/pdf",
            content=simple_pdf(permit_lines),
        ),
        _Sample(
            id="plan-1",
            kind=DocumentKind.PLAN,
            title="Bouwplan gelijkvloers en verdieping",
            date=dt.date(plan_year, 1 + seed % 12, 1 + seed % 28),
            source="Omgevingsloket (demo)",
            filename=f"{plain}-bouwplan.pdf",
            media_type="application/pdf",
            content=simple_pdf(plan_lines),
        ),
        _Sample(
            id="zoning-gewestplan",
            kind=DocumentKind.ZONING,
            title="Uittreksel gewestplan: woongebied",
            date=dt.date(2024, 3, 1),
            source="Vastgoedinformatieplatform (demo)",
            filename=f"{plain}-bestemming.pdf",
            media_type="application/pdf",
            content=simple_pdf(zoning_lines),
        ),
        _Sample(
            id="heritage-toets",
            kind=DocumentKind.HERITAGE,
            title="Erfgoedtoets: niet beschermd",
            date=dt.date(2023, 9, 15),
            source="Vastgoedinformatieplatform (demo)",
            filename=f"{plain}-erfgoed.txt",
            media_type="text/plain",
            content=heritage,
        ),
    ]


def _metadata(sample: _Sample) -> PropertyDocument:
    return PropertyDocument(
        id=sample.id,
        kind=sample.kind,
        title=sample.title,
        date=sample.date,
        source=sample.source,
        media_type=sample.media_type,
        size=len(sample.content),
    )


@property_sources.register("fake")
class FakePropertySource(PropertySource):
    """Sample permits, a plan, a zoning extract and a heritage note for every parcel."""

    # Class-wide switch (tests, demos): the platform is down.
    outage: bool = False

    def _known(self, capakey: str) -> list[_Sample]:
        if self.outage:
            raise PropertyInfoUnavailable("het vastgoedinformatieplatform (demo) ligt plat")
        if not CAPAKEY_RE.match(capakey) or capakey[5] == "Z":
            raise PropertyNotFound(f"perceel {capakey!r} is niet gekend")
        return _samples(capakey)

    def documents(self, capakey: str) -> list[PropertyDocument]:
        samples = sorted(self._known(capakey), key=lambda s: s.date, reverse=True)
        return [_metadata(s) for s in samples]

    def fetch(self, capakey: str, document_id: str) -> FetchedDocument:
        for sample in self._known(capakey):
            if sample.id == document_id:
                return FetchedDocument(
                    document=_metadata(sample), filename=sample.filename, content=sample.content
                )
        raise PropertyNotFound(f"document {document_id!r} van perceel {capakey!r} is niet gekend")
