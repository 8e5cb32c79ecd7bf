"""Reads for the dossier page's "Berichten": the citizen's mails (intake) and the
questions asked in the portal, in one list, with what came with them.

The web layer is the one place that may read both intake and the portal; intake knows
nothing of the portal. Every function here takes a dossier the caller found through the
access-checked door (``dossiers.selectors.dossier_get_for_user``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q

from midoffice.core.errors import NotFound
from midoffice.core.preview import may_offer_preview
from midoffice.dossiers.models import Dossier
from midoffice.intake.selectors import MailAttachmentView, MailView, dossier_mail
from midoffice.portal.models import CitizenDocument, FollowUpQuestion


@dataclass(frozen=True)
class DocumentView:
    """A file the citizen added in the portal (its type and size checked on upload)."""

    id: int
    name: str
    content_type: str
    size: int
    previewable: bool


@dataclass(frozen=True)
class PortalQuestionView:
    """A question asked in the portal, shown as a message beside the mails."""

    id: int
    received_at: datetime
    party_name: str
    text: str
    documents: list[DocumentView]
    #: The question was asked on another dossier and opened this one (same property).
    asked_on: str
    via_portal: bool = True


def portal_questions(*, dossier: Dossier, limit: int = 20) -> list[PortalQuestionView]:
    """The portal questions that landed on ``dossier``, newest first: those asked on it,
    and those that opened it as a new dossier about the same property (their files are
    on the new dossier too)."""
    questions = (
        FollowUpQuestion.objects.filter(
            Q(dossier=dossier, new_dossier__isnull=True) | Q(new_dossier=dossier)
        )
        .select_related("party", "dossier")
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=CitizenDocument.objects.filter(dossier=dossier).order_by("id"),
            )
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        PortalQuestionView(
            id=q.pk,
            received_at=q.created_at,
            party_name=q.party.display_name,
            text=q.text,
            documents=[
                DocumentView(
                    id=d.pk,
                    name=d.name,
                    content_type=d.content_type,
                    size=d.size,
                    previewable=may_offer_preview(content_type=d.content_type, filename=d.name),
                )
                for d in q.documents.all()
            ],
            asked_on=q.dossier.reference if q.new_dossier_id == dossier.pk else "",
        )
        for q in questions
    ]


def dossier_messages(
    *, dossier: Dossier, empty: Mapping[str, bool] | None = None
) -> list[MailView | PortalQuestionView]:
    """The mails and portal questions of ``dossier``, newest first; ``empty`` says which
    of the two are known to have none (``web.dossier_sections``)."""
    empty = empty or {}
    messages: list[MailView | PortalQuestionView] = []
    if not empty.get("mails"):
        messages += dossier_mail(dossier_id=dossier.pk)
    if not (empty.get("questions") and empty.get("questions_opened")):
        messages += portal_questions(dossier=dossier)
    messages.sort(key=lambda m: (m.received_at, m.via_portal), reverse=True)
    return messages


def dossier_document(*, dossier: Dossier, document_id: int) -> CitizenDocument:
    """A file the citizen added in the portal to ``dossier``; NotFound otherwise."""
    document = CitizenDocument.objects.filter(dossier=dossier, pk=document_id).first()
    if document is None:
        raise NotFound("Dit document vonden we niet bij dit dossier.")
    return document


@dataclass(frozen=True)
class HeldOnPage:
    """A held attachment on the dossier page, with the message it came with."""

    message: MailView
    attachment: MailAttachmentView


def dossier_messages_context(
    *, dossier: Dossier, empty: Mapping[str, bool] | None = None
) -> dict[str, object]:
    """What the "Berichten" section of the dossier page needs: the messages, and the
    held attachments among them (listed first: they need someone's decision)."""
    mails = dossier_messages(dossier=dossier, empty=empty)
    held = [
        HeldOnPage(message=m, attachment=a)
        for m in mails
        if isinstance(m, MailView)
        for a in m.attachments
        if a.held
    ]
    return {"mails": mails, "held": held}
