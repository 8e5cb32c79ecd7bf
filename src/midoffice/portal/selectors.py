"""Reads for the portal. A citizen reaches a dossier only through these doors.

A citizen (a Party) sees the dossiers where they are the requester or hold a role the
dossier type opens to the portal, and nothing else. Missing and forbidden answer the same
NotFound, so references and ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files import File
from django.db.models import Q, QuerySet

from midoffice.catalog.models import PORTAL_ROLE_CHOICES, DossierType
from midoffice.core.errors import NotFound
from midoffice.core.memo import memoised
from midoffice.correspondence.models import Letter, LetterState
from midoffice.correspondence.storage import file_read
from midoffice.dossiers.models import Dossier, DossierParty, Event
from midoffice.intake.models import Attachment
from midoffice.intake.selectors import MailView, dossier_mail
from midoffice.intake.storage import blob_open
from midoffice.parties.identifiers import email_match_key
from midoffice.parties.linking import linked_party_ids
from midoffice.parties.models import ContactPoint, Party
from midoffice.portal.models import CitizenDocument, FollowUpQuestion

PORTAL_ROLES = frozenset(value for value, _ in PORTAL_ROLE_CHOICES)


@memoised(DossierType)
def portal_role_types() -> dict[str, tuple[int, ...]]:
    """Per role, the dossier types that open the portal to it (beside the requester)."""
    by_role: dict[str, list[int]] = {}
    for type_id, roles in DossierType.objects.values_list("pk", "portal_roles"):
        for role in roles or []:
            if role in PORTAL_ROLES:
                by_role.setdefault(role, []).append(type_id)
    return {role: tuple(ids) for role, ids in by_role.items()}


def citizen_dossier_q(party: Party) -> Q:
    """The condition a dossier must meet for ``party`` to see it in the portal.

    The requester always; another contact on the dossier only in a role the dossier's
    type opens to the portal (a mandated representative, say). A replaced requester
    keeps the role "other" on the dossier, for the record, and no longer sees it.
    """
    roles = Q()
    for role, type_ids in portal_role_types().items():
        roles |= Q(role=role, dossier__dossier_type_id__in=type_ids)
    # The contacts linked to this one (proven the same citizen, ADR 29) count as this one.
    ids = linked_party_ids(party)
    q = Q(requester_id__in=ids)
    if roles:
        q |= Q(pk__in=DossierParty.objects.filter(roles, party_id__in=ids).values("dossier_id"))
    return q


def citizen_dossier_list(*, party: Party) -> QuerySet[Dossier]:
    """The citizen's dossiers, open ones first, newest first."""
    return (
        Dossier.objects.filter(citizen_dossier_q(party))
        .select_related("dossier_type", "status")
        .order_by("-is_open", "-received_at", "-id")
    )


def citizen_dossier_get(*, party: Party, reference: str) -> Dossier:
    """The dossier with ``reference`` if ``party`` may see it; NotFound otherwise."""
    dossier = (
        Dossier.objects.filter(citizen_dossier_q(party), reference=reference)
        .select_related("dossier_type", "status", "team", "result")
        .first()
    )
    if dossier is None:
        raise NotFound("Dit dossier vonden we niet.")
    return dossier


def citizen_timeline(*, dossier: Dossier) -> QuerySet[Event]:
    """What the town chose to show the citizen: the public events, in order."""
    return dossier.events.filter(public=True).order_by("at", "id")


def citizen_questions(*, dossier: Dossier) -> QuerySet[FollowUpQuestion]:
    return dossier.portal_questions.select_related("new_dossier").prefetch_related("documents")


def citizen_documents(*, dossier: Dossier) -> QuerySet[CitizenDocument]:
    return dossier.citizen_documents.all()


def citizen_document_get(*, party: Party, reference: str, document_id: int) -> CitizenDocument:
    """A document of one of the citizen's dossiers; NotFound for missing and forbidden."""
    dossier = citizen_dossier_get(party=party, reference=reference)
    document = CitizenDocument.objects.filter(dossier=dossier, pk=document_id).first()
    if document is None:
        raise NotFound("Dit document vonden we niet.")
    return document


# --- What the citizen wrote by e-mail, and the answers sent to her ------------------------


def _email_keys(party: Party) -> frozenset[str]:
    """The match keys of the citizen's e-mail addresses: a mail is hers when it came
    from one of them."""
    return frozenset(
        ContactPoint.objects.filter(
            kind=ContactPoint.Kind.EMAIL, party_id__in=linked_party_ids(party)
        ).values_list("match_key", flat=True)
    )


def _sender_key(address: str) -> str:
    return email_match_key(address) if address else ""


def citizen_mails(*, party: Party, dossier: Dossier) -> list[MailView]:
    """The citizen's own e-mails on the dossier (sent from one of her addresses), oldest
    first, with their attachments. Mail others sent on the dossier is not hers to see.
    ``dossier`` must come from ``citizen_dossier_get``."""
    keys = _email_keys(party)
    if not keys:
        return []
    mails = [m for m in dossier_mail(dossier_id=dossier.pk) if _sender_key(m.from_address) in keys]
    return sorted(mails, key=lambda m: (m.received_at, m.id))


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content_type: str
    #: Open on the stored file, to stream (the caller closes it, e.g. by FileResponse).
    file: File[bytes]


def citizen_mail_attachment_get(
    *, party: Party, reference: str, attachment_id: int
) -> AttachmentFile:
    """An attachment of one of the citizen's own e-mails on one of her dossiers.

    NotFound alike for a missing attachment, one of another dossier, one of a mail
    someone else sent, and one held back as possibly dangerous (a program, a macro).
    """
    dossier = citizen_dossier_get(party=party, reference=reference)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, message__dossier=dossier)
        .select_related("message")
        .first()
    )
    if (
        attachment is None
        or attachment.dangerous_reason
        or _sender_key(attachment.message.from_address) not in _email_keys(party)
    ):
        raise NotFound("Deze bijlage vonden we niet.")
    try:
        handle = blob_open(attachment.stored_name)
    except OSError:
        raise NotFound("Deze bijlage vonden we niet.") from None
    return AttachmentFile(
        filename=attachment.filename or "bijlage",
        content_type=attachment.content_type,
        file=handle,
    )


SENT_STATES = (LetterState.SENT, LetterState.DELIVERED)


def citizen_letters(*, party: Party, dossier: Dossier) -> QuerySet[Letter]:
    """The answers sent to the citizen on the dossier (sent or delivered letters
    addressed to her), in the order they left."""
    return Letter.objects.filter(
        dossier=dossier, recipient_id__in=linked_party_ids(party), state__in=SENT_STATES
    ).order_by("sent_at", "id")


@dataclass(frozen=True)
class LetterFile:
    filename: str
    data: bytes


def citizen_letter_get(*, party: Party, reference: str, letter_id: int) -> LetterFile:
    """The PDF that left (the signed one, when it was signed) of an answer sent to the
    citizen; NotFound alike for missing, not hers, and not sent yet."""
    dossier = citizen_dossier_get(party=party, reference=reference)
    letter = citizen_letters(party=party, dossier=dossier).filter(pk=letter_id).first()
    name, sha256 = letter.final_pdf if letter is not None else ("", "")
    if letter is None or not name:
        raise NotFound("Deze brief vonden we niet.")
    try:
        data = file_read(name=name, sha256=sha256)
    except OSError:
        raise NotFound("Deze brief vonden we niet.") from None
    return LetterFile(filename=f"{dossier.reference}-antwoord-{letter.pk}.pdf", data=data)
