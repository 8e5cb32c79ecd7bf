"""The dashboards' figures equal a direct count on the same data.

The town of ``dashboard_support`` has known outcomes: the first test checks them by
hand; the second compares every cell of every table with an independent count straight
from the dossier, event, letter and appointment tables (for all teams, one team and one
dossier type); the others prove the refresh: incremental equals a full rebuild, a
destroyed dossier keeps its fact, a changed calendar recomputes processing times.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from midoffice.analytics.aggregates import analytics_refresh
from midoffice.analytics.dashboard import Dashboard, dashboard_build
from midoffice.analytics.models import (
    ClosureDay,
    DossierFact,
    IntakeDay,
    LetterDay,
    LetterFact,
    ProcessingDay,
    RefreshState,
    WorkloadSnapshot,
)
from midoffice.analytics.periods import Period
from midoffice.analytics.selectors import Filters, dossier_counts, percentile
from midoffice.appointments.models import Appointment, AppointmentStatus, Mode
from midoffice.catalog.models import ClosingDay
from midoffice.core import clock
from midoffice.core.memo import memo_clear_all
from midoffice.correspondence.models import Letter
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier
from tests.analytics.dashboard_support import (
    END,
    START,
    TODAY,
    Direct,
    Town,
    at,
    build_town,
    cell,
    d,
    direct_dossiers,
    direct_letters,
    nearest_rank,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def town() -> Town:
    with clock.frozen_at(at(TODAY, 18)):
        built = build_town(refresh_each_day=True)
        analytics_refresh()
    return built


def board(
    *, team: int | None = None, dossier_type: int | None = None, start=START, end=END
) -> Dashboard:
    filters = Filters(
        Period(start, end),
        None if team is None else frozenset({team}),
        dossier_type,
    )
    with clock.frozen_at(at(TODAY, 18)):
        return dashboard_build(filters=filters, chosen_team=team)


def test_the_known_outcomes(town):
    b = board()
    tiles = {t.label: t.cell.value for t in b.tiles}
    assert tiles["Ontvangen"] == 10  # D7 came before the period
    assert tiles["Afgesloten"] == 6  # D8 was reopened: not closed
    assert tiles["Open"] == 5
    assert tiles["Over tijd"] == 3  # D3, D5, D8
    assert tiles["Binnen de termijn"] == pytest.approx(100 * 5 / 6, abs=0.05)
    wk10, wk11, wk12 = (
        "week 10 (02-03 – 08-03-2026)",
        "week 11 (09-03 – 15-03-2026)",
        "week 12 (16-03 – 22-03-2026)",
    )
    assert cell(b, "instroom-per-kanaal", wk10, "E-mail") == 2  # D1, D4
    assert cell(b, "instroom-per-kanaal", wk10, "Portaal") == 1
    assert cell(b, "instroom-per-kanaal", wk11, "Afspraak") == 1
    assert cell(b, "instroom-per-kanaal", "week 13 (23-03 – 27-03-2026)", "Brief") == 1
    assert cell(b, "triage-en-routering", wk10, "Via triage") == 1
    assert cell(b, "triage-en-routering", wk10, "Vanuit triage doorgestuurd") == 1
    assert cell(b, "triage-en-routering", wk11, "Gecorrigeerd") == 1
    assert cell(b, "termijn-per-team", "Omgeving", "Afgesloten") == 4  # D1, D2, D4, D7
    assert cell(b, "termijn-per-team", "Omgeving", "Na de termijn") == 1  # D2
    assert cell(b, "termijn-per-team", "Burgerzaken", "Binnen de termijn") == 2  # D6, D11
    # Omgeving: 3, 14, 2 and 7 working days; Burgerzaken: 2 and 2.
    assert cell(b, "doorlooptijd-per-team", "Omgeving", "Mediaan (werkdagen)") == 3
    assert cell(b, "doorlooptijd-per-team", "Omgeving", "90e percentiel (werkdagen)") == 14
    assert cell(b, "doorlooptijd-per-team", "Burgerzaken", "Mediaan (werkdagen)") == 2
    assert cell(b, "brieven-per-kanaal", wk10, "E-mail") == 1
    assert cell(b, "brieven-per-kanaal", wk11, "eBox") == 1
    assert cell(b, "brieven-per-kanaal", wk12, "Post (bpost)") == 1
    assert cell(b, "afspraken-per-week", wk11, "Aangemeld") == 1
    assert cell(b, "afspraken-per-week", wk12, "Via video") == 1
    assert cell(b, "open-verloop", "week 13 (23-03 – 27-03-2026)", "Totaal") == 5
    assert cell(b, "werklast-per-team", "Omgeving", "Niet toegewezen") == 2  # D5, D8


def _weeks(period: Period) -> dict[str, tuple[dt.date, dt.date]]:
    return {w.label: (w.start, w.end) for w in period.weeks()}


def _check_against_direct(
    b: Dashboard,
    town: Town,
    rows: list[Direct],
    period: Period,
    *,
    team: int | None = None,
    dossier_type: int | None = None,
) -> int:
    """Compare every cell with the direct count; returns how many cells were compared."""
    compared = 0

    def same(key: str, row: str, column: str, expected: object) -> None:
        nonlocal compared
        assert cell(b, key, row, column) == expected, (key, row, column)
        compared += 1

    teams = {town.team_a.pk: "Omgeving", town.team_b.pk: "Burgerzaken"}
    channel_names = {
        "email": "E-mail",
        "portal": "Portaal",
        "phone": "Telefoon",
        "counter": "Loket",
        "appointment": "Afspraak",
        "letter": "Brief",
    }
    for label, (start, end) in _weeks(period).items():
        received = [r for r in rows if start <= r.received <= end]
        for channel, name in channel_names.items():
            table = b.table("instroom-per-kanaal")
            if name in table.headers:
                same(
                    "instroom-per-kanaal", label, name, sum(r.channel == channel for r in received)
                )
        same("instroom-per-kanaal", label, "Totaal", len(received))
        same("triage-en-routering", label, "Ontvangen", len(received))
        same("triage-en-routering", label, "Via triage", sum(r.triaged for r in received))
        same(
            "triage-en-routering",
            label,
            "Vanuit triage doorgestuurd",
            sum(r.routed for r in received),
        )
        same("triage-en-routering", label, "Gecorrigeerd", sum(r.corrected for r in received))
        open_end = [r for r in rows if r.received <= end and (r.closed is None or r.closed > end)]
        same("open-verloop", label, "Totaal", len(open_end))
        for team_id, name in teams.items():
            if name in b.table("open-verloop").headers:
                same("open-verloop", label, name, sum(r.team_id == team_id for r in open_end))
        letters = Counter(
            channel
            for day, channel, team_id, type_id in direct_letters()
            if start <= day <= end and team in (None, team_id) and dossier_type in (None, type_id)
        )
        for channel, name in (("email", "E-mail"), ("ebox", "eBox"), ("paper", "Post (bpost)")):
            same("brieven-per-kanaal", label, name, letters[channel])
    closed = [r for r in rows if r.closed is not None and period.start <= r.closed <= period.end]
    for team_id, name in teams.items():
        mine = [r for r in closed if r.team_id == team_id]
        if not mine:
            continue
        same("termijn-per-team", name, "Afgesloten", len(mine))
        same("termijn-per-team", name, "Binnen de termijn", sum(r.on_time is True for r in mine))
        same("termijn-per-team", name, "Na de termijn", sum(r.on_time is False for r in mine))
        same("termijn-per-team", name, "Zonder termijn", sum(r.on_time is None for r in mine))
        days = [r.days for r in mine if r.days is not None]
        same("doorlooptijd-per-team", name, "Afgesloten", len(days))
        same("doorlooptijd-per-team", name, "Mediaan (werkdagen)", nearest_rank(days, 0.5))
        same("doorlooptijd-per-team", name, "90e percentiel (werkdagen)", nearest_rank(days, 0.9))
    month = b.table("termijn-per-maand").rows[0][0].text
    same("termijn-per-maand", month, "Afgesloten", len(closed))
    same("termijn-per-maand", month, "Na de termijn", sum(r.on_time is False for r in closed))
    open_now = [r for r in rows if r.is_open]
    for team_id, name in teams.items():
        mine = [r for r in open_now if r.team_id == team_id]
        if not any(row[0].text == name for row in b.table("werklast-per-team").rows):
            continue
        same("werklast-per-team", name, "Open", len(mine))
        same(
            "werklast-per-team",
            name,
            "Over tijd",
            sum(r.deadline is not None and r.deadline < TODAY for r in mine),
        )
        same(
            "werklast-per-team",
            name,
            "In gevaar",
            sum(
                r.warn_on is not None
                and r.warn_on <= TODAY
                and r.deadline is not None
                and r.deadline >= TODAY
                for r in mine
            ),
        )
        same("werklast-per-team", name, "Niet toegewezen", sum(r.assignee_id is None for r in mine))
    return compared


@pytest.mark.parametrize("narrow", ["all", "team", "type"])
def test_every_figure_equals_a_direct_count(town, narrow):
    rows = direct_dossiers()
    team = dossier_type = None
    if narrow == "team":
        team = town.team_b.pk
        rows = [r for r in rows if r.team_id == team]
    elif narrow == "type":
        dossier_type = town.verbouwen.pk
        rows = [r for r in rows if r.type_id == dossier_type]
    b = board(team=team, dossier_type=dossier_type)
    compared = _check_against_direct(
        b, town, rows, Period(START, END), team=team, dossier_type=dossier_type
    )
    assert compared > 40
    # Appointments, read live, per status and per mode.
    appointments = Appointment.objects.all()
    if team is not None:
        appointments = appointments.filter(service__team_id=team)
    if dossier_type is not None:
        appointments = appointments.filter(dossier__dossier_type_id=dossier_type)
    for label, (start, end) in _weeks(Period(START, END)).items():
        inside = [a for a in appointments if start <= clock.localdate(a.start) <= end]
        for status in AppointmentStatus:
            assert cell(b, "afspraken-per-week", label, status.label) == sum(
                a.status == status for a in inside
            )
        for mode, name in ((Mode.PHYSICAL, "Op het gemeentehuis"), (Mode.DIGITAL, "Via video")):
            assert cell(b, "afspraken-per-week", label, name) == sum(a.mode == mode for a in inside)


def test_a_period_of_partial_weeks_counts_only_its_days(town):
    period = Period(d(3, 4), d(3, 11))
    b = board(start=period.start, end=period.end)
    rows = direct_dossiers()
    assert [r[0].text for r in b.table("instroom-per-kanaal").rows] == [
        "week 10 (04-03 – 08-03-2026)",
        "week 11 (09-03 – 11-03-2026)",
    ]
    _check_against_direct(b, town, rows, period)


def _tables() -> dict[str, list[tuple[object, ...]]]:
    def rows(model, *fields):
        return sorted(model.objects.values_list(*fields), key=repr)

    return {
        "dossier facts": rows(DossierFact, "dossier_id", "team_id", "dossier_type_id", "channel",
                              "received_on", "closed_on", "deadline", "on_time", "processing_days",
                              "triaged", "routed_from_triage", "corrected"),
        "letter facts": rows(LetterFact, "letter_id", "dossier_id", "team_id", "dossier_type_id",
                             "channel", "sent_on"),
        "intake": rows(IntakeDay, "day", "team_id", "dossier_type_id", "channel", "received",
                       "triaged", "routed_from_triage", "corrected"),
        "closure": rows(ClosureDay, "day", "team_id", "dossier_type_id", "closed", "on_time", "late"),
        "processing": rows(ProcessingDay, "day", "team_id", "dossier_type_id", "working_days", "closed"),
        "letters": rows(LetterDay, "day", "team_id", "dossier_type_id", "channel", "sent"),
    }  # fmt: skip


def test_incremental_refresh_equals_a_full_rebuild(town):
    # build_town refreshed at the end of every day, then once more at the end.
    incremental = _tables()
    assert incremental["dossier facts"]
    assert incremental["closure"]
    assert incremental["letters"]
    with clock.frozen_at(at(TODAY, 19)):
        analytics_refresh()  # looks again at the previous run's events: changes nothing
        assert _tables() == incremental
        assert analytics_refresh().dossiers == 0  # nothing new since two runs
        result = analytics_refresh(full=True)
    assert result.full
    assert _tables() == incremental


def test_an_incremental_run_recomputes_only_what_events_touched(town):
    with clock.frozen_at(at(TODAY, 19)):
        analytics_refresh()
        analytics_refresh()  # from here on, only new events count
        dossier_services.dossier_change_status(
            actor=None,
            dossier=town.dossiers["D10"],
            status_code="afgesloten",
            result_code="beantwoord",
        )
        result = analytics_refresh()
    assert not result.full
    assert result.dossiers == 1
    with clock.frozen_at(at(TODAY, 19)):
        counts = dossier_counts(Period(START, END))
    assert counts["closed"] == 7
    assert counts["open_at_end"] == 4


def test_a_destroyed_dossier_keeps_its_anonymous_fact(town):
    before = dossier_counts(Period(START, END))
    d2 = town.dossiers["D2"]
    Letter.objects.filter(dossier=d2).delete()
    Dossier.objects.filter(pk=d2.pk).delete()  # what the archive's destruction does to the rows
    with clock.frozen_at(at(TODAY, 19)):
        analytics_refresh()
        assert DossierFact.objects.filter(dossier_id=d2.pk).exists()
        analytics_refresh(full=True)
        assert DossierFact.objects.filter(dossier_id=d2.pk).exists()
        after = dossier_counts(Period(START, END))
    assert after["closed_late"] == before["closed_late"] == 1
    assert after["received"] == before["received"]


def test_a_new_closing_day_recomputes_the_processing_times(town):
    assert DossierFact.objects.get(dossier_id=town.dossiers["D1"].pk).processing_days == 3
    ClosingDay.objects.create(date=d(3, 4), reason="Brugdag")
    memo_clear_all()
    with clock.frozen_at(at(TODAY, 19)):
        result = analytics_refresh()
    assert result.full
    assert result.reason == "kalender gewijzigd"
    assert DossierFact.objects.get(dossier_id=town.dossiers["D1"].pk).processing_days == 2


def test_the_counts_for_the_odata_feed_are_the_dashboards(town):
    for team, dossier_type in ((None, None), (town.team_a.pk, None), (None, town.attest.pk)):
        counts = dossier_counts(Period(START, END), team=team, dossier_type=dossier_type)
        b = board(team=team, dossier_type=dossier_type)
        intake = b.table("instroom-per-kanaal")
        assert counts["received"] == sum(r[-1].value for r in intake.rows)
        closed = b.table("termijn-per-team").rows
        assert counts["closed"] == sum(r[1].value for r in closed)
        assert counts["closed_on_time"] == sum(r[2].value for r in closed)
        assert counts["closed_late"] == sum(r[3].value for r in closed)
        assert counts["open_at_end"] == b.table("open-verloop").rows[-1][-1].value
        letters = b.table("brieven-per-kanaal")
        assert counts["letters_sent"] == sum(r[-1].value for r in letters.rows)
    everything = dossier_counts(Period(START, END))
    assert everything["received_by_channel"] == {
        "appointment": 1, "counter": 1, "email": 4, "letter": 1, "phone": 1, "portal": 2,
    }  # fmt: skip
    assert (everything["triaged"], everything["routed_from_triage"], everything["corrected"]) == (
        1,
        1,
        1,
    )


def test_the_workload_snapshot_is_kept_per_day(town):
    days = sorted(set(WorkloadSnapshot.objects.values_list("day", flat=True)))
    assert days[0] <= d(3, 3)
    assert days[-1] == TODAY
    assert RefreshState.objects.get().refreshed_at is not None


@pytest.mark.parametrize(
    ("histogram", "median", "p90"),
    [({}, None, None), ({5: 1}, 5, 5), ({2: 3, 3: 1, 7: 1, 14: 1}, 2, 14), ({1: 9, 30: 1}, 1, 1)],
)
def test_percentiles_are_nearest_rank(histogram, median, p90):
    assert percentile(histogram, 0.5) == median
    assert percentile(histogram, 0.9) == p90


def test_a_long_period_shows_the_trend_per_month(town):
    b = board(start=d(1, 1) - dt.timedelta(days=365), end=END)
    table = b.table("open-verloop")
    assert table.headers[0] == "Maand"
    assert table.rows[-1][0].text == "maart 2026 (01-03 – 27-03)"
    rows = direct_dossiers()
    for row in table.rows[-2:]:
        span = next(s for s in Period(d(1, 1) - dt.timedelta(days=365), END).months()
                    if s.label == row[0].text)  # fmt: skip
        open_end = [
            r for r in rows if r.received <= span.end and (r.closed is None or r.closed > span.end)
        ]
        assert row[-1].value == len(open_end)
    assert b.table("open-per-medewerker-verloop").headers[-1] == "mrt 26"
