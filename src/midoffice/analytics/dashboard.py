"""The dashboards as tables, charts and links: what the page shows and the exports write.

``dashboard_build`` turns the selectors' figures into :class:`Section` s of
:class:`Table` s. A table is the one source of its figures: the page renders it beside
its chart (drawn from the same rows), the CSV and XLSX exports write it, and each cell
carries the link to the dossiers behind it (the list view of ``views.py``, with the same
filters, so the list and the number cover the same dossiers).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TypeVar
from urllib.parse import quote

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from midoffice.accounts.models import Team, User
from midoffice.analytics import charts, selectors
from midoffice.analytics.periods import Period, Span
from midoffice.analytics.selectors import Filters, Intake, Workload
from midoffice.appointments.models import AppointmentStatus, Mode
from midoffice.catalog.models import DossierType
from midoffice.correspondence.models import DeliveryChannel
from midoffice.dossiers.models import IntakeChannel

# The intake channels always shown (the five), then any other that occurred.
MAIN_CHANNELS = ("email", "portal", "phone", "counter", "appointment")
MODE_LABELS = {"physical": "Op het gemeentehuis", "digital": "Via video", "hybrid": "Hybride"}


def number(n: int | None) -> str:
    """1234 → "1.234" (Dutch thousands separator); None → "–"."""
    if n is None:
        return "–"
    return str(n) if -1000 < n < 1000 else f"{n:,}".replace(",", ".")


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


def percent_text(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}".replace(".", ",") + "\u00a0%"


@dataclass(frozen=True)
class Cell:
    """One figure: its text on the page, its value for the exports, its list's link."""

    text: str
    value: int | float | str | None = None
    link: str = ""
    percent: bool = False

    @property
    def numeric(self) -> bool:
        return self.percent or isinstance(self.value, int | float) or self.text == "–"

    @classmethod
    def count(cls, n: int, link: str = "") -> Cell:
        return cls(number(n), n, link)

    @classmethod
    def share(cls, value: float | None, link: str = "") -> Cell:
        return cls(percent_text(value), value, link if value is not None else "", True)

    @classmethod
    def label(cls, text: str, link: str = "") -> Cell:
        return cls(text, text, link)


@dataclass
class Table:
    key: str  # also the export's file name
    title: str
    caption: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    chart: SafeString | None = None

    @property
    def empty(self) -> bool:
        return not self.rows

    def html(self) -> SafeString:
        """The ``<table>`` with its caption, headers and cells (links where a number has a
        list). Built here rather than in a template loop: a page has thousands of cells,
        and this is twenty times faster than the template language for them."""
        out = [
            '<table class="figures"><caption class="visually-hidden">',
            escape(self.caption),
            "</caption><thead><tr>",
            *(f'<th scope="col">{escape(h)}</th>' for h in self.headers),
            "</tr></thead><tbody>",
        ]
        for row in self.rows:
            out.append("<tr>")
            for i, cell in enumerate(row):
                text = escape(cell.text)
                if cell.link:
                    text = f'<a href="{escape(cell.link)}">{text}</a>'
                if i == 0:
                    out.append(f'<th scope="row">{text}</th>')
                elif cell.numeric:
                    out.append(f'<td class="num">{text}</td>')
                else:
                    out.append(f"<td>{text}</td>")
            out.append("</tr>")
        if not self.rows:
            out.append(
                f'<tr><td colspan="{len(self.headers)}">Geen gegevens voor deze filters.</td></tr>'
            )
        out.append("</tbody></table>")
        return mark_safe("".join(out))  # noqa: S308 - every text above went through escape()


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    tables: list[Table]


@dataclass(frozen=True)
class Tile:
    label: str
    cell: Cell
    hint: str = ""


@dataclass(frozen=True)
class Dashboard:
    tiles: list[Tile]
    sections: list[Section]
    refreshed_at: dt.datetime | None
    snapshot_day: dt.date | None

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables() if t.key == key), None)


@dataclass(frozen=True)
class Links:
    """Builds the URL of the list behind a number, keeping the page's filters."""

    filters: Filters
    chosen_team: int | None
    base: str  # the list's URL (reversed once per page)

    def dossiers(
        self,
        measure: str,
        *,
        span: Span | Period | None = None,
        team: int | None = None,
        **extra: str | int | dt.date,
    ) -> str:
        # Called for every cell: plain string building (every value is a code, a date or
        # a number; ``quote`` keeps it so should that change).
        period = span or self.filters.period
        url = f"{self.base}?m={measure}&van={period.start}&tot={period.end}"
        team_id = team if team is not None else self.chosen_team
        if team_id is not None:
            url += f"&team={team_id}"
        if self.filters.dossier_type_id is not None and "type" not in extra:
            url += f"&type={self.filters.dossier_type_id}"
        for key, value in extra.items():
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            url += f"&{key}={quote(text, safe='')}"
        return url


@dataclass(frozen=True)
class Names:
    teams: dict[int, Team]
    types: dict[int, DossierType]
    users: dict[int, User]

    def team(self, team_id: int) -> str:
        team = self.teams.get(team_id)
        return team.name if team else f"team {team_id}"

    def dossier_type(self, type_id: int) -> str:
        found = self.types.get(type_id)
        return found.name if found else f"type {type_id}"

    def user(self, user_id: int | None) -> str:
        if user_id is None:
            return "Niet toegewezen"
        user = self.users.get(user_id)
        return (user.get_full_name() or user.username) if user else f"medewerker {user_id}"


K = TypeVar("K")
# (week index → the day of its last snapshot, open dossiers per (that day, assignee))
Snapshots = tuple[dict[int, dt.date], dict[tuple[dt.date, int | None], int]]


@dataclass(frozen=True)
class DayData:
    """The day rows from the period's start on, read once per page."""

    intake: selectors.IntakeSince
    closures: list[selectors.Closures]


def _bucket(
    spans: Sequence[Span], values: Iterable[tuple[dt.date, K, int]]
) -> dict[tuple[int, K], int]:
    """Add up (day, key, n) per (span index, key)."""
    index = {}
    for i, span in enumerate(spans):
        day = span.start
        while day <= span.end:
            index[day] = i
            day += dt.timedelta(days=1)
    out: dict[tuple[int, K], int] = defaultdict(int)
    for day, key, n in values:
        if day in index:
            out[(index[day], key)] += n
    return out


# --- Sections ---------------------------------------------------------------------------


def _workload(load: Workload, scope_teams: list[int], names: Names, links: Links) -> Section:
    day = load.day
    per_team: dict[int, list[int]] = {t: [0, 0, 0, 0] for t in scope_teams}
    for row in load.rows:
        sums = per_team.setdefault(row.team_id, [0, 0, 0, 0])
        sums[0] += row.open
        sums[1] += row.overdue
        sums[2] += row.at_risk
        if row.assignee_id is None:
            sums[3] += row.open
    team_table = Table(
        key="werklast-per-team",
        title="Open dossiers per team",
        caption="Open dossiers per team: hoeveel er over tijd en in gevaar zijn en hoeveel "
        "nog niemand heeft.",
        headers=["Team", "Open", "Over tijd", "In gevaar", "Niet toegewezen"],
        note="Elk getal toont de lijst van nu; de wachtrij van het team staat achter zijn naam.",
    )
    totals = [0, 0, 0, 0]
    for team_id in sorted(per_team, key=names.team):
        o, d, r, u = per_team[team_id]
        totals = [totals[0] + o, totals[1] + d, totals[2] + r, totals[3] + u]
        team = names.teams.get(team_id)
        queue = reverse("web:team_queue", args=[team.code]) if team else ""
        team_table.rows.append(
            [
                Cell.label(names.team(team_id), queue),
                Cell.count(o, links.dossiers("open_now", team=team_id)),
                Cell.count(d, links.dossiers("overdue_now", team=team_id)),
                Cell.count(r, links.dossiers("at_risk_now", team=team_id)),
                Cell.count(u, links.dossiers("unassigned_now", team=team_id)),
            ]
        )
    if len(team_table.rows) > 1:
        team_table.rows.append(
            [
                Cell.label("Totaal"),
                Cell.count(totals[0], links.dossiers("open_now")),
                Cell.count(totals[1], links.dossiers("overdue_now")),
                Cell.count(totals[2], links.dossiers("at_risk_now")),
                Cell.count(totals[3], links.dossiers("unassigned_now")),
            ]
        )
    teams_in_chart = [r for r in team_table.rows if r[0].text != "Totaal"]
    team_table.chart = charts.hbar_chart(
        chart_id="chart-werklast",
        title="Open dossiers per team",
        description="Gestapelde liggende staven per team: over tijd, in gevaar en op schema. "
        "De tabel ernaast geeft dezelfde aantallen.",
        categories=[r[0].text for r in teams_in_chart],
        series=[
            charts.Series("Over tijd", [r[2].value for r in teams_in_chart]),  # type: ignore[misc]
            charts.Series("In gevaar", [r[3].value for r in teams_in_chart]),  # type: ignore[misc]
            charts.Series(
                "Op schema",
                [
                    int(r[1].value) - int(r[2].value) - int(r[3].value)  # type: ignore[arg-type]
                    for r in teams_in_chart
                ],
            ),
        ],
        stacked=True,
        unit="dossiers",
    )
    people = Table(
        key="werklast-per-medewerker",
        title="Open dossiers per medewerker",
        caption="Open dossiers per medewerker en team.",
        headers=["Medewerker", "Team", "Open", "Over tijd", "In gevaar"],
    )
    people_rows = sorted(
        (row for row in load.rows if row.assignee_id is not None),
        key=lambda row: (names.user(row.assignee_id), names.team(row.team_id)),
    )
    for person in people_rows:
        who = person.assignee_id or 0
        people.rows.append(
            [
                Cell.label(names.user(person.assignee_id)),
                Cell.label(names.team(person.team_id)),
                Cell.count(
                    person.open, links.dossiers("open_now", team=person.team_id, medewerker=who)
                ),
                Cell.count(
                    person.overdue,
                    links.dossiers("overdue_now", team=person.team_id, medewerker=who),
                ),
                Cell.count(
                    person.at_risk,
                    links.dossiers("at_risk_now", team=person.team_id, medewerker=who),
                ),
            ]
        )
    stand = f"de stand van {day:%d-%m-%Y}" if day else "nog niet berekend"
    return Section(
        key="werklast",
        title="Werklast nu",
        intro=f"Open dossiers bij de laatste verversing ({stand}); over tijd: de uiterste "
        "datum is voorbij; in gevaar: de waarschuwingsdag is bereikt.",
        tables=[team_table, people],
    )


# Up to this many weeks the trend shows weeks; a longer period shows months (52 columns
# per employee are neither readable nor cheap to draw).
TREND_WEEKS = 26


def trend_spans(filters: Filters) -> tuple[list[Span], str]:
    """The trend's steps for this period: its weeks, or its months when it is long."""
    weeks = filters.period.weeks()
    if len(weeks) <= TREND_WEEKS:
        return weeks, "week"
    return filters.period.months(), "maand"


def span_snapshot_days(filters: Filters, spans: list[Span]) -> dict[int, dt.date]:
    """Per span (by index), the last day in it with a workload snapshot."""
    last: dict[int, dt.date] = {}
    i = 0
    for day in selectors.snapshot_days(filters):
        while i < len(spans) and day > spans[i].end:
            i += 1
        if i < len(spans):
            last[i] = day
    return last


def _trend(
    filters: Filters,
    snapshots: Snapshots,
    scope_teams: list[int],
    names: Names,
    links: Links,
) -> Section:
    spans, unit = trend_spans(filters)
    each = "elke week" if unit == "week" else "elke maand"
    open_at = selectors.open_at_day_ends(filters, [s.end for s in spans])
    teams = sorted(scope_teams, key=names.team)
    table = Table(
        key="open-verloop",
        title=f"Open dossiers op het einde van {each}",
        caption=f"Open dossiers per team op de laatste dag van {each} van de periode.",
        headers=[unit.capitalize(), *[names.team(t) for t in teams], "Totaal"],
        note="Open op het einde van de dag: ontvangen en nog niet afgesloten, toegerekend "
        "aan het team dat het dossier nu heeft.",
    )
    totals = []
    for span in spans:
        row = [Cell.label(span.label)]
        total = 0
        for team_id in teams:
            n = open_at.get((span.end, team_id), 0)
            total += n
            row.append(Cell.count(n, links.dossiers("open_at", team=team_id, op=span.end)))
        row.append(Cell.count(total, links.dossiers("open_at", op=span.end)))
        totals.append(total)
        table.rows.append(row)
    table.chart = charts.line_chart(
        chart_id="chart-open-trend",
        title=f"Open dossiers op het einde van {each}",
        description=f"Een lijn met het totaal aan open dossiers per {unit}; de tabel ernaast "
        "geeft de aantallen per team.",
        categories=[s.short for s in spans],
        series=[charts.Series("Open dossiers", totals)],
        unit="dossiers",
    )
    last_in_span, by_day = snapshots
    people_ids = sorted({a for _, a in by_day if a is not None}, key=names.user)
    people = Table(
        key="open-per-medewerker-verloop",
        title=f"Open dossiers per medewerker, per {unit}",
        caption=f"Open dossiers per medewerker bij de laatste verversing van {each}.",
        headers=["Medewerker", *[s.short for s in spans]],
        note="Momentopnames: wie een dossier had, wordt elke dag bewaard zodra de analyse "
        "loopt. Een lijst van toen bestaat niet meer, daarom staan hier geen links; "
        f"'–' betekent: geen momentopname in die {unit}.",
    )
    for person in people_ids:
        row = [Cell.label(names.user(person))]
        for i in range(len(spans)):
            day = last_in_span.get(i)
            row.append(Cell.count(by_day.get((day, person), 0)) if day else Cell("–", None))
        people.rows.append(row)
    return Section(
        key="trend",
        title="Open dossiers door de tijd",
        intro="Hoe de werkvoorraad evolueert, per team en per medewerker.",
        tables=[table, people],
    )


def _per_channel_per_week(
    *,
    key: str,
    title: str,
    caption: str,
    chart_id: str,
    unit: str,
    weeks: Sequence[Span],
    channels: Sequence[str],
    per_week: Mapping[tuple[int, str], int],
    label: Callable[[str], str],
    links: Links,
    kind: str,
) -> Table:
    """A week per row, a channel per column and a total, every number linking to the
    dossiers behind it (``links.dossiers(kind, …)``); beside it the same as stacked bars."""
    table = Table(
        key=key,
        title=title,
        caption=caption,
        headers=["Week", *[label(c) for c in channels], "Totaal"],
    )
    for i, week in enumerate(weeks):
        row = [Cell.label(week.label)]
        for channel in channels:
            n = per_week.get((i, channel), 0)
            row.append(Cell.count(n, links.dossiers(kind, span=week, kanaal=channel)))
        total = sum(per_week.get((i, c), 0) for c in channels)
        row.append(Cell.count(total, links.dossiers(kind, span=week)))
        table.rows.append(row)
    table.chart = charts.bar_chart(
        chart_id=chart_id,
        title=title,
        description="Gestapelde staven per week, één patroon per kanaal; de tabel ernaast "
        "geeft dezelfde aantallen.",
        categories=[w.short for w in weeks],
        series=[
            charts.Series(label(c), [per_week.get((i, c), 0) for i in range(len(weeks))])
            for c in channels
        ],
        stacked=True,
        unit=unit,
    )
    return table


def _intake(
    filters: Filters, intake: dict[tuple[dt.date, str], Intake], links: Links
) -> list[Table]:
    weeks = filters.period.weeks()
    labels = dict(IntakeChannel.choices)
    seen = {channel for _, channel in intake}
    channels = [*MAIN_CHANNELS, *sorted(c for c in seen if c not in MAIN_CHANNELS)]
    per_week = _bucket(weeks, ((d, c, v.received) for (d, c), v in intake.items()))
    table = _per_channel_per_week(
        key="instroom-per-kanaal",
        title="Instroom per kanaal, per week",
        caption="Nieuwe dossiers per week en per kanaal waarlangs de vraag binnenkwam.",
        chart_id="chart-instroom",
        unit="dossiers",
        weeks=weeks,
        channels=channels,
        per_week=per_week,
        label=lambda c: str(labels.get(c, c)),
        links=links,
        kind="received",
    )
    routing = Table(
        key="triage-en-routering",
        title="Triage en correcties van de routering, per week",
        caption="Per week: hoeveel nieuwe dossiers in triage kwamen (de routering twijfelde), "
        "hoeveel een medewerker vanuit triage doorstuurde en hoeveel een medewerker naar een "
        "ander type corrigeerde.",
        headers=[
            "Week",
            "Ontvangen",
            "Via triage",
            "% via triage",
            "Vanuit triage doorgestuurd",
            "Gecorrigeerd",
            "% gecorrigeerd",
        ],
        note="Een correctie: een medewerker stuurde het dossier naar een ander type dan het "
        "type dat de routering (of een collega) koos, niet vanuit triage.",
    )
    sums: dict[int, Intake] = defaultdict(Intake)
    for (day, _), counts in intake.items():
        for i, week in enumerate(weeks):
            if day in week:
                sums[i].add(counts)
                break
    triage_share, corrected_share = [], []
    for i, week in enumerate(weeks):
        s = sums[i]
        t_share, c_share = percent(s.triaged, s.received), percent(s.corrected, s.received)
        triage_share.append(t_share)
        corrected_share.append(c_share)
        routing.rows.append(
            [
                Cell.label(week.label),
                Cell.count(s.received, links.dossiers("received", span=week)),
                Cell.count(s.triaged, links.dossiers("triaged", span=week)),
                Cell.share(t_share, links.dossiers("triaged", span=week)),
                Cell.count(s.routed_from_triage, links.dossiers("routed", span=week)),
                Cell.count(s.corrected, links.dossiers("corrected", span=week)),
                Cell.share(c_share, links.dossiers("corrected", span=week)),
            ]
        )
    routing.chart = charts.line_chart(
        chart_id="chart-routering",
        title="Aandeel via triage en aandeel gecorrigeerd, per week",
        description="Twee lijnen in procent van de nieuwe dossiers: via triage (volle lijn) "
        "en gecorrigeerd (streepjeslijn). De tabel ernaast geeft de aantallen.",
        categories=[w.short for w in weeks],
        series=[
            charts.Series("% via triage", triage_share),
            charts.Series("% gecorrigeerd", corrected_share),
        ],
        percent=True,
    )
    return [table, routing]


def _compliance_row(label: Cell, counts: list[int], link: Callable[[str], str]) -> list[Cell]:
    closed, on_time, late = counts
    return [
        label,
        Cell.count(closed, link("closed")),
        Cell.count(on_time, link("on_time")),
        Cell.count(late, link("late")),
        Cell.count(closed - on_time - late, link("no_deadline")),
        Cell.share(percent(on_time, on_time + late), link("on_time")),
    ]


COMPLIANCE_HEADERS = [
    "Afgesloten",
    "Binnen de termijn",
    "Na de termijn",
    "Zonder termijn",
    "% binnen de termijn",
]


def _deadlines(filters: Filters, data: DayData, names: Names, links: Links) -> Section:
    closures = selectors.closures_by_day(filters, since=data.closures)
    months = filters.period.months()
    per_month: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_team: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_type: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    type_team: dict[int, int] = {}
    for c in closures:
        for i, month in enumerate(months):
            if c.day in month:
                for sums in (per_month[i], per_team[c.team_id], per_type[c.dossier_type_id]):
                    sums[0] += c.closed
                    sums[1] += c.on_time
                    sums[2] += c.late
                break
        type_team[c.dossier_type_id] = c.team_id
    note = (
        "Binnen de termijn: afgesloten op of voor de uiterste datum (met opschortingen en "
        "verlenging). Het percentage telt de dossiers zonder termijn niet mee."
    )
    by_month = Table(
        key="termijn-per-maand",
        title="Binnen de wettelijke termijn, per maand",
        caption="Afgesloten dossiers per maand van afsluiten: binnen of na de wettelijke termijn.",
        headers=["Maand", *COMPLIANCE_HEADERS],
        note=note,
    )
    for i, month in enumerate(months):
        by_month.rows.append(
            _compliance_row(
                Cell.label(month.label),
                per_month[i],
                lambda m, month=month: links.dossiers(m, span=month),  # type: ignore[misc]
            )
        )
    by_month.chart = charts.bar_chart(
        chart_id="chart-termijn",
        title="Aandeel binnen de wettelijke termijn, per maand",
        description="Eén staaf per maand met het percentage dossiers dat binnen de termijn "
        "werd afgesloten; de tabel ernaast geeft de aantallen.",
        categories=[m.short for m in months],
        series=[
            charts.Series(
                "% binnen de termijn",
                [percent(s[1], s[1] + s[2]) for s in (per_month[i] for i in range(len(months)))],
            )
        ],
        percent=True,
    )
    by_team = Table(
        key="termijn-per-team",
        title="Binnen de wettelijke termijn, per team",
        caption="Afgesloten dossiers in de periode per team: binnen of na de wettelijke termijn.",
        headers=["Team", *COMPLIANCE_HEADERS],
    )
    for team_id in sorted(per_team, key=names.team):
        by_team.rows.append(
            _compliance_row(
                Cell.label(names.team(team_id)),
                per_team[team_id],
                lambda m, t=team_id: links.dossiers(m, team=t),  # type: ignore[misc]
            )
        )
    by_type = Table(
        key="termijn-per-type",
        title="Binnen de wettelijke termijn, per dossiertype",
        caption="Afgesloten dossiers in de periode per dossiertype.",
        headers=["Dossiertype", "Team", *COMPLIANCE_HEADERS],
    )
    for type_id in sorted(per_type, key=names.dossier_type):
        team_id = type_team[type_id]
        row = _compliance_row(
            Cell.label(names.dossier_type(type_id)),
            per_type[type_id],
            lambda m, t=type_id, team=team_id: links.dossiers(m, team=team, type=t),  # type: ignore[misc]
        )
        by_type.rows.append([row[0], Cell.label(names.team(team_id)), *row[1:]])
    return Section(
        key="termijnen",
        title="Termijnbewaking",
        intro="Hoeveel dossiers binnen de wettelijke termijn werden afgesloten. Hoeveel er "
        "nu over tijd of in gevaar zijn, staat bij de werklast.",
        tables=[by_month, by_team, by_type],
    )


def _processing(filters: Filters, names: Names, links: Links) -> Section:
    counts = selectors.processing_counts(filters)
    per_team: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    per_type: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    type_team: dict[int, int] = {}
    for c in counts:
        per_team[c.team_id][c.working_days] += c.closed
        per_type[c.dossier_type_id][c.working_days] += c.closed
        type_team[c.dossier_type_id] = c.team_id
    headers = ["Afgesloten", "Mediaan (werkdagen)", "90e percentiel (werkdagen)"]

    def figures(histogram: dict[int, int], link: str) -> list[Cell]:
        """The count links to the closed dossiers; median and 90th percentile to the same
        list sorted by processing time, longest first."""
        median = selectors.percentile(histogram, 0.5)
        p90 = selectors.percentile(histogram, 0.9)
        sorted_link = f"{link}&volgorde=duur"
        return [
            Cell.count(sum(histogram.values()), link),
            Cell(number(median), median, sorted_link if median is not None else ""),
            Cell(number(p90), p90, sorted_link if p90 is not None else ""),
        ]

    by_team = Table(
        key="doorlooptijd-per-team",
        title="Doorlooptijd per team",
        caption="Werkdagen van ontvangst tot afsluiten van de dossiers afgesloten in de "
        "periode, per team: de mediaan en het 90e percentiel.",
        headers=["Team", *headers],
        note="Werkdagen volgens de kalender van de gemeente (weekends, feestdagen en "
        "sluitingsdagen tellen niet); de dag van ontvangst telt niet mee, opgeschorte dagen "
        "wel. Het 90e percentiel: 9 op de 10 dossiers waren binnen zoveel werkdagen klaar.",
    )
    chart_rows = []
    for team_id in sorted(per_team, key=names.team):
        cells = figures(per_team[team_id], links.dossiers("closed", team=team_id))
        by_team.rows.append([Cell.label(names.team(team_id)), *cells])
        chart_rows.append((names.team(team_id), cells[1].value, cells[2].value))
    by_team.chart = charts.hbar_chart(
        chart_id="chart-doorlooptijd",
        title="Doorlooptijd per team in werkdagen",
        description="Per team twee liggende staven: de mediaan (vol) en het 90e percentiel "
        "(gestreept); de tabel ernaast geeft dezelfde getallen.",
        categories=[r[0] for r in chart_rows],
        series=[
            charts.Series("Mediaan", [r[1] for r in chart_rows]),  # type: ignore[misc]
            charts.Series("90e percentiel", [r[2] for r in chart_rows]),  # type: ignore[misc]
        ],
        unit="werkdagen",
    )
    by_type = Table(
        key="doorlooptijd-per-type",
        title="Doorlooptijd per dossiertype",
        caption="Werkdagen van ontvangst tot afsluiten per dossiertype.",
        headers=["Dossiertype", "Team", *headers],
    )
    for type_id in sorted(per_type, key=names.dossier_type):
        team_id = type_team[type_id]
        link = links.dossiers("closed", team=team_id, type=type_id)
        by_type.rows.append(
            [
                Cell.label(names.dossier_type(type_id)),
                Cell.label(names.team(team_id)),
                *figures(per_type[type_id], link),
            ]
        )
    return Section(
        key="doorlooptijd",
        title="Doorlooptijd",
        intro="Hoe lang het duurt van de vraag tot het afsluiten, in werkdagen.",
        tables=[by_team, by_type],
    )


def _outgoing(filters: Filters, links: Links) -> Section:
    weeks = filters.period.weeks()
    letters = selectors.letters_by_day(filters)
    per_week = _bucket(weeks, ((d, c, n) for (d, c), n in letters.items()))
    channel_labels = dict(DeliveryChannel.choices)
    channels = ["email", "ebox", "paper"]
    channels += sorted({c for _, c in letters if c not in channels})
    table = _per_channel_per_week(
        key="brieven-per-kanaal",
        title="Verstuurde brieven per kanaal, per week",
        caption="Brieven die in de week vertrokken, per kanaal (e-mail, eBox, post).",
        chart_id="chart-brieven",
        unit="brieven",
        weeks=weeks,
        channels=channels,
        per_week=per_week,
        label=lambda c: str(channel_labels.get(c, c or "Onbekend")),
        links=links,
        kind="letters",
    )
    appointments = selectors.appointments_by_day(filters)
    statuses = [s.value for s in AppointmentStatus]
    modes = [m.value for m in Mode]
    by_status = _bucket(weeks, ((d, s, n) for d, s, _, n in appointments))
    by_mode = _bucket(weeks, ((d, m, n) for d, _, m, n in appointments))
    status_labels = dict(AppointmentStatus.choices)
    table_a = Table(
        key="afspraken-per-week",
        title="Afspraken per week",
        caption="Afspraken per week van de afspraak: per toestand en per wijze.",
        headers=[
            "Week",
            *[str(status_labels[s]) for s in statuses],
            *[MODE_LABELS.get(m, m) for m in modes],
            "Totaal",
        ],
        note="Geteld op de dag van de afspraak, voor de diensten van de teams in beeld.",
    )
    for i, week in enumerate(weeks):
        row = [Cell.label(week.label)]
        for s in statuses:
            n = by_status.get((i, s), 0)
            row.append(Cell.count(n, links.dossiers("appointments", span=week, status=s)))
        for m in modes:
            n = by_mode.get((i, m), 0)
            row.append(Cell.count(n, links.dossiers("appointments", span=week, wijze=m)))
        total = sum(by_status.get((i, s), 0) for s in statuses)
        row.append(Cell.count(total, links.dossiers("appointments", span=week)))
        table_a.rows.append(row)
    table_a.chart = charts.bar_chart(
        chart_id="chart-afspraken",
        title="Afspraken per week, per wijze",
        description="Gestapelde staven per week, één patroon per wijze (op het gemeentehuis, "
        "via video, hybride); de tabel ernaast geeft ook de aantallen per toestand.",
        categories=[w.short for w in weeks],
        series=[
            charts.Series(
                MODE_LABELS.get(m, m), [by_mode.get((i, m), 0) for i in range(len(weeks))]
            )
            for m in modes
        ],
        stacked=True,
        unit="afspraken",
    )
    return Section(
        key="uitgaand",
        title="Brieven en afspraken",
        intro="Wat de gemeente verstuurde en hoeveel afspraken er waren.",
        tables=[table, table_a],
    )


def _names(team_ids: Iterable[int], user_ids: Iterable[int]) -> Names:
    return Names(
        teams={t.pk: t for t in Team.objects.filter(pk__in=set(team_ids))},
        types={t.pk: t for t in DossierType.objects.only("pk", "name", "team_id")},
        users={
            u.pk: u
            for u in User.objects.filter(pk__in=set(user_ids)).only(
                "pk", "username", "first_name", "last_name"
            )
        },
    )


# Which section holds which table: an export builds only the section it needs.
TABLE_SECTIONS = {
    "werklast-per-team": "werklast",
    "werklast-per-medewerker": "werklast",
    "open-verloop": "trend",
    "open-per-medewerker-verloop": "trend",
    "instroom-per-kanaal": "instroom",
    "triage-en-routering": "instroom",
    "termijn-per-maand": "termijnen",
    "termijn-per-team": "termijnen",
    "termijn-per-type": "termijnen",
    "doorlooptijd-per-team": "doorlooptijd",
    "doorlooptijd-per-type": "doorlooptijd",
    "brieven-per-kanaal": "uitgaand",
    "afspraken-per-week": "uitgaand",
}
SECTIONS = ("werklast", "trend", "instroom", "termijnen", "doorlooptijd", "uitgaand")


@dataclass(frozen=True)
class Part:
    """One dashboard page: its URL slug, its tab's name and its sections."""

    slug: str
    title: str
    sections: tuple[str, ...]


# The dashboards, one page each (a page of every section at once cost over a second of
# rendering at a year's period): the first is /analyse/ itself.
PARTS = (
    Part("werklast", "Werklast", ("werklast", "trend")),
    Part("termijnen", "Termijnen en doorlooptijd", ("termijnen", "doorlooptijd")),
    Part("instroom", "Instroom en routering", ("instroom",)),
    Part("uitgaand", "Brieven en afspraken", ("uitgaand",)),
)
PART_BY_SLUG = {part.slug: part for part in PARTS}


def dashboard_build(
    *,
    filters: Filters,
    chosen_team: int | None,
    sections: tuple[str, ...] = SECTIONS,
    tiles: bool = True,
) -> Dashboard:
    """The dashboard for these (scope-resolved) filters: the ``sections`` asked for (all
    of them by default) and, with ``tiles``, the headline figures above them."""
    wanted = sections
    if filters.team_ids is None:
        scope_teams = list(Team.objects.values_list("pk", flat=True))
    else:
        scope_teams = sorted(filters.team_ids)
    load = selectors.workload_now(filters) if "werklast" in wanted else None
    snapshots: Snapshots = ({}, {})
    if "trend" in wanted:
        last = span_snapshot_days(filters, trend_spans(filters)[0])
        snapshots = (last, selectors.workload_by_day(filters, days=sorted(set(last.values()))))
    user_ids = {r.assignee_id for r in load.rows if r.assignee_id} if load else set()
    user_ids |= {a for _, a in snapshots[1] if a is not None}
    names = _names(scope_teams, user_ids)
    links = Links(filters=filters, chosen_team=chosen_team, base=reverse("analytics:dossiers"))
    needs_intake = "instroom" in wanted
    data = DayData(
        intake=selectors.intake_since(filters) if needs_intake else {},
        closures=selectors.closures_since(filters) if "termijnen" in wanted else [],
    )
    intake = selectors.intake_by_day(filters, since=data.intake) if needs_intake else {}
    built = []
    for key in wanted:
        if key == "werklast" and load is not None:
            built.append(_workload(load, scope_teams, names, links))
        elif key == "trend":
            built.append(_trend(filters, snapshots, scope_teams, names, links))
        elif key == "instroom":
            built.append(
                Section(
                    key="instroom",
                    title="Instroom en routering",
                    intro="Hoeveel vragen binnenkwamen, langs welk kanaal, en hoe vaak de "
                    "routering twijfelde of een medewerker ze anders doorstuurde.",
                    tables=_intake(filters, intake, links),
                )
            )
        elif key == "termijnen":
            built.append(_deadlines(filters, data, names, links))
        elif key == "doorlooptijd":
            built.append(_processing(filters, names, links))
        elif key == "uitgaand":
            built.append(_outgoing(filters, links))
    return Dashboard(
        tiles=_tiles(selectors.headline(filters), links) if tiles else [],
        sections=built,
        refreshed_at=selectors.last_refresh(),
        snapshot_day=load.day if load else None,
    )


def _tiles(head: selectors.Headline, links: Links) -> list[Tile]:
    """The headline figures; each links to the same list as the table cell it sums."""
    return [
        Tile("Open", Cell.count(head.open, links.dossiers("open_now")), "nu"),
        Tile("Over tijd", Cell.count(head.overdue, links.dossiers("overdue_now")), "nu"),
        Tile("In gevaar", Cell.count(head.at_risk, links.dossiers("at_risk_now")), "nu"),
        Tile("Ontvangen", Cell.count(head.received, links.dossiers("received")), "in de periode"),
        Tile("Afgesloten", Cell.count(head.closed, links.dossiers("closed")), "in de periode"),
        Tile(
            "Binnen de termijn",
            Cell.share(percent(head.on_time, head.on_time + head.late), links.dossiers("on_time")),
            "van de afgesloten dossiers met een termijn",
        ),
    ]
