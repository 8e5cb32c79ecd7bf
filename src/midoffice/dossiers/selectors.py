"""Reads of dossiers. Staff reach a dossier only through these access-checked doors."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from midoffice.accounts.models import Role, User
from midoffice.catalog.models import ClosingDay
from midoffice.core.errors import NotFound
from midoffice.dossiers.deadlines import TownCalendar
from midoffice.dossiers.models import Dossier


def town_calendar() -> TownCalendar:
    """The town's calendar: Belgian public holidays plus its configured closing days."""
    return TownCalendar(closing_days=frozenset(ClosingDay.objects.values_list("date", flat=True)))


def dossier_visible_q(user: User) -> Q:
    """The condition a dossier must meet for ``user`` to see it.

    Teams see their own dossiers; front desk, archivists, administrators and system
    accounts see every dossier that is not confidential; confidential dossiers are seen
    only by members of their team.
    """
    if not user.is_active:
        return Q(pk__in=[])
    team_ids = list(user.teams.values_list("id", flat=True))
    own_team = Q(team_id__in=team_ids)
    if user.role == Role.SYSTEM or user.is_superuser:
        return Q()
    if user.sees_all_teams:
        return Q(confidential=False) | own_team
    return own_team | Q(assignee_id=user.pk)


def dossier_list_visible(*, user: User) -> QuerySet[Dossier]:
    return Dossier.objects.filter(dossier_visible_q(user))


def dossier_get_for_user(*, user: User, reference: str) -> Dossier:
    """The dossier with this reference if ``user`` may see it; NotFound otherwise.

    Missing and forbidden answer the same, so ids cannot be probed.
    """
    dossier = (
        dossier_list_visible(user=user)
        .select_related("dossier_type", "status", "team", "assignee", "requester", "result")
        .filter(reference=reference)
        .first()
    )
    if dossier is None:
        raise NotFound("Dossier niet gevonden.")
    return dossier


def dossier_queue(
    *,
    user: User,
    team_id: int | None = None,
    assignee_id: int | None = None,
    status_id: int | None = None,
    dossier_type_id: int | None = None,
    overdue_on: dt.date | None = None,
) -> QuerySet[Dossier]:
    """Open dossiers sorted by deadline (then id), for a team or an assignee.

    The ordering matches the partial indexes on (team, deadline, id) and
    (assignee, deadline, id), so deep pages stay fast with keyset paging.
    """
    qs = dossier_list_visible(user=user).filter(is_open=True)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if status_id is not None:
        qs = qs.filter(status_id=status_id)
    if dossier_type_id is not None:
        qs = qs.filter(dossier_type_id=dossier_type_id)
    if overdue_on is not None:
        qs = qs.filter(deadline__lt=overdue_on)
    return qs.order_by("deadline", "id")
