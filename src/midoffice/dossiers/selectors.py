"""Reads of dossiers. Staff reach a dossier only through these access-checked doors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from midoffice.accounts.models import Role, User
from midoffice.accounts.permissions import RULES, Action
from midoffice.accounts.permissions import user_team_ids as user_team_ids
from midoffice.catalog.defaults import TRIAGE_TYPE_CODE as TRIAGE_TYPE_CODE
from midoffice.catalog.models import ClosingDay, DayUnit, Phase
from midoffice.core.errors import NotFound, UserError
from midoffice.core.memo import memoised
from midoffice.dossiers.deadlines import TownCalendar, working_days_between
from midoffice.dossiers.models import (
    Dossier,
    DossierParty,
    Event,
    EventKind,
    Interaction,
    Notification,
)
from midoffice.parties.models import Party


@memoised(ClosingDay)
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
    team_ids = user_team_ids(user)
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


# --- The workbench: queues, deadline marks, timeline, contacts, notifications ------------

PAGE_SIZE = 50
QUEUE_PHASES = (Phase.NEW, Phase.IN_PROGRESS, Phase.WAITING, Phase.ANSWERED)


@dataclass(frozen=True)
class QueueFilters:
    """Filters of a queue page; all optional. ``assignee`` is a user id, or 0 for nobody."""

    phase: str = ""
    dossier_type_id: int | None = None
    assignee: int | None = None
    overdue: bool = False
    at_risk: bool = False


@dataclass(frozen=True)
class QueuePage:
    rows: list[Dossier]
    next_cursor: str | None
    counts: dict[str, int]


def _cursor_encode(dossier: Dossier) -> str:
    day = dossier.deadline.isoformat() if dossier.deadline else "-"
    return f"{day}.{dossier.pk}"


def _cursor_decode(cursor: str) -> tuple[dt.date | None, int]:
    try:
        day_text, id_text = cursor.split(".", 1)
        return (None if day_text == "-" else dt.date.fromisoformat(day_text)), int(id_text)
    except ValueError:
        raise UserError("Deze pagina bestaat niet (meer). Begin opnieuw bovenaan.") from None


def queue_keyset_page(
    qs: QuerySet[Dossier], *, cursor: str | None, page_size: int
) -> tuple[list[Dossier], str | None]:
    """One page in the order (deadline NULLS LAST, id), after ``cursor``.

    Two index-friendly range scans instead of one ``NULLS LAST`` sort: first the
    dossiers with a deadline in (deadline, id) order, then — once those run out — the
    suspended ones without a deadline in id order. Both use the partial index on
    (team|assignee, deadline, id), so a page deep in the queue costs what the first does,
    and the order is the same on SQLite (which sorts NULLs first) and PostgreSQL.
    """
    day, last_id = _cursor_decode(cursor) if cursor else (dt.date.min, 0)
    in_null_part = cursor is not None and day is None
    rows: list[Dossier] = []
    if not in_null_part:
        dated = qs.filter(deadline__isnull=False)
        if cursor:
            dated = dated.filter(deadline__gte=day).exclude(deadline=day, id__lte=last_id)
        rows = list(dated.order_by("deadline", "id")[: page_size + 1])
    if len(rows) <= page_size:
        undated = qs.filter(deadline__isnull=True)
        if in_null_part:
            undated = undated.filter(id__gt=last_id)
        rows += list(undated.order_by("id")[: page_size + 1 - len(rows)])
    next_cursor = _cursor_encode(rows[page_size - 1]) if len(rows) > page_size else None
    return rows[:page_size], next_cursor


def dossier_queue_page(
    *,
    user: User,
    today: dt.date,
    team_id: int | None = None,
    assignee_id: int | None = None,
    filters: QueueFilters | None = None,
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of a queue (open dossiers by deadline, then id) with counts per state.

    Keyset paging on (deadline, id) uses the partial indexes on (team|assignee, deadline,
    id), so page 2,000 costs what page 1 costs (see :func:`queue_keyset_page`).
    """
    filters = filters or QueueFilters()
    base = dossier_queue(user=user, team_id=team_id, assignee_id=assignee_id)
    if filters.dossier_type_id is not None:
        base = base.filter(dossier_type_id=filters.dossier_type_id)
    if filters.assignee is not None:
        base = (
            base.filter(assignee__isnull=True)
            if filters.assignee == 0
            else base.filter(assignee_id=filters.assignee)
        )
    overdue_q = Q(deadline__lt=today)
    at_risk_q = Q(warn_on__lte=today, deadline__gte=today)
    if filters.overdue:
        base = base.filter(overdue_q)
    if filters.at_risk:
        base = base.filter(at_risk_q)
    aggregates: dict[str, Count] = {str(p): Count("id", filter=Q(phase=p)) for p in QUEUE_PHASES}
    aggregates["overdue"] = Count("id", filter=overdue_q)
    aggregates["at_risk"] = Count("id", filter=at_risk_q)
    aggregates["unread"] = Count("id", filter=Q(unread_since__isnull=False))
    aggregates["all"] = Count("id")
    counts = base.order_by().aggregate(**aggregates)
    rows_qs = base
    if filters.phase:
        rows_qs = rows_qs.filter(phase=filters.phase)
    rows, next_cursor = queue_keyset_page(
        rows_qs.select_related("status", "dossier_type", "team", "assignee", "requester"),
        cursor=cursor,
        page_size=page_size,
    )
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=counts)


@dataclass(frozen=True)
class DeadlineMark:
    """How a dossier stands against its deadline, for display (never by colour alone)."""

    state: str  # on_track | at_risk | overdue | suspended | closed | none
    label: str
    days_left: int | None


def deadline_mark(dossier: Dossier, *, today: dt.date, calendar: TownCalendar) -> DeadlineMark:
    if not dossier.is_open:
        return DeadlineMark("closed", "afgesloten", None)
    if dossier.deadline is None:
        if dossier.suspended_since:
            return DeadlineMark("suspended", "termijn opgeschort", None)
        return DeadlineMark("none", "geen termijn", None)
    unit = dossier.dossier_type.day_unit
    if unit == DayUnit.WORKING:
        left = working_days_between(today, dossier.deadline, calendar)
        word = "werkdag" if abs(left) == 1 else "werkdagen"
    else:
        left = (dossier.deadline - today).days
        word = "dag" if abs(left) == 1 else "dagen"
    if today > dossier.deadline:
        late = max(-left, 1) if left <= 0 else 1
        if unit == DayUnit.WORKING:
            word = "werkdag" if late == 1 else "werkdagen"
        else:
            word = "dag" if late == 1 else "dagen"
        return DeadlineMark("overdue", f"Te laat: {late} {word} over tijd", left)
    text = "vandaag" if left == 0 else f"nog {left} {word}"
    if dossier.warn_on is not None and dossier.warn_on <= today:
        return DeadlineMark("at_risk", f"In gevaar: {text}", left)
    return DeadlineMark("on_track", text.capitalize(), left)


def dossier_timeline(*, dossier: Dossier) -> QuerySet[Event]:
    """Everything that happened to the dossier, oldest first; audit reads left out."""
    return dossier.events.exclude(kind=EventKind.VIEWED).order_by("at", "id")


def dossier_triage_queue(*, user: User, limit: int = 100) -> QuerySet[Dossier]:
    """Open dossiers whose type is still to be decided (type code ``triage``)."""
    return (
        dossier_list_visible(user=user)
        .filter(is_open=True, dossier_type__code=TRIAGE_TYPE_CODE)
        .select_related("requester", "team", "dossier_type", "status")
        .order_by("received_at", "id")[:limit]
    )


def party_get(*, party_id: int) -> Party:
    """A contact by id (all staff may look up contacts; each look is audited by the view)."""
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        raise NotFound("Contact niet gevonden.")
    return party


def party_dossiers(*, user: User, party: Party) -> QuerySet[Dossier]:
    """The dossiers of a contact that ``user`` may see, newest first."""
    in_role = DossierParty.objects.filter(party=party).values("dossier_id")
    return (
        dossier_list_visible(user=user)
        .filter(Q(requester=party) | Q(pk__in=in_role))
        .select_related("dossier_type", "status", "team")
        .order_by("-received_at", "-id")
    )


def party_interactions(*, user: User, party: Party, limit: int = 100) -> QuerySet[Interaction]:
    """The contact moments of a contact: without a dossier, or on a dossier user may see."""
    visible = dossier_list_visible(user=user).values("pk")
    return (
        Interaction.objects.filter(party=party)
        .filter(Q(dossier__isnull=True) | Q(dossier_id__in=visible))
        .select_related("dossier", "actor")
        .order_by("-at", "-id")[:limit]
    )


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def dossier_message_recipients(*, dossier: Dossier) -> list[User]:
    """Who must read a new message from the citizen on ``dossier``.

    Its handler; when nobody has the dossier, or its handler is away, also the members
    of its team who may take it (the rule of ``dossier_take``: the roles that may take,
    active and not absent). Nobody else: a message is work, not news.
    """
    assignee = dossier.assignee if dossier.assignee_id else None
    recipients = [assignee] if assignee is not None and assignee.is_active else []
    if assignee is None or assignee.is_absent or not assignee.is_active:
        takers = (
            User.objects.filter(
                teams=dossier.team_id,
                is_active=True,
                is_absent=False,
                role__in=list(RULES[Action.TAKE]),
            )
            .exclude(pk__in=[u.pk for u in recipients])
            .order_by("id")
        )
        recipients += list(takers)
    return recipients


def notification_list(*, user: User, limit: int = 100) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(user=user)
        .select_related("dossier")
        .order_by("-created_at", "-id")[:limit]
    )
