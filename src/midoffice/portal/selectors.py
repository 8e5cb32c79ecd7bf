"""Reads for the portal. A citizen reaches a dossier only through these doors.

A citizen (a Party) sees the dossiers where they are the requester or hold a role the
dossier type opens to the portal, and nothing else. Missing and forbidden answer the same
NotFound, so references and ids cannot be probed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from midoffice.catalog.models import PORTAL_ROLE_CHOICES, DossierType
from midoffice.core.errors import NotFound
from midoffice.core.memo import memoised
from midoffice.dossiers.models import Dossier, DossierParty, Event
from midoffice.parties.models import Party
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
    q = Q(requester_id=party.pk)
    if roles:
        q |= Q(pk__in=DossierParty.objects.filter(roles, party_id=party.pk).values("dossier_id"))
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
