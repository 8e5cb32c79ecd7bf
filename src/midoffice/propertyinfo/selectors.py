"""Reads: the configured property platform and what it holds about a dossier's parcel."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from midoffice.correspondence.models import Letter, LetterState
from midoffice.dossiers.models import Dossier
from midoffice.integrations.property.base import (
    PropertyDocument,
    PropertyInfoUnavailable,
    PropertyNotFound,
    PropertySource,
    property_sources,
)
from midoffice.propertyinfo.models import KeptPropertyDocument

logger = logging.getLogger(__name__)

# What the dossier page can say about the parcel's information.
NO_PARCEL = "no_parcel"  # the dossier has no CaPaKey
DISABLED = "disabled"  # no platform configured (MIDOFFICE_PROPERTY_PLUGIN=none)
UNAVAILABLE = "unavailable"  # the platform is down or slow
NOT_FOUND = "not_found"  # the platform does not know the parcel
OK = "ok"


def property_source() -> PropertySource | None:
    """The configured platform, or None when none is (``MIDOFFICE_PROPERTY_PLUGIN=none``)."""
    name = settings.PROPERTY_PLUGIN
    if name == "none":
        return None
    return property_sources.get(name)()


@dataclass(frozen=True)
class PropertyListing:
    state: str
    capakey: str
    documents: list[PropertyDocument] = field(default_factory=list)
    kept_ids: frozenset[str] = frozenset()
    draft_letters: list[Letter] = field(default_factory=list)


def property_listing(*, dossier: Dossier) -> PropertyListing:
    """The platform's documents about ``dossier``'s parcel, with which ones the dossier
    already keeps and the draft letters they could go with. The caller checked access."""
    capakey = dossier.capakey.strip()
    if not capakey:
        return PropertyListing(state=NO_PARCEL, capakey="")
    source = property_source()
    if source is None:
        return PropertyListing(state=DISABLED, capakey=capakey)
    try:
        documents = source.documents(capakey)
    except PropertyInfoUnavailable:
        logger.warning("property platform unavailable", extra={"dossier": dossier.pk})
        return PropertyListing(state=UNAVAILABLE, capakey=capakey)
    except PropertyNotFound:
        return PropertyListing(state=NOT_FOUND, capakey=capakey)
    kept = frozenset(
        KeptPropertyDocument.objects.filter(dossier=dossier, capakey=capakey).values_list(
            "document_id", flat=True
        )
    )
    drafts = list(
        Letter.objects.filter(dossier=dossier, state=LetterState.DRAFT).order_by("-created_at")
    )
    return PropertyListing(
        state=OK, capakey=capakey, documents=documents, kept_ids=kept, draft_letters=drafts
    )
