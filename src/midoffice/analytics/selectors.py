"""Reads of the analytics tables: the dashboards' figures and the dossiers behind them.

Every figure comes from the day tables (or, for the workload, the latest snapshot), which
``analytics.aggregates`` keeps from the event stream; a page adds up a few hundred rows.
Each figure has a *measure* (:data:`MEASURES`) whose fact rows are exactly the dossiers
behind it: :func:`facts_behind` returns them, so a number and its list always agree (as
of the last refresh).

Filters are a :class:`Filters`: a period (whole days, both ends included), the teams in
the viewer's scope (None: every team) and optionally one dossier type. Team and type are
the dossier's *current* ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from midoffice.analytics.models import (
    ClosureDay,
    DossierFact,
    IntakeDay,
    LetterDay,
    LetterFact,
    OpenTotal,
    ProcessingDay,
    RefreshState,
    WorkloadSnapshot,
)
from midoffice.analytics.periods import Period
from midoffice.appointments.models import Appointment
from midoffice.dossiers.models import Dossier


@dataclass(frozen=True)
class Filters:
    period: Period
    team_ids: frozenset[int] | None = None  # None: every team
    dossier_type_id: int | None = None

    def narrowed(self, *, team_id: int | None) -> Filters:
        """The same filters for one team (which must be in ``team_ids``)."""
        if team_id is None:
            return self
        return Filters(self.period, frozenset({team_id}), self.dossier_type_id)


Q_ = TypeVar("Q_", bound=QuerySet[Any])


def _scoped(qs: Q_, filters: Filters) -> Q_:
    if filters.team_ids is not None:
        qs = qs.filter(team_id__in=filters.team_ids)
    if filters.dossier_type_id is not None:
        qs = qs.filter(dossier_type_id=filters.dossier_type_id)
    return qs


def _in_period(qs: Q_, filters: Filters, field_name: str = "day") -> Q_:
    period = filters.period
    return _scoped(qs.filter(**{f"{field_name}__range": (period.start, period.end)}), filters)


def last_refresh() -> dt.datetime | None:
    """When the tables were last brought up to date (None: never)."""
    state = RefreshState.objects.filter(pk=1).only("refreshed_at").first()
    return state.refreshed_at if state else None


# --- Intake, routing ---------------------------------------------------------------------


@dataclass
class Intake:
    received: int = 0
    triaged: int = 0
    routed_from_triage: int = 0
    corrected: int = 0

    def add(self, other: Intake) -> None:
        self.received += other.received
        self.triaged += other.triaged
        self.routed_from_triage += other.routed_from_triage
        self.corrected += other.corrected


IntakeSince = dict[tuple[dt.date, int, str], Intake]


def intake_since(filters: Filters) -> IntakeSince:
    """Received dossiers per (day, team, channel) from the period's first day on."""
    rows = (
        _scoped(IntakeDay.objects.filter(day__gte=filters.period.start), filters)
        .values("day", "team_id", "channel")
        .annotate(
            n_received=Sum("received"),
            n_triaged=Sum("triaged"),
            n_routed=Sum("routed_from_triage"),
            n_corrected=Sum("corrected"),
        )
        .order_by()
        .values_list(
            "day", "team_id", "channel", "n_received", "n_triaged", "n_routed", "n_corrected"
        )
    )
    return {(day, team, channel): Intake(*counts) for day, team, channel, *counts in rows}


def intake_by_day(
    filters: Filters, since: IntakeSince | None = None
) -> dict[tuple[dt.date, str], Intake]:
    """Received dossiers per (day of receipt, intake channel) in the period, with the
    routing counts. ``since``: the rows of :func:`intake_since`, when already read."""
    rows = intake_since(filters) if since is None else since
    end = filters.period.end
    sums: dict[tuple[dt.date, str], list[int]] = {}
    for (day, _, channel), c in rows.items():
        if day > end:
            continue
        found = sums.get((day, channel))
        if found is None:
            sums[(day, channel)] = [c.received, c.triaged, c.routed_from_triage, c.corrected]
        else:
            found[0] += c.received
            found[1] += c.triaged
            found[2] += c.routed_from_triage
            found[3] += c.corrected
    return {key: Intake(*counts) for key, counts in sums.items()}


# --- Open dossiers over time -------------------------------------------------------------


def open_at_day_ends(filters: Filters, days: list[dt.date]) -> dict[tuple[dt.date, int], int]:
    """Open dossiers per team at the end of each of ``days`` (inside the period).

    Open at the end of day d: received on or before d and not closed on or before d (as
    the dossiers stand now: a reopened dossier counts as open since its receipt). That is
    everything ever received minus everything ever closed (:class:`OpenTotal`), minus
    what came in and plus what went out after d: only the days since the period's start
    are read, summed per team.
    """
    start = filters.period.start
    total: dict[int, int] = defaultdict(int)
    for team_id, received, closed in _scoped(OpenTotal.objects.all(), filters).values_list(
        "team_id", "received", "closed"
    ):
        total[team_id] += received - closed
    change: dict[dt.date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for model, measure, sign in ((IntakeDay, "received", 1), (ClosureDay, "closed", -1)):
        rows = (
            _scoped(model.objects.filter(day__gte=start), filters)
            .values("day", "team_id")
            .annotate(n=Sum(measure))
            .order_by()
            .values_list("day", "team_id", "n")
        )
        for day, team_id, n in rows:
            change[day][team_id] += sign * n
    wanted = set(days)
    after: dict[int, int] = defaultdict(int)  # what changed after the day being looked at
    result: dict[tuple[dt.date, int], int] = {}
    for day in sorted(change.keys() | wanted, reverse=True):
        if day in wanted:
            for team_id in total.keys() | after.keys():
                result[(day, team_id)] = total[team_id] - after[team_id]
        for team_id, n in change.get(day, {}).items():
            after[team_id] += n
    return result


# --- Closing: the legal term, processing time -------------------------------------------


@dataclass(frozen=True)
class Closures:
    day: dt.date
    team_id: int
    dossier_type_id: int
    closed: int
    on_time: int
    late: int


def closures_since(filters: Filters) -> list[Closures]:
    """Closed dossiers per (day of closing, team, type) from the period's first day on."""
    rows = (
        _scoped(ClosureDay.objects.filter(day__gte=filters.period.start), filters)
        .values("day", "team_id", "dossier_type_id")
        .annotate(n=Sum("closed"), t=Sum("on_time"), late_=Sum("late"))
        .order_by()
        .values_list("day", "team_id", "dossier_type_id", "n", "t", "late_")
    )
    return [Closures(*row) for row in rows]


def closures_by_day(filters: Filters, since: list[Closures] | None = None) -> list[Closures]:
    """Closed dossiers per (day of closing, team, type) in the period: within the legal
    term or not (``closed - on_time - late`` closed without a deadline)."""
    rows = closures_since(filters) if since is None else since
    return [c for c in rows if c.day <= filters.period.end]


@dataclass(frozen=True)
class ProcessingCount:
    team_id: int
    dossier_type_id: int
    working_days: int
    closed: int


def processing_counts(filters: Filters) -> list[ProcessingCount]:
    """How many dossiers closed in the period took each number of working days."""
    rows = (
        _in_period(ProcessingDay.objects.all(), filters)
        .values("team_id", "dossier_type_id", "working_days")
        .annotate(n=Sum("closed"))
        .order_by()
        .values_list("team_id", "dossier_type_id", "working_days", "n")
    )
    return [ProcessingCount(*row) for row in rows]


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The smallest value with at least ``share`` of the counts at or below it
    (the "nearest rank" percentile: always a value that occurred; None when empty)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, -(-round(share * total * 1_000_000) // 1_000_000))  # ceil, float-safe
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


# --- Letters, appointments ---------------------------------------------------------------


def letters_by_day(filters: Filters) -> dict[tuple[dt.date, str], int]:
    """Letters that left per (day of sending, delivery channel)."""
    rows = (
        _in_period(LetterDay.objects.all(), filters)
        .values("day", "channel")
        .annotate(n=Sum("sent"))
        .order_by()
        .values_list("day", "channel", "n")
    )
    return {(day, channel): n for day, channel, n in rows}


def _appointments(filters: Filters) -> QuerySet[Appointment]:
    """Appointments that start in the period, of a service of a team in scope (and, with
    a type filter, for a dossier of that type). Read live: appointments are far fewer than
    dossiers and indexed by their start, and one without a dossier has no events."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(filters.period.start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(filters.period.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    qs = Appointment.objects.filter(start__gte=start, start__lt=end)
    if filters.team_ids is not None:
        qs = qs.filter(service__team_id__in=filters.team_ids)
    if filters.dossier_type_id is not None:
        qs = qs.filter(dossier__dossier_type_id=filters.dossier_type_id)
    return qs


def appointments_by_day(filters: Filters) -> list[tuple[dt.date, str, str, int]]:
    """(day, status, mode, count) of the appointments in the period."""
    zone = timezone.get_default_timezone()
    return list(
        _appointments(filters)
        .annotate(day=TruncDate("start", tzinfo=zone))
        .values("day", "status", "mode")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "status", "mode", "n")
    )


# --- Workload: the snapshot ------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    team_id: int
    assignee_id: int | None
    open: int
    overdue: int
    at_risk: int


@dataclass(frozen=True)
class Workload:
    day: dt.date | None  # the snapshot's day (None: never refreshed)
    rows: list[Load] = field(default_factory=list)  # per (team, assignee)


def workload_now(filters: Filters) -> Workload:
    """The open dossiers per team and assignee at the last refresh (today's snapshot)."""
    day = WorkloadSnapshot.objects.aggregate(day=Max("day"))["day"]
    if day is None:
        return Workload(day=None)
    rows = (
        _scoped(WorkloadSnapshot.objects.filter(day=day), filters)
        .values("team_id", "assignee_id")
        .annotate(o=Sum("open"), d=Sum("overdue"), r=Sum("at_risk"))
        .order_by()
        .values_list("team_id", "assignee_id", "o", "d", "r")
    )
    return Workload(day=day, rows=[Load(*row) for row in rows])


def snapshot_days(filters: Filters) -> list[dt.date]:
    """The days in the period that have a workload snapshot, oldest first."""
    period = filters.period
    return list(
        WorkloadSnapshot.objects.filter(day__range=(period.start, period.end))
        .order_by("day")
        .values_list("day", flat=True)
        .distinct()
    )


def workload_by_day(
    filters: Filters, days: list[dt.date] | None = None
) -> dict[tuple[dt.date, int | None], int]:
    """Open dossiers per (snapshot day, assignee): on ``days``, or every day in the period."""
    qs = (
        _in_period(WorkloadSnapshot.objects.all(), filters)
        if days is None
        else _scoped(WorkloadSnapshot.objects.filter(day__in=days), filters)
    )
    rows = (
        qs.values("day", "assignee_id")
        .annotate(n=Sum("open"))
        .order_by()
        .values_list("day", "assignee_id", "n")
    )
    return {(day, assignee): n for day, assignee, n in rows}


@dataclass(frozen=True)
class Headline:
    """The figures above every dashboard: the workload now and the period's totals."""

    open: int
    overdue: int
    at_risk: int
    received: int
    closed: int
    on_time: int
    late: int


def headline(filters: Filters) -> Headline:
    """Three small sums: the latest snapshot, the intake and the closures of the period."""
    day = WorkloadSnapshot.objects.aggregate(day=Max("day"))["day"]
    now = _scoped(WorkloadSnapshot.objects.filter(day=day), filters).aggregate(
        o=Sum("open"), d=Sum("overdue"), r=Sum("at_risk")
    )
    intake = _in_period(IntakeDay.objects.all(), filters).aggregate(n=Sum("received"))
    closed = _in_period(ClosureDay.objects.all(), filters).aggregate(
        n=Sum("closed"), t=Sum("on_time"), late=Sum("late")
    )
    return Headline(
        open=now["o"] or 0,
        overdue=now["d"] or 0,
        at_risk=now["r"] or 0,
        received=intake["n"] or 0,
        closed=closed["n"] or 0,
        on_time=closed["t"] or 0,
        late=closed["late"] or 0,
    )


# --- The dossiers behind a number -------------------------------------------------------

MEASURES: dict[str, str] = {
    "received": "Ontvangen",
    "triaged": "Via triage",
    "routed": "Vanuit triage doorgestuurd",
    "corrected": "Naar een ander type gecorrigeerd",
    "closed": "Afgesloten",
    "on_time": "Afgesloten binnen de termijn",
    "late": "Afgesloten na de termijn",
    "no_deadline": "Afgesloten zonder termijn",
    "open_at": "Open op het einde van de dag",
    "letters": "Verstuurde brieven",
}


def facts_behind(
    measure: str, filters: Filters, *, channel: str = "", on_day: dt.date | None = None
) -> QuerySet[DossierFact]:
    """The fact rows (dossiers) behind a figure of ``measure`` for these filters.

    ``channel`` narrows the intake channel; ``on_day`` is the day of ``open_at``.
    Raises KeyError for an unknown measure.
    """
    period = filters.period
    facts = _scoped(DossierFact.objects.all(), filters)
    received = Q(received_on__range=(period.start, period.end))
    closed = Q(closed_on__range=(period.start, period.end))
    conditions: dict[str, Q] = {
        "received": received,
        "triaged": received & Q(triaged=True),
        "routed": received & Q(routed_from_triage=True),
        "corrected": received & Q(corrected=True),
        "closed": closed,
        "on_time": closed & Q(on_time=True),
        "late": closed & Q(on_time=False),
        "no_deadline": closed & Q(on_time__isnull=True),
    }
    if measure == "open_at":
        day = on_day or period.end
        facts = facts.filter(
            Q(received_on__lte=day) & (Q(closed_on__isnull=True) | Q(closed_on__gt=day))
        )
    else:
        facts = facts.filter(conditions[measure])
    if channel:
        facts = facts.filter(channel=channel)
    return facts


def letters_behind(filters: Filters, *, channel: str = "") -> QuerySet[LetterFact]:
    """The letters behind a figure of sent letters."""
    period = filters.period
    letters = _scoped(LetterFact.objects.filter(sent_on__range=(period.start, period.end)), filters)
    return letters.filter(channel=channel) if channel else letters


def appointments_behind(
    filters: Filters, *, status: str = "", mode: str = ""
) -> QuerySet[Appointment]:
    qs = _appointments(filters)
    if status:
        qs = qs.filter(status=status)
    if mode:
        qs = qs.filter(mode=mode)
    return qs


LIVE_MEASURES: dict[str, str] = {
    "open_now": "Open",
    "overdue_now": "Open en over tijd",
    "at_risk_now": "Open en in gevaar",
    "unassigned_now": "Open en niet toegewezen",
}


def dossiers_now(
    measure: str, filters: Filters, *, today: dt.date, assignee_id: int | None = None
) -> QuerySet[Dossier]:
    """The open dossiers behind a workload figure, as they stand now (live: the figure is
    the snapshot of the last refresh, at most a few minutes older). Overdue and at risk
    as the queues count them. Raises KeyError for an unknown measure."""
    conditions = {
        "open_now": Q(),
        "overdue_now": Q(deadline__lt=today),
        "at_risk_now": Q(warn_on__lte=today, deadline__gte=today),
        "unassigned_now": Q(assignee__isnull=True),
    }
    qs = _scoped(Dossier.objects.filter(is_open=True), filters).filter(conditions[measure])
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    return qs


# --- For the OData feed: the same counts ------------------------------------------------


def dossier_counts(
    period: Period, team: int | None = None, dossier_type: int | None = None
) -> dict[str, object]:
    """The dashboards' counts for one period, team (id) and dossier type (id).

    For the OData feed to prove it counts the same: every figure is what the dashboards
    show for the same filters (as of the last refresh), with these definitions - dates
    are the town's calendar dates (Europe/Brussels) of the timestamps, both ends of the
    period included, team and type the dossier's current ones:

    - ``received``: dossiers whose ``received_at`` falls in the period;
      ``received_by_channel``: the same per intake ``channel`` (only channels with any);
    - ``triaged``/``routed_from_triage``/``corrected``: of those, opened in the triage
      type / sent on from triage by a member of staff / sent by staff to another type
      from a type that was not triage;
    - ``closed``: dossiers closed now whose ``closed_at`` falls in the period;
      ``closed_on_time``: of those, closed on or before their ``deadline``;
      ``closed_late``: after it; ``closed_without_deadline``: without a deadline;
    - ``open_at_end``: received on or before the period's last day and not closed on or
      before it;
    - ``letters_sent``: letters whose ``sent_at`` falls in the period (their dossier's
      team and type); ``letters_by_channel``: per delivery channel.
    """
    filters = Filters(
        period,
        None if team is None else frozenset({team}),
        dossier_type,
    )
    since = intake_since(filters)
    closed_since = closures_since(filters)
    intake = intake_by_day(filters, since=since)
    received = Intake()
    by_channel: dict[str, int] = defaultdict(int)
    for (_, channel), counts in intake.items():
        received.add(counts)
        by_channel[channel] += counts.received
    closures = closures_by_day(filters, since=closed_since)
    closed = sum(c.closed for c in closures)
    on_time = sum(c.on_time for c in closures)
    late = sum(c.late for c in closures)
    letters = letters_by_day(filters)
    letters_by_channel: dict[str, int] = defaultdict(int)
    for (_, channel), n in letters.items():
        letters_by_channel[channel] += n
    open_end = open_at_day_ends(filters, [period.end])
    return {
        "received": received.received,
        "received_by_channel": dict(sorted(by_channel.items())),
        "triaged": received.triaged,
        "routed_from_triage": received.routed_from_triage,
        "corrected": received.corrected,
        "closed": closed,
        "closed_on_time": on_time,
        "closed_late": late,
        "closed_without_deadline": closed - on_time - late,
        "open_at_end": sum(open_end.values()),
        "letters_sent": sum(letters_by_channel.values()),
        "letters_by_channel": dict(sorted(letters_by_channel.items())),
    }
