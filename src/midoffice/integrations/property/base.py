"""The property information plugin interface: a parcel's documents, listed and fetched.

A platform such as the Omgevingsloket or a town's vastgoedinformatieplatform answers two
questions about a parcel (keyed on its CaPaKey): which documents do you hold, and give
me this one. Everything else (what to keep, on which dossier or letter) is the caller's.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from midoffice.core.plugins import Registry

# The CaPaKey as AAPD writes it: division, section, root number / bis number, exponent
# letter and power, e.g. ``24062A0123/00B000`` (the same shape routing.extract finds).
CAPAKEY_RE = re.compile(r"^\d{5}[A-Z]\d{4}/\d{2}[A-Z_]\d{3}$")


class PropertyInfoError(Exception):
    """Base of the errors a property plugin raises."""


class PropertyInfoUnavailable(PropertyInfoError):
    """Temporary: the platform is down, overloaded or did not answer in time."""


class PropertyNotFound(PropertyInfoError):
    """The platform does not know this parcel, or this document of it."""


class DocumentKind(StrEnum):
    PERMIT = "permit"
    PLAN = "plan"
    HERITAGE = "heritage"
    ZONING = "zoning"
    OTHER = "other"


KIND_LABELS: dict[str, str] = {
    DocumentKind.PERMIT: "Vergunning",
    DocumentKind.PLAN: "Plan",
    DocumentKind.HERITAGE: "Erfgoed",
    DocumentKind.ZONING: "Bestemming",
    DocumentKind.OTHER: "Ander document",
}


@dataclass(frozen=True)
class PropertyDocument:
    """One document the platform holds about a parcel (its metadata, not its bytes)."""

    id: str  # the platform's identifier, stable for this parcel
    kind: DocumentKind
    title: str
    date: dt.date | None
    source: str  # who holds it, e.g. "Omgevingsloket" (shown to people)
    media_type: str
    size: int  # bytes, as the platform announces it

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, KIND_LABELS[DocumentKind.OTHER])


@dataclass(frozen=True)
class FetchedDocument:
    """A document's bytes with its metadata, and the file name to keep it under."""

    document: PropertyDocument
    filename: str
    content: bytes


class PropertySource(abc.ABC):
    """A platform with information about parcels."""

    @abc.abstractmethod
    def documents(self, capakey: str) -> list[PropertyDocument]:
        """The documents about parcel ``capakey``, newest first; an empty list when the
        platform knows the parcel but holds nothing.

        Raises PropertyNotFound for a parcel it does not know, PropertyInfoUnavailable
        when it cannot answer now."""

    @abc.abstractmethod
    def fetch(self, capakey: str, document_id: str) -> FetchedDocument:
        """The bytes of one document of parcel ``capakey``, with its metadata.

        Raises PropertyNotFound when the parcel or the document is unknown,
        PropertyInfoUnavailable when the platform cannot answer now."""


property_sources: Registry[PropertySource] = Registry("property")
