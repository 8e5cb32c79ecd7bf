"""Writes: keep a property platform's document on the dossier, or attach it to a letter.

The platform is asked before the transaction (it may be slow); the transaction re-checks
what it needs and writes one timeline event. Both are idempotent: the same document added
twice is kept once, attached twice goes along once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.correspondence.models import Letter
from midoffice.correspondence.services import letter_attach
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind
from midoffice.integrations.property.base import (
    FetchedDocument,
    PropertyInfoUnavailable,
    PropertyNotFound,
)
from midoffice.propertyinfo.models import KeptPropertyDocument
from midoffice.propertyinfo.selectors import property_source
from midoffice.propertyinfo.storage import property_file_store


class PlatformUnavailable(UserError):
    """Not the user's fault, but nothing to do but try again later."""

    status_code = 503


@dataclass(frozen=True)
class Outcome:
    done: bool  # False: it was already there, nothing changed
    title: str


def _fetch(dossier: Dossier, document_id: str) -> FetchedDocument:
    capakey = dossier.capakey.strip()
    if not capakey:
        raise UserError("Dit dossier heeft geen perceel: er is geen vastgoedinformatie.")
    source = property_source()
    if source is None:
        raise UserError("Er is geen vastgoedinformatieplatform gekoppeld.")
    try:
        return source.fetch(capakey, document_id)
    except PropertyNotFound:
        raise UserError("Dit document bestaat niet (meer) voor dit perceel.") from None
    except PropertyInfoUnavailable:
        raise PlatformUnavailable(
            "Het vastgoedinformatieplatform antwoordt niet. Probeer het later opnieuw."
        ) from None


def _require_open(dossier: Dossier) -> None:
    if not dossier.is_open:
        raise UserError("Aan een afgesloten dossier kan niets meer toegevoegd worden.")


def property_document_keep(*, actor: User, dossier: Dossier, document_id: str) -> Outcome:
    """Keep a copy of the platform's document ``document_id`` on the dossier (with an event
    on the timeline); a document the dossier already keeps is left as it is."""
    require(actor, Action.LINK, dossier)
    _require_open(dossier)
    capakey = dossier.capakey.strip()
    existing = KeptPropertyDocument.objects.filter(
        dossier=dossier, capakey=capakey, document_id=document_id
    ).first()
    if existing is not None:
        return Outcome(done=False, title=existing.title)
    fetched = _fetch(dossier, document_id)
    meta = fetched.document
    storage_name, sha256 = property_file_store(data=fetched.content, media_type=meta.media_type)
    try:
        with transaction.atomic():
            # The platform was asked outside the transaction; the dossier may have closed.
            _require_open(Dossier.objects.select_for_update().get(pk=dossier.pk))
            kept = KeptPropertyDocument.objects.create(
                dossier=dossier,
                capakey=capakey,
                document_id=meta.id,
                kind=str(meta.kind),
                title=meta.title[:300],
                document_date=meta.date,
                source=meta.source[:200],
                filename=fetched.filename[:200],
                media_type=meta.media_type[:100],
                size=len(fetched.content),
                storage_name=storage_name,
                sha256=sha256,
                added_by=actor,
                added_at=clock.now(),
            )
            event_record(
                dossier=dossier,
                kind=EventKind.LINK_ADDED,
                actor=actor,
                summary=f"Vastgoedinformatie toegevoegd: {meta.title}",
                data={"property_document": kept.pk, "capakey": capakey, "source": meta.source},
            )
    except IntegrityError:
        # A second click that raced the first: the first one kept it.
        return Outcome(done=False, title=meta.title)
    return Outcome(done=True, title=meta.title)


def property_document_attach_to_letter(*, actor: User, letter: Letter, document_id: str) -> Outcome:
    """Attach the platform's document ``document_id`` to the draft ``letter``, so it goes
    with the letter through every delivery channel; attaching it again changes nothing."""
    dossier = letter.dossier
    require(actor, Action.WRITE_LETTER, dossier)
    fetched = _fetch(dossier, document_id)
    if fetched.document.media_type != "application/pdf":
        raise UserError(
            "Alleen PDF-documenten kunnen met een brief mee. Voeg dit document toe aan het dossier."
        )
    with transaction.atomic():
        before = len(Letter.objects.select_for_update().get(pk=letter.pk).attachments)
        attached = letter_attach(
            actor=actor, letter=letter, filename=fetched.filename, content=fetched.content
        )
        if len(attached.attachments) == before:
            return Outcome(done=False, title=fetched.document.title)
        event_record(
            dossier=dossier,
            kind=EventKind.LETTER_CHANGED,
            actor=actor,
            summary=f"Vastgoedinformatie bijgevoegd bij brief: {fetched.document.title}",
            data={"letter": letter.pk, "property_document": fetched.document.id},
        )
    return Outcome(done=True, title=fetched.document.title)
