"""Read a closed dossier from the database into the SIP model (the builder's input)."""

from __future__ import annotations

import datetime as dt
import uuid
from importlib.metadata import PackageNotFoundError, version

from django.conf import settings

from midoffice.archive.sip.model import SipContext, SipDocument, SipDossier, SipEvent
from midoffice.core import clock
from midoffice.dossiers.documents import dossier_documents
from midoffice.dossiers.models import Dossier, Event, EventKind


def software_version() -> str:
    try:
        return version("midoffice")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def sip_dossier_collect(*, dossier: Dossier) -> SipDossier:
    """The dossier, its documents (every registered source) and its timeline."""
    dossier_type = dossier.dossier_type
    labels = dict(EventKind.choices)
    events = [
        SipEvent(
            event_id=event.pk,
            kind=event.kind,
            label=str(labels.get(event.kind, event.kind)),
            at=event.at,
            agent=event.actor_label or "Midoffice",
            summary=event.summary,
        )
        for event in Event.objects.filter(dossier=dossier).order_by("at", "id")
    ]
    documents = [
        SipDocument(
            key=doc.key,
            kind=doc.kind,
            name=doc.name,
            created=doc.created,
            filename=doc.filename,
            claimed_type=doc.media_type,
            size=doc.size,
            sha256=doc.sha256,
            read=doc.read,
            parent_key=doc.parent_key,
        )
        for doc in dossier_documents(dossier=dossier)
    ]
    # DAV's opening date is when the dossier's first document came in: the question's
    # reception (a dossier registered later for an older letter opens on that letter).
    return SipDossier(
        reference=dossier.reference,
        name=" ".join(dossier.subject.split()),
        opened=clock.localdate(dossier.received_at) if dossier.received_at else None,
        closed=clock.localdate(dossier.closed_at) if dossier.closed_at else None,
        dossier_type_code=dossier_type.code,
        dossier_type_name=dossier_type.name,
        series_code=dossier_type.archive_series_code,
        series_name=dossier_type.archive_series_name,
        result=dossier.result.name if dossier.result else "",
        documents=documents,
        events=events,
    )


def sip_context(*, package_id: uuid.UUID, created: dt.datetime | None = None) -> SipContext:
    """The package's own metadata, from the settings."""
    return SipContext(
        package_id=package_id,
        created=created or clock.now(),
        software="Midoffice",
        software_version=software_version(),
        archival_creator=settings.TOWN_NAME,
        archival_creator_code=settings.ARCHIVE_CREATOR_CODE,
        preservation_agency=settings.EDEPOT_NAME,
    )
