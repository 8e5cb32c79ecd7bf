"""Background work of the analytics app: keep the dashboards' tables up to date."""

from __future__ import annotations

from django_tasks import task

from midoffice.analytics.aggregates import analytics_refresh
from midoffice.core.schedule import PeriodicJob, register


@task()
def analytics_refresh_task() -> dict[str, object]:
    """Incremental: the dossiers that events since the last run touched."""
    result = analytics_refresh()
    return {"full": result.full, "dossiers": result.dossiers, "seconds": round(result.seconds, 3)}


@task()
def analytics_rebuild_task() -> dict[str, object]:
    """Full: every fact and day row again (catches what the incremental run cannot see)."""
    result = analytics_refresh(full=True)
    return {"full": result.full, "dossiers": result.dossiers, "seconds": round(result.seconds, 3)}


register(
    PeriodicJob(
        name="analytics-refresh",
        task="midoffice.analytics.tasks.analytics_refresh_task",
        cron="*/5 * * * *",
        description="Update the dashboards' day tables from the events of the last minutes.",
    )
)
register(
    PeriodicJob(
        name="analytics-rebuild",
        task="midoffice.analytics.tasks.analytics_rebuild_task",
        cron="40 3 * * *",
        description="Recompute the dashboards' tables in full (the nightly safety net).",
    )
)
