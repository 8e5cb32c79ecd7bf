"""Reads for destruction lists: what is due, who may be named, who sees which list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from midoffice.accounts.models import Role, User
from midoffice.accounts.permissions import Action, may
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionStep,
)
from midoffice.archive.destruction_models import DestructionListState as State
from midoffice.archive.destruction_workflow import ListRole, Step, moves_in
from midoffice.archive.selectors import archive_due_q
from midoffice.core import clock
from midoffice.core.errors import NotFound
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import dossier_visible_q

#: What "due for destruction" means (DESIGN §3 step 12): closed, to be destroyed, its date
#: reached, no legal hold, not archived otherwise. The same condition is checked again
#: for every dossier at the moment it is destroyed.
DESTROY = "destroy"


def destruction_due_q(*, today: dt.date) -> Q:
    """The condition for a dossier that may be destroyed today.

    It reads the partial index ``dossier_archive_due_idx`` (closed dossiers by archive
    action and date).
    """
    return archive_due_q(today=today) & Q(archive_action=DESTROY)


def destruction_not_due_reason(dossier: Dossier | None, *, today: dt.date) -> str:
    """Why this dossier may not be destroyed now ("" when it may). No personal data: the
    reason is kept in the report."""
    if dossier is None:
        return "Het dossier bestaat niet meer."
    if dossier.is_open:
        return "Het dossier is opnieuw geopend."
    if dossier.legal_hold_reason:
        return "Er staat een archiefblokkering op het dossier."
    if dossier.archive_state:
        return f"Het dossier is al {dossier.get_archive_state_display().lower()}."
    if dossier.archive_action != DESTROY:
        return "De archiefactie van het dossier is niet meer ‘vernietigen’."
    if dossier.archive_date is None or dossier.archive_date > today:
        when = f" ({dossier.archive_date:%d-%m-%Y})" if dossier.archive_date else ""
        return f"De archiefactiedatum{when} is nog niet bereikt."
    return ""


@dataclass(frozen=True)
class CandidateFilters:
    """The record manager's filters for a new list; all optional."""

    dossier_type_id: int | None = None
    year: int | None = None  # the year the dossier was closed
    result_code: str = ""


def destruction_listed_dossier_ids() -> QuerySet[DestructionItem, Any]:
    """The dossiers on an active list (at most one each: a constraint says so)."""
    return DestructionItem.objects.filter(
        status=DestructionItemStatus.LISTED, dossier_id__isnull=False
    ).values("dossier_id")


def destruction_candidates(*, filters: CandidateFilters | None = None) -> QuerySet[Dossier]:
    """Due "destroy" dossiers that are on no active list, oldest archive date first.

    Confidential dossiers are candidates too: the list shows what an archivist needs
    (number, type, result, dates), and their subject only to who may see the dossier.
    """
    filters = filters or CandidateFilters()
    qs = Dossier.objects.filter(destruction_due_q(today=clock.today())).exclude(
        pk__in=destruction_listed_dossier_ids()
    )
    if filters.dossier_type_id:
        qs = qs.filter(dossier_type_id=filters.dossier_type_id)
    if filters.year:
        qs = qs.filter(closed_at__year=filters.year)  # in the town's time zone
    if filters.result_code:
        qs = qs.filter(result__code=filters.result_code)
    return qs.select_related("dossier_type", "result").order_by("archive_date", "id")


def reviewers_eligible(*, author: User) -> QuerySet[User]:
    """Who can be named reviewer: an active team lead or archivist, not the author."""
    return (
        User.objects.filter(is_active=True, role__in=[Role.TEAM_LEAD, Role.ARCHIVIST])
        .exclude(pk=author.pk)
        .order_by("first_name", "last_name", "username")
    )


def archivists_eligible(*, author: User) -> QuerySet[User]:
    """Who can give the final approval: an active archivist other than the author.

    Four eyes: the one who proposed a list does not approve it. Only when the author is
    the town's only active archivist may they approve it themselves (ADR 18); the
    reviewer was someone else then.
    """
    archivists = User.objects.filter(is_active=True, role=Role.ARCHIVIST)
    others = archivists.exclude(pk=author.pk)
    chosen = others if others.exists() else archivists.filter(pk=author.pk)
    return chosen.order_by("first_name", "last_name", "username")


def is_participant(user: User, destruction_list: DestructionList) -> bool:
    """The list's reviewer or archivist, or a record manager (who may manage any list)."""
    if not user.is_active:
        return False
    named = user.pk in (destruction_list.reviewer_id, destruction_list.archivist_id)
    return named or may(user, Action.PROPOSE_DESTRUCTION)


def steps_offered(*, user: User, destruction_list: DestructionList) -> frozenset[Step]:
    """The steps ``user`` may take on the list now: what a page or the API offers.

    The services decide again when the step is taken.
    """
    offered = set()
    for step, move in moves_in(destruction_list.state).items():
        if move.role is ListRole.RECORD_MANAGER:
            ok = may(user, Action.PROPOSE_DESTRUCTION)
        elif move.role is ListRole.REVIEWER:
            ok = user.pk == destruction_list.reviewer_id and may(user, Action.REVIEW_DESTRUCTION)
        elif move.role is ListRole.ARCHIVIST:
            ok = user.pk == destruction_list.archivist_id and may(user, Action.APPROVE_DESTRUCTION)
        else:
            ok = is_participant(user, destruction_list)
        if ok and user.is_active:
            offered.add(step)
    if destruction_list.run_started_at is not None:
        offered.discard(Step.ABORT)
    return frozenset(offered)


def destruction_lists_visible(*, user: User) -> QuerySet[DestructionList]:
    """The lists ``user`` may see: every list for archivists, the lists that name them for
    a reviewer or an archivist; none for anyone else."""
    qs = DestructionList.objects.select_related("author", "reviewer", "archivist")
    if not user.is_active:
        return qs.none()
    if may(user, Action.PROPOSE_DESTRUCTION) or may(user, Action.APPROVE_DESTRUCTION):
        return qs
    if may(user, Action.REVIEW_DESTRUCTION):
        named = DestructionStep.objects.filter(data__user=user.pk).values("destruction_list_id")
        return qs.filter(Q(reviewer=user) | Q(archivist=user) | Q(pk__in=named))
    return qs.none()


def destruction_list_get_for_user(*, user: User, list_id: int) -> DestructionList:
    """The list if ``user`` may see it; NotFound for missing and forbidden alike."""
    found = destruction_lists_visible(user=user).filter(pk=list_id).first()
    if found is None:
        raise NotFound("Vernietigingslijst niet gevonden.")
    return found


def _waiting_q(user: User) -> Q:
    """The lists that wait for ``user``: to review, to approve, or (a record manager)
    to process a review."""
    waiting = Q(reviewer=user, state=State.READY_TO_REVIEW) | Q(
        archivist=user, state=State.READY_FOR_ARCHIVIST
    )
    if may(user, Action.PROPOSE_DESTRUCTION):
        waiting |= Q(state__in=[State.CHANGES_REQUESTED, State.INTERNALLY_REVIEWED])
    return waiting


def destruction_lists_waiting_for(*, user: User) -> int:
    """How many lists wait for ``user`` to act (the menu's count)."""
    return DestructionList.objects.filter(_waiting_q(user)).count()


def destruction_lists_waiting_ids(*, user: User, list_ids: list[int]) -> set[int]:
    """Which of these lists wait for ``user`` (the overview marks them)."""
    return set(
        DestructionList.objects.filter(_waiting_q(user), pk__in=list_ids).values_list(
            "pk", flat=True
        )
    )


def destruction_items_page(
    *, destruction_list: DestructionList, user: User, page: int = 1, size: int = 100
) -> tuple[list[DestructionItem], int]:
    """One page of the list's items (by reference) and the number of items.

    Each item gets ``subject``: the dossier's subject when ``user`` may see the dossier,
    otherwise "" (the reference, type and dates are enough to judge; confidential
    dossiers stay confidential).
    """
    qs = destruction_list.items.select_related("reviewed_by").order_by("reference", "id")
    total = qs.count()
    start = max(page - 1, 0) * size
    items = list(qs[start : start + size])
    ids = [item.dossier_id for item in items if item.dossier_id]
    visible = dict(
        Dossier.objects.filter(dossier_visible_q(user), pk__in=ids).values_list("pk", "subject")
    )
    for item in items:
        item.subject = visible.get(item.dossier_id or 0, "")  # type: ignore[attr-defined]  # for the page
    return items, total
