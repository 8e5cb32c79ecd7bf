"""A small town with known outcomes for the dashboard tests, and an independent count.

``build_town`` plays four weeks of March 2026 through the real services with the clock
set to each moment (dossiers in by every channel, closed on time and late, one reopened,
one through triage, one corrected, letters sent, appointments), refreshing the analytics
tables incrementally along the way when asked. ``direct_counts`` counts the same figures
straight from the dossier, event, letter and appointment tables with its own code, never
through the analytics tables, so the dashboards can be compared with it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission

from midoffice.accounts.models import Role, Team, User
from midoffice.analytics.aggregates import analytics_refresh
from midoffice.analytics.dashboard import Dashboard, Table
from midoffice.appointments.models import Appointment
from midoffice.catalog.models import DayUnit, DossierType
from midoffice.core import clock
from midoffice.correspondence.models import Letter, LetterState
from midoffice.dossiers import services
from midoffice.dossiers.deadlines import working_days_between
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, Event, EventKind
from midoffice.dossiers.selectors import town_calendar
from midoffice.routing.services import dossier_route_from_triage
from tests.appointments.factories import make_location, make_service
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, triage_type

BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = dt.date(2026, 3, 27)  # a Friday
START, END = dt.date(2026, 3, 2), TODAY


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS)


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


@dataclass
class Town:
    team_a: Team
    team_b: Team
    verbouwen: DossierType
    inlichtingen: DossierType
    attest: DossierType
    sociaal: DossierType
    lead_a: User
    lead_b: User
    handler_a: User
    handler_b: User
    front: User
    manager: User
    admin: User
    dossiers: dict[str, Dossier] = field(default_factory=dict)


def grant_view_all(user: User) -> None:
    group, _ = Group.objects.get_or_create(name="Management")
    group.permissions.add(
        Permission.objects.get(codename="view_all_teams", content_type__app_label="analytics")
    )
    user.groups.add(group)


def build_town(*, refresh_each_day: bool = False) -> Town:
    """The town of March 2026 (see the module docstring); the clock ends on TODAY."""
    team_a = TeamFactory(code="omgeving", name="Omgeving")
    team_b = TeamFactory(code="burgerzaken", name="Burgerzaken")
    onthaal = TeamFactory(code="onthaal", name="Onthaal")
    triage = triage_type(team=onthaal)
    town = Town(
        team_a=team_a,
        team_b=team_b,
        verbouwen=DossierTypeFactory(
            team=team_a, code="verbouwen", name="Verbouwen", processing_days=10
        ),
        inlichtingen=DossierTypeFactory(
            team=team_a,
            code="inlichtingen",
            name="Inlichtingen",
            processing_days=5,
            day_unit=DayUnit.CALENDAR,
        ),
        attest=DossierTypeFactory(team=team_b, code="attest", name="Attest", processing_days=5),
        sociaal=DossierTypeFactory(
            team=team_b, code="sociaal", name="Sociaal", processing_days=10, confidential=True
        ),
        lead_a=UserFactory(username="lead_a", role=Role.TEAM_LEAD, teams=[team_a]),
        lead_b=UserFactory(username="lead_b", role=Role.TEAM_LEAD, teams=[team_b]),
        handler_a=UserFactory(username="handler_a", teams=[team_a]),
        handler_b=UserFactory(username="handler_b", teams=[team_b]),
        front=UserFactory(username="front", role=Role.FRONT_DESK, teams=[onthaal]),
        manager=UserFactory(username="manager", role=Role.TEAM_LEAD),
        admin=UserFactory(username="admin", admin=True),
    )
    grant_view_all(town.manager)
    t = town
    steps: list[tuple[dt.datetime, Callable[[], Any]]] = []

    def open_(key: str, dossier_type: DossierType, channel: str, day: dt.date) -> None:
        def run() -> None:
            t.dossiers[key] = services.dossier_open(
                actor=None,
                dossier_type=dossier_type,
                subject=f"Dossier {key}",
                channel=channel,
                received_at=clock.now(),
            )

        steps.append((at(day), run))

    def status(key: str, day: dt.date, code: str, hour: int = 15) -> None:
        def run() -> None:
            t.dossiers[key] = services.dossier_change_status(
                actor=None,
                dossier=t.dossiers[key],
                status_code=code,
                result_code="beantwoord" if code == "afgesloten" else None,
            )

        steps.append((at(day, hour), run))

    def assign(key: str, day: dt.date, user: User) -> None:
        def run() -> None:
            t.dossiers[key] = services.dossier_assign(
                actor=None, dossier=t.dossiers[key], assignee=user
            )

        steps.append((at(day, 11), run))

    def letter(key: str, day: dt.date, channel: str, sent: bool = True) -> None:
        def run() -> None:
            dossier = t.dossiers[key]
            Letter.objects.create(
                dossier=dossier,
                subject=f"Antwoord op {key}",
                body="…",
                state=LetterState.SENT if sent else LetterState.DRAFT,
                channel=channel,
                sent_at=clock.now() if sent else None,
            )
            if sent:
                event_record(dossier=dossier, kind=EventKind.MESSAGE_SENT, actor=None)

        steps.append((at(day, 14), run))

    open_("D7", t.verbouwen, "email", d(2, 20))
    status("D7", d(3, 3), "afgesloten")
    letter("D7", d(2, 27), "email")
    open_("D1", t.verbouwen, "email", d(3, 2))
    assign("D1", d(3, 2), t.handler_a)
    status("D1", d(3, 5), "afgesloten")
    letter("D1", d(3, 5), "email")
    open_("D2", t.verbouwen, "portal", d(3, 2))
    status("D2", d(3, 20), "afgesloten")
    letter("D2", d(3, 19), "paper")
    open_("D3", t.attest, "phone", d(3, 3))
    assign("D3", d(3, 3), t.handler_b)
    letter("D3", d(3, 4), "email", sent=False)
    open_("D4", triage, "email", d(3, 4))
    steps.append(
        (
            at(d(3, 5), 9),
            lambda: t.dossiers.__setitem__(
                "D4",
                dossier_route_from_triage(
                    actor=t.front, dossier=t.dossiers["D4"], dossier_type=t.inlichtingen
                ),
            ),
        )
    )
    status("D4", d(3, 6), "afgesloten")
    open_("D5", t.attest, "counter", d(3, 9))
    steps.append(
        (
            at(d(3, 10), 9),
            lambda: t.dossiers.__setitem__(
                "D5",
                services.dossier_reroute(
                    actor=t.handler_b, dossier=t.dossiers["D5"], dossier_type=t.verbouwen
                ),
            ),
        )
    )
    open_("D6", t.attest, "appointment", d(3, 10))
    status("D6", d(3, 12), "afgesloten")
    letter("D6", d(3, 12), "ebox")
    open_("D8", t.inlichtingen, "email", d(3, 11))
    status("D8", d(3, 12), "afgesloten")
    steps.append(
        (
            at(d(3, 13), 9),
            lambda: t.dossiers.__setitem__(
                "D8",
                services.dossier_reopen(
                    actor=None, dossier=t.dossiers["D8"], reason="Nieuwe vraag"
                ),
            ),
        )
    )
    open_("D11", t.sociaal, "portal", d(3, 16))
    status("D11", d(3, 18), "afgesloten")
    open_("D9", t.verbouwen, "letter", d(3, 23))
    assign("D9", d(3, 23), t.handler_a)
    open_("D10", t.attest, "email", d(3, 24))
    steps.sort(key=lambda s: s[0])
    last_day: dt.date | None = None
    for moment, run in steps:
        day = moment.date()
        if refresh_each_day and last_day is not None and day != last_day:
            with clock.frozen_at(at(last_day, 20)):
                analytics_refresh()
        with clock.frozen_at(moment):
            run()
        last_day = day
    service = make_service(
        t.team_b, code="loket", name="Loketafspraak", modes=("physical", "digital")
    )
    location = make_location()
    for start, mode, status_, dossier in (
        (at(d(3, 10), 9), "physical", "arrived", t.dossiers["D6"]),
        (at(d(3, 17), 14), "digital", "cancelled", None),
        (at(d(4, 2), 10), "physical", "booked", None),
    ):
        Appointment.objects.create(
            service=service,
            dossier=dossier,
            mode=mode,
            start=start,
            end=start + dt.timedelta(minutes=30),
            busy_until=start + dt.timedelta(minutes=30),
            staff=t.handler_b,
            location=location if mode == "physical" else None,
            status=status_,
        )
    return town


# --- The independent count ----------------------------------------------------------------


def _local_day(value: dt.datetime) -> dt.date:
    return value.astimezone(BRUSSELS).date()


@dataclass(frozen=True)
class Direct:
    """One dossier as the test counts it, from the dossier and event tables."""

    pk: int
    team_id: int
    type_id: int
    channel: str
    received: dt.date
    closed: dt.date | None
    on_time: bool | None
    days: int | None
    triaged: bool
    routed: bool
    corrected: bool
    is_open: bool
    deadline: dt.date | None
    warn_on: dt.date | None
    assignee_id: int | None


def direct_dossiers() -> list[Direct]:
    calendar = town_calendar()
    out = []
    for dossier in Dossier.objects.all():
        events = list(Event.objects.filter(dossier=dossier))
        opened = next(e for e in events if e.kind == EventKind.OPENED)
        reroutes = [
            e
            for e in events
            if e.kind == EventKind.STATUS_CHANGED and e.data.get("rerouted") and e.actor_id
        ]
        received = _local_day(dossier.received_at)
        closed = (
            _local_day(dossier.closed_at)
            if not dossier.is_open and dossier.closed_at is not None
            else None
        )
        out.append(
            Direct(
                pk=dossier.pk,
                team_id=dossier.team_id,
                type_id=dossier.dossier_type_id,
                channel=dossier.channel,
                received=received,
                closed=closed,
                on_time=(closed <= dossier.deadline)
                if closed is not None and dossier.deadline is not None
                else None,
                days=working_days_between(received, closed, calendar) if closed else None,
                triaged=opened.data.get("type") == "triage",
                routed=any(e.data.get("from_type") == "triage" for e in reroutes),
                corrected=any(e.data.get("from_type") != "triage" for e in reroutes),
                is_open=dossier.is_open,
                deadline=dossier.deadline,
                warn_on=dossier.warn_on,
                assignee_id=dossier.assignee_id,
            )
        )
    return out


def direct_letters() -> list[tuple[dt.date, str, int, int]]:
    """(day sent, channel, team id, type id) of every letter that left."""
    return [
        (
            _local_day(letter.sent_at),
            letter.channel,
            letter.dossier.team_id,
            letter.dossier.dossier_type_id,
        )
        for letter in Letter.objects.select_related("dossier").filter(sent_at__isnull=False)
    ]


def nearest_rank(values: list[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-round(share * len(ordered) * 1000) // 1000)
    return ordered[max(rank, 1) - 1]


# --- Reading the dashboard -----------------------------------------------------------------


def cell(board: Dashboard, key: str, row: str, column: str) -> Any:
    """The value of a dashboard cell by table key, row header and column header."""
    table = board.table(key)
    assert table is not None, key
    return table_cell(table, row, column).value


def table_cell(table: Table, row: str, column: str) -> Any:
    index = table.headers.index(column)
    for cells in table.rows:
        if cells[0].text == row:
            return cells[index]
    raise AssertionError(f"no row {row!r} in {table.key}: {[r[0].text for r in table.rows]}")


def week_counts(rows: list[Direct], what: Callable[[Direct], dt.date | None]) -> Counter[dt.date]:
    """How many per Monday of the week of ``what`` (inside the period)."""
    out: Counter[dt.date] = Counter()
    for r in rows:
        day = what(r)
        if day is not None and START <= day <= END:
            out[day - dt.timedelta(days=day.weekday())] += 1
    return out


def by_key(rows: list[Direct], key: Callable[[Direct], Any]) -> dict[Any, list[Direct]]:
    out: dict[Any, list[Direct]] = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out
