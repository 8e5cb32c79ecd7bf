"""The dossiers' part of ``/metrics`` (core.metrics): open and overdue dossiers per team,
from the workload snapshot that the dashboards read (refreshed every five minutes, ADR
19), so a scrape costs one small query however many dossiers there are."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Max, Sum
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from midoffice.analytics.models import WorkloadSnapshot


def workload_metrics() -> Iterator[Metric]:
    latest = WorkloadSnapshot.objects.aggregate(day=Max("day"))["day"]
    rows = (
        []
        if latest is None
        else WorkloadSnapshot.objects.filter(day=latest)
        .order_by("team__code")
        .values_list("team__code")
        .annotate(open=Sum("open"), overdue=Sum("overdue"))
    )
    open_ = GaugeMetricFamily(
        "midoffice_dossiers_open",
        "Open dossiers per team (its code), at the dashboards' last refresh.",
        labels=["team"],
    )
    overdue = GaugeMetricFamily(
        "midoffice_dossiers_overdue",
        "Open dossiers past their deadline per team, at the dashboards' last refresh.",
        labels=["team"],
    )
    for team, open_count, overdue_count in rows:
        # A snapshot row of a team removed since has no code: not worth a label.
        if team:
            open_.add_metric([team], open_count or 0)
            overdue.add_metric([team], overdue_count or 0)
    yield open_
    yield overdue
