"""Background tasks of destruction lists: the run of one list, and the sweep that
starts planned runs and re-drives a run whose worker died (its lease ran out)."""

from __future__ import annotations

from django_tasks import task

from midoffice.core.schedule import PeriodicJob, register


@task(queue_name="default")
def destruction_run_task(list_id: int) -> str:
    from midoffice.archive.destruction_run import destruction_run

    return destruction_run(list_id=list_id)


@task(queue_name="default")
def destruction_sweep_task() -> int:
    from midoffice.archive.destruction_run import destruction_sweep

    return destruction_sweep()


register(
    PeriodicJob(
        name="destruction-sweep",
        task="midoffice.archive.destruction_tasks.destruction_sweep_task",
        cron="*/5 * * * *",
        description="Start the destruction of approved lists whose planned day has come, "
        "and finish a destruction whose worker stopped (after its 10-minute lease).",
    )
)
