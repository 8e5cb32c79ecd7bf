"""The day tables: sums of the fact rows per day, and the daily workload snapshot.

Each day table is recomputed for whole days (all teams, types and channels of the day at
once): delete the day's rows, insert the day's sums. A row is therefore always exactly
the sum of the facts of its day, whatever order the changes came in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db.models import Count, DateField, Q, QuerySet, Sum, Value

from midoffice.analytics.aggregates.sql import insert_from_select
from midoffice.analytics.models import (
    ClosureDay,
    DossierFact,
    IntakeDay,
    LetterDay,
    LetterFact,
    OpenTotal,
    ProcessingDay,
    WorkloadSnapshot,
)
from midoffice.dossiers.models import Dossier

# The most days one statement names (SQLite binds at most 32,766 parameters).
_DAYS_PER_STATEMENT = 500


def _chunks(days: Collection[dt.date] | None) -> list[list[dt.date] | None]:
    if days is None:
        return [None]
    ordered = sorted(days)
    return [
        ordered[i : i + _DAYS_PER_STATEMENT] for i in range(0, len(ordered), _DAYS_PER_STATEMENT)
    ]


def intake_days_write(days: Collection[dt.date] | None = None) -> int:
    """Recompute :class:`IntakeDay` for ``days`` (None: every day)."""
    written = 0
    for chunk in _chunks(days):
        facts: QuerySet[DossierFact] = DossierFact.objects.all()
        rows: QuerySet[IntakeDay] = IntakeDay.objects.all()
        if chunk is not None:
            facts, rows = facts.filter(received_on__in=chunk), rows.filter(day__in=chunk)
        rows.delete()
        query = (
            facts.order_by()
            .values("received_on", "team_id", "dossier_type_id", "channel")
            .annotate(
                n_received=Count("pk"),
                n_triaged=Count("pk", filter=Q(triaged=True)),
                n_routed=Count("pk", filter=Q(routed_from_triage=True)),
                n_corrected=Count("pk", filter=Q(corrected=True)),
            )
        )
        written += insert_from_select(
            IntakeDay,
            (
                "day",
                "team",
                "dossier_type",
                "channel",
                "received",
                "triaged",
                "routed_from_triage",
                "corrected",
            ),
            query,
        )
    return written


def closure_days_write(days: Collection[dt.date] | None = None) -> int:
    """Recompute :class:`ClosureDay` and :class:`ProcessingDay` for ``days`` (None: all)."""
    written = 0
    for chunk in _chunks(days):
        facts = DossierFact.objects.filter(closed_on__isnull=False)
        rows: QuerySet[ClosureDay] = ClosureDay.objects.all()
        histogram: QuerySet[ProcessingDay] = ProcessingDay.objects.all()
        if chunk is not None:
            facts = facts.filter(closed_on__in=chunk)
            rows, histogram = rows.filter(day__in=chunk), histogram.filter(day__in=chunk)
        rows.delete()
        histogram.delete()
        written += insert_from_select(
            ClosureDay,
            ("day", "team", "dossier_type", "closed", "on_time", "late"),
            facts.order_by()
            .values("closed_on", "team_id", "dossier_type_id")
            .annotate(
                n_closed=Count("pk"),
                n_on_time=Count("pk", filter=Q(on_time=True)),
                n_late=Count("pk", filter=Q(on_time=False)),
            ),
        )
        written += insert_from_select(
            ProcessingDay,
            ("day", "team", "dossier_type", "working_days", "closed"),
            facts.filter(processing_days__isnull=False)
            .order_by()
            .values("closed_on", "team_id", "dossier_type_id", "processing_days")
            .annotate(n_closed=Count("pk")),
        )
    return written


def letter_days_write(days: Collection[dt.date] | None = None) -> int:
    """Recompute :class:`LetterDay` for ``days`` (None: every day)."""
    written = 0
    for chunk in _chunks(days):
        facts: QuerySet[LetterFact] = LetterFact.objects.all()
        rows: QuerySet[LetterDay] = LetterDay.objects.all()
        if chunk is not None:
            facts, rows = facts.filter(sent_on__in=chunk), rows.filter(day__in=chunk)
        rows.delete()
        query = (
            facts.order_by()
            .values("sent_on", "team_id", "dossier_type_id", "channel")
            .annotate(n_sent=Count("pk"))
        )
        written += insert_from_select(
            LetterDay, ("day", "team", "dossier_type", "channel", "sent"), query
        )
    return written


def workload_snapshot_write(*, today: dt.date) -> int:
    """Replace today's snapshot of the open dossiers per team, type and assignee.

    Overdue and at risk as the queues count them (``dossiers.selectors``): overdue when
    the deadline has passed, at risk from the warning day up to the deadline.
    """
    WorkloadSnapshot.objects.filter(day=today).delete()
    query = (
        Dossier.objects.filter(is_open=True)
        .order_by()
        .annotate(snapshot_day=Value(today, output_field=DateField()))
        .values("snapshot_day", "team_id", "dossier_type_id", "assignee_id")
        .annotate(
            n_open=Count("pk"),
            n_overdue=Count("pk", filter=Q(deadline__lt=today)),
            n_at_risk=Count("pk", filter=Q(warn_on__lte=today, deadline__gte=today)),
        )
    )
    return insert_from_select(
        WorkloadSnapshot,
        ("day", "team", "dossier_type", "assignee", "open", "overdue", "at_risk"),
        query,
    )


def open_totals_write() -> int:
    """Rewrite :class:`OpenTotal` from the day tables (two small GROUP BYs)."""
    OpenTotal.objects.all().delete()
    received = {
        (team, kind): n
        for team, kind, n in IntakeDay.objects.order_by()
        .values("team_id", "dossier_type_id")
        .annotate(n=Sum("received"))
        .values_list("team_id", "dossier_type_id", "n")
    }
    closed = {
        (team, kind): n
        for team, kind, n in ClosureDay.objects.order_by()
        .values("team_id", "dossier_type_id")
        .annotate(n=Sum("closed"))
        .values_list("team_id", "dossier_type_id", "n")
    }
    rows = [
        OpenTotal(team_id=team, dossier_type_id=kind, received=received.get((team, kind), 0),
                  closed=closed.get((team, kind), 0))
        for team, kind in sorted(received.keys() | closed.keys())
    ]  # fmt: skip
    OpenTotal.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
