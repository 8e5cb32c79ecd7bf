"""Reads of dossiers. Staff reach a dossier only through these access-checked doors."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, Field, Q, QuerySet
from django.db.models.expressions import RawSQL

from midoffice.accounts.models import Role, Team, User
from midoffice.accounts.permissions import RULES, Action
from midoffice.accounts.permissions import user_team_ids as user_team_ids
from midoffice.catalog.defaults import TRIAGE_TYPE_CODE as TRIAGE_TYPE_CODE
from midoffice.catalog.models import (
    ClosingDay,
    DayUnit,
    DossierType,
    Phase,
    ResultType,
    StatusType,
)
from midoffice.core.errors import NotFound, UserError
from midoffice.core.memo import memoised
from midoffice.dossiers import stamps
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


def _visible_within(user: User, *, team_id: int | None, assignee_id: int | None) -> Q:
    """:func:`dossier_visible_q` for a list already limited to one team or one assignee.

    Where that limit implies the rule - one of the user's own teams, or (for whom the rule
    includes it) the user's own work - the condition is left out: the same rows, but one
    plain index range instead of an OR of two, so the queue's counts are read from the
    index alone (ADR 30).
    """
    if user.is_active:
        if team_id is not None and team_id in user_team_ids(user):
            return Q()
        if assignee_id is not None and assignee_id == user.pk and not user.sees_all_teams:
            return Q()
    return dossier_visible_q(user)


def dossier_list_visible(*, user: User) -> QuerySet[Dossier]:
    return Dossier.objects.filter(dossier_visible_q(user))


def dossier_get_for_user(*, user: User, reference: str) -> Dossier:
    """The dossier with this reference if ``user`` may see it; NotFound otherwise.

    Missing and forbidden answer the same, so ids cannot be probed.
    """
    dossier = (
        dossier_list_visible(user=user)
        .select_related("assignee", "requester")
        .filter(reference=reference)
        .first()
    )
    if dossier is None:
        raise NotFound("Dossier niet gevonden.")
    return with_catalog(dossier)


@dataclass(frozen=True)
class _Catalog:
    types: dict[int, DossierType]
    statuses: dict[int, StatusType]
    teams: dict[int, Team]
    results: dict[int, ResultType]


@memoised(DossierType, StatusType, Team, ResultType)
def _catalog() -> _Catalog:
    return _Catalog(
        types={t.pk: t for t in DossierType.objects.all()},
        statuses={s.pk: s for s in StatusType.objects.all()},
        teams={t.pk: t for t in Team.objects.all()},
        results={r.pk: r for r in ResultType.objects.all()},
    )


def _fresh_catalog(missing: bool) -> _Catalog:
    """The memoised catalog, read again first when a row was ``missing`` from it (made
    in another process since this one read it)."""
    if missing:
        _catalog.memo_clear()  # type: ignore[attr-defined]
    return _catalog()


def team_by_code(code: str) -> Team | None:
    """The team with this code, a copy of the memoised one (queue pages, issue 24)."""
    catalog = _catalog()
    found = [t for t in catalog.teams.values() if t.code == code]
    if not found:
        found = [t for t in _fresh_catalog(True).teams.values() if t.code == code]
    return copy.copy(found[0]) if found else None


def team_type_choices(team_ids: list[int]) -> list[tuple[str, str]]:
    """The dossier types of these teams as (id, name) by name, for a queue's filter. A new
    type shows in other processes within the memo's time (core.memo)."""
    wanted = set(team_ids)
    types = [t for t in _catalog().types.values() if t.team_id in wanted]
    return [(str(t.pk), t.name) for t in sorted(types, key=lambda t: (t.name.casefold(), t.pk))]


def status_types_of(dossier_type_id: int) -> list[StatusType]:
    """The statuses of a dossier type in their order, from the memoised catalog: the
    dossier page's status form and proposal read them on every view. Read only."""
    found = [s for s in _catalog().statuses.values() if s.dossier_type_id == dossier_type_id]
    return sorted(found, key=lambda s: (s.order, s.pk))


def result_types_of(dossier_type_id: int) -> list[ResultType]:
    """The results a dossier of this type can be closed with, by name, from the memoised
    catalog. Read only."""
    found = [r for r in _catalog().results.values() if r.dossier_type_id == dossier_type_id]
    return sorted(found, key=lambda r: (r.name, r.pk))


def with_catalog(dossier: Dossier) -> Dossier:
    """``dossier`` with its type, status, team and result from memory (core.memo), each a
    copy of its own: joining the four tables made PostgreSQL spend 3 ms planning the
    dossier page's first query, for a dozen rows of catalog that change in the admin."""
    catalog = _catalog()
    catalog = _fresh_catalog(
        dossier.dossier_type_id not in catalog.types
        or dossier.status_id not in catalog.statuses
        or dossier.team_id not in catalog.teams
        or (dossier.result_id is not None and dossier.result_id not in catalog.results)
    )
    dossier.dossier_type = copy.copy(catalog.types[dossier.dossier_type_id])
    dossier.status = copy.copy(catalog.statuses[dossier.status_id])
    dossier.team = copy.copy(catalog.teams[dossier.team_id])
    if dossier.result_id is not None:
        dossier.result = copy.copy(catalog.results[dossier.result_id])
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
    qs = Dossier.objects.filter(
        _visible_within(user, team_id=team_id, assignee_id=assignee_id), is_open=True
    )
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


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One dossier as a queue row shows it (the queue pages, the home page): plain values
    read with ``.values()``, not six model instances per row (ADR 32). It has what
    :func:`deadline_mark` needs, so a row and a dossier are marked alike."""

    id: int
    reference: str
    subject: str
    is_open: bool
    deadline: dt.date | None
    warn_on: dt.date | None
    suspended_since: dt.date | None
    unread_since: dt.datetime | None
    team_id: int
    assignee_id: int | None
    requester_id: int | None
    day_unit: str
    type_name: str
    status_name: str
    team_name: str
    #: The assignee's full name; empty for nobody (or a colleague without a name).
    assignee_name: str
    #: The requester's name as the contact shows it; None for a dossier without one.
    requester_name: str | None


#: The columns of a :class:`QueueRow`, as ``.values()`` names them. The names of its type,
#: status and team come from :func:`_catalog`, the assignee's from :func:`_staff_names`.
QUEUE_ROW_VALUES = (
    "id",
    "reference",
    "subject",
    "is_open",
    "deadline",
    "warn_on",
    "suspended_since",
    "unread_since",
    "team_id",
    "assignee_id",
    "requester_id",
    "dossier_type_id",
    "status_id",
    "requester__display_name",
)


@memoised("accounts.User")
def _staff_names() -> dict[int, str]:
    """Every colleague's full name by id, as ``User.get_full_name`` writes it (core.memo).

    A queue page used to join type, status, team and assignee for each of its 50 rows;
    with them the planner spent more time choosing a join order (2-3 ms on PostgreSQL)
    than reading the page. The first three come from :func:`_catalog`, the names from
    here: a few hundred rows, changed in the admin.
    """
    return {
        pk: _full_name(first, last)
        for pk, first, last in User.objects.values_list("id", "first_name", "last_name")
    }


def _full_name(first: str | None, last: str | None) -> str:
    """As ``User.get_full_name`` writes it (empty for nobody)."""
    return f"{first or ''} {last or ''}".strip()


def queue_rows(values: list[dict[str, Any]]) -> list[QueueRow]:
    """Queue rows from ``.values(*QUEUE_ROW_VALUES)`` rows. A type, status, team or
    colleague made in another process since this one read them is read again at once."""
    catalog = _catalog()
    catalog = _fresh_catalog(
        any(
            v["dossier_type_id"] not in catalog.types
            or v["status_id"] not in catalog.statuses
            or v["team_id"] not in catalog.teams
            for v in values
        )
    )
    staff = _staff_names()
    if any(v["assignee_id"] is not None and v["assignee_id"] not in staff for v in values):
        _staff_names.memo_clear()  # type: ignore[attr-defined]
        staff = _staff_names()
    rows = []
    for v in values:
        dossier_type = catalog.types[v["dossier_type_id"]]
        assignee = v["assignee_id"]
        rows.append(
            QueueRow(
                id=v["id"],
                reference=v["reference"],
                subject=v["subject"],
                is_open=v["is_open"],
                deadline=v["deadline"],
                warn_on=v["warn_on"],
                suspended_since=v["suspended_since"],
                unread_since=v["unread_since"],
                team_id=v["team_id"],
                assignee_id=assignee,
                requester_id=v["requester_id"],
                day_unit=dossier_type.day_unit,
                type_name=dossier_type.name,
                status_name=catalog.statuses[v["status_id"]].name,
                team_name=catalog.teams[v["team_id"]].name,
                assignee_name=staff[assignee] if assignee is not None else "",
                requester_name=v["requester__display_name"] if v["requester_id"] else None,
            )
        )
    return rows


def dossier_unassigned_in_teams(*, user: User, limit: int = 10) -> list[QueueRow]:
    """Open dossiers nobody has yet in the user's teams, by deadline (the home page).

    The user's own teams are visible to them by the access rule, so this reads the small
    partial index of unassigned open dossiers alone.
    """
    return queue_rows(
        Dossier.objects.filter(
            team_id__in=user_team_ids(user) if user.is_active else [],
            is_open=True,
            assignee__isnull=True,
        )
        .order_by("deadline", "id")
        .values(*QUEUE_ROW_VALUES)[:limit]
    )


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
    rows: list[QueueRow]
    next_cursor: str | None
    counts: dict[str, int]


@dataclass(frozen=True)
class ListOrder:
    """The order of a dossier list: ``key`` NULLS LAST then id, ascending or descending.

    Each order matches indexes on (``key``, id) - or on id alone when ``key`` is empty -
    so :func:`keyset_page` reads a page deep in a list as cheaply as the first (ADR 30).
    ``tag`` starts the list's cursors, so a cursor of another list is refused.
    """

    tag: str
    key: str = ""
    descending: bool = False


#: Open dossiers (the queues): by deadline, suspended ones (no deadline) last.
QUEUE_ORDER = ListOrder(tag="", key="deadline")
#: Closed dossiers: most recently closed first.
CLOSED_ORDER = ListOrder(tag="c", key="closed_at", descending=True)
#: All dossiers: newest first.
ALL_ORDER = ListOrder(tag="n", descending=True)
#: What changed since a moment: oldest change first, so a copy can resume where it was.
CHANGED_ORDER = ListOrder(tag="w", key="changed_at")


#: A row of a list: a model instance, or a ``.values()`` dict with ``id`` and the key
#: (the API's list builds its rows from plain values, ADR 32).
ListRow = TypeVar("ListRow", Dossier, dict[str, Any])


def _field(row: Dossier | dict[str, Any], name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _cursor_encode(order: ListOrder, row: Dossier | dict[str, Any]) -> str:
    pk = _field(row, "id")
    if not order.key:
        return f"{order.tag}{pk}"
    value = _field(row, order.key)
    return f"{order.tag}{value.isoformat() if value is not None else '-'}.{pk}"


def _cursor_decode(order: ListOrder, cursor: str) -> tuple[object | None, int]:
    """(key value or None for the part without one, last id) from a cursor."""
    try:
        if order.tag and not cursor.startswith(order.tag):
            raise ValueError(cursor)
        body = cursor[len(order.tag) :]
        if not order.key:
            return None, int(body)
        value_text, id_text = body.rsplit(".", 1)
        last_id = int(id_text)
        if value_text == "-":
            return None, last_id
        if order.key == "deadline":
            return dt.date.fromisoformat(value_text), last_id
        moment = dt.datetime.fromisoformat(value_text)
        if moment.tzinfo is None:
            raise ValueError(cursor)
        return moment, last_id
    except ValueError:
        raise UserError("Deze pagina bestaat niet (meer). Begin opnieuw bovenaan.") from None


def keyset_page(
    qs: QuerySet[Dossier, ListRow], *, order: ListOrder, cursor: str | None, page_size: int
) -> tuple[list[ListRow], str | None]:
    """One page of ``qs`` in ``order``, after ``cursor``; and the cursor of the next page.

    Two index-friendly range scans instead of one ``NULLS LAST`` sort: first the dossiers
    with a value of the key, in (key, id) order, then - once those run out - those without
    one in id order. Both read an index on (filter key, key, id) from the cursor on, so a
    page deep in a list costs what the first does, and the order is the same on SQLite
    (which sorts NULLs first) and PostgreSQL.
    """
    rows = _keyset_rows(qs, order=order, cursor=cursor, limit=page_size + 1)
    next_cursor = _cursor_encode(order, rows[page_size - 1]) if len(rows) > page_size else None
    return rows[:page_size], next_cursor


def keyset_page_merged(
    parts: list[QuerySet[Dossier, ListRow]],
    *,
    order: ListOrder,
    cursor: str | None,
    page_size: int,
) -> tuple[list[ListRow], str | None]:
    """:func:`keyset_page` over the union of ``parts``, each read in its own index order.

    For a filter that names several index keys at once (a status code is one status per
    dossier type): the database cannot read several ranges of an index as one ordered
    range, so each part gives its next rows from the same cursor and they are merged here.
    """
    if len(parts) == 1:
        return keyset_page(parts[0], order=order, cursor=cursor, page_size=page_size)
    found: dict[int, ListRow] = {}
    for part in parts:
        for row in _keyset_rows(part, order=order, cursor=cursor, limit=page_size + 1):
            found[_field(row, "id")] = row
    rows = sorted(found.values(), key=lambda row: _sort_key(order, row))
    next_cursor = _cursor_encode(order, rows[page_size - 1]) if len(rows) > page_size else None
    return rows[:page_size], next_cursor


def _sort_key(order: ListOrder, row: Dossier | dict[str, Any]) -> tuple[object, ...]:
    """The list's order as a Python sort key: values first (NULLS LAST), then by id."""
    sign = -1 if order.descending else 1
    value = _field(row, order.key) if order.key else None
    pk = _field(row, "id")
    if value is None:
        return (1, 0.0, sign * pk)
    if isinstance(value, dt.datetime):
        number = value.timestamp()
    elif isinstance(value, dt.date):
        number = float(value.toordinal())
    else:
        number = 0.0
    return (0, sign * number, sign * pk)


def _after_row(key: str, value: object, last_id: int, descending: bool) -> RawSQL:
    """``(key, id) >= (value, last_id + 1)`` (``<= (value, last_id - 1)`` backwards): a
    row-value comparison, which PostgreSQL reads as one range of the (…, key, id) index
    starting at the cursor - also inside a long run of equal keys (every dossier has the
    same ``changed_at`` after the upgrade that added it), where ``key >= v AND NOT (key = v
    AND id <= last)`` would read and skip every row of the run before the cursor.

    Written with ``>=`` rather than ``> (value, last_id)``, which selects the same rows
    (ids are integers): PostgreSQL estimates a row comparison by its first column and
    operator alone. With ``>`` it counted the rows with a key *after* ``value``; inside the
    run of a million dossiers with the same ``changed_at`` that was none, so it joined the
    whole run by hash and sorted it: 1.7 s for one page of ``changed_since`` at 1M. With
    ``>=`` it counts the run, and reads the index in order up to the page's LIMIT."""
    table = Dossier._meta.db_table
    field = Dossier._meta.get_field(key)
    assert isinstance(field, Field)
    column = field.column
    if isinstance(value, dt.datetime):
        param = connection.ops.adapt_datetimefield_value(value)
    elif isinstance(value, dt.date):
        param = connection.ops.adapt_datefield_value(value)
    else:
        raise TypeError(f"no keyset comparison for {value!r}")
    sign, next_id = ("<=", last_id - 1) if descending else (">=", last_id + 1)
    sql = f'("{table}"."{column}", "{table}"."id") {sign} (%s, %s)'
    return RawSQL(sql, (param, next_id), output_field=BooleanField())  # noqa: S611 - names from _meta


def _keyset_rows(
    qs: QuerySet[Dossier, ListRow], *, order: ListOrder, cursor: str | None, limit: int
) -> list[ListRow]:
    """Up to ``limit`` rows of ``qs`` in ``order`` after ``cursor`` (see keyset_page)."""
    page_size = limit - 1
    ids = "-id" if order.descending else "id"
    id_past = "id__lt" if order.descending else "id__gt"
    value, last_id = _cursor_decode(order, cursor) if cursor else (None, 0)
    if not order.key:
        page_qs = qs.filter(**{id_past: last_id}) if cursor else qs
        rows = list(page_qs.order_by(ids)[: page_size + 1])
    else:
        key = order.key
        in_null_part = cursor is not None and value is None
        rows = []
        if not in_null_part:
            valued = qs.filter(**{f"{key}__isnull": False})
            by_key = f"-{key}" if order.descending else key
            if cursor and connection.vendor != "postgresql":
                # SQLite reads a row-value comparison as a range on the key alone, so it
                # would skip a long run of equal keys row by row: first the rest of that
                # run (key = v, id past the cursor), then the keys past v - two ranges.
                rows = list(valued.filter(**{key: value, id_past: last_id}).order_by(ids)[:limit])
                if len(rows) < limit:
                    past = f"{key}__lt" if order.descending else f"{key}__gt"
                    later = valued.filter(**{past: value}).order_by(by_key, ids)
                    rows += list(later[: limit - len(rows)])
            else:
                if cursor:
                    valued = valued.filter(_after_row(key, value, last_id, order.descending))
                rows = list(valued.order_by(by_key, ids)[:limit])
        if len(rows) <= page_size:
            unvalued = qs.filter(**{f"{key}__isnull": True})
            if in_null_part:
                unvalued = unvalued.filter(**{id_past: last_id})
            rows += list(unvalued.order_by(ids)[: page_size + 1 - len(rows)])
    return rows


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
    id), so page 2,000 costs what page 1 costs (see :func:`keyset_page`). The rows are
    plain values (:class:`QueueRow`).
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
    counts = _queue_counts(
        base, aggregates, user=user, team_id=team_id, assignee_id=assignee_id,
        today=today, filters=filters,
    )  # fmt: skip
    rows_qs = base
    if filters.phase:
        rows_qs = rows_qs.filter(phase=filters.phase)
    values, next_cursor = keyset_page(
        rows_qs.values(*QUEUE_ROW_VALUES), order=QUEUE_ORDER, cursor=cursor, page_size=page_size
    )
    return QueuePage(rows=queue_rows(values), next_cursor=next_cursor, counts=counts)


#: How long counts under one stamp are kept at most (they are dropped sooner when the
#: stamp changes; this only bounds what an idle queue keeps in memory).
COUNTS_SECONDS = 3600


def _queue_counts(
    base: QuerySet[Dossier],
    aggregates: dict[str, Count],
    *,
    user: User,
    team_id: int | None,
    assignee_id: int | None,
    today: dt.date,
    filters: QueueFilters,
) -> dict[str, int]:
    """A queue's counts, kept per stamp of its team or assignee (ADR 33).

    Only where the list is the same for whoever may see it - a member's own team, one's
    own work - so what one colleague counted is what another would; any other list is
    counted live.
    """
    keys = []
    if team_id is not None:
        keys.append(stamps.team_key(team_id))
    if assignee_id is not None:
        keys.append(stamps.assignee_key(assignee_id))
    if not keys or _visible_within(user, team_id=team_id, assignee_id=assignee_id):
        return base.order_by().aggregate(**aggregates)
    current = stamps.stamps_for(keys)
    said = f"{keys}{current}{today.isoformat()}{filters!r}".encode()
    cache_key = "queue-counts:" + hashlib.blake2b(said, digest_size=20).hexdigest()
    counts: dict[str, int] | None = cache.get(cache_key)
    if counts is None:
        counts = base.order_by().aggregate(**aggregates)
        cache.set(cache_key, counts, COUNTS_SECONDS)
    return counts


@dataclass(frozen=True)
class DeadlineMark:
    """How a dossier stands against its deadline, for display (never by colour alone)."""

    state: str  # on_track | at_risk | overdue | suspended | closed | none
    label: str
    days_left: int | None


def deadline_mark(
    dossier: Dossier | QueueRow, *, today: dt.date, calendar: TownCalendar
) -> DeadlineMark:
    if not dossier.is_open:
        return DeadlineMark("closed", "afgesloten", None)
    if dossier.deadline is None:
        if dossier.suspended_since:
            return DeadlineMark("suspended", "termijn opgeschort", None)
        return DeadlineMark("none", "geen termijn", None)
    unit = dossier.day_unit
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
    """The user's unread notices (the menu's badge), counted once per request and kept on
    the user object, as the user's teams are (``permissions.user_teams``): opening a
    dossier asks first, to skip marking notices read when there are none."""
    count: int | None = getattr(user, "_midoffice_unread", None)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        user._midoffice_unread = count  # type: ignore[attr-defined]  # per-request cache
    return count


def notification_unread_forget(*, user: User) -> None:
    """Count the user's unread notices again on the next ask (after marking some read)."""
    # ``request.user`` is a lazy proxy: ``delattr`` reaches the user, ``__dict__`` would not.
    with contextlib.suppress(AttributeError):
        delattr(user, "_midoffice_unread")


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
