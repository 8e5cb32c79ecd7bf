"""Background tasks of the archive: packaging a transfer, the daily run, the sweep."""

from __future__ import annotations

from django_tasks import task

from midoffice.archive import services, transfer
from midoffice.core.schedule import PeriodicJob, register


@task(queue_name="default")
def archive_package_task(transfer_id: int) -> str:
    return transfer.transfer_package(transfer_id=transfer_id)


@task(queue_name="default")
def archive_daily_task() -> int:
    return services.archive_daily_run().due_total


@task(queue_name="default")
def archive_sweep_task() -> int:
    return transfer.archive_sweep()


register(
    PeriodicJob(
        name="archive-daily",
        task="midoffice.archive.tasks.archive_daily_task",
        cron="30 2 * * *",
        description="Find the closed dossiers whose archive action is due (per action and "
        "type, one query) for the archivist's page; queue transfers when "
        "MIDOFFICE_ARCHIVE_AUTO_TRANSFER is on.",
    )
)
register(
    PeriodicJob(
        name="archive-sweep",
        task="midoffice.archive.tasks.archive_sweep_task",
        cron="*/10 * * * *",
        description="Hand a transfer whose packaging worker died to another worker.",
    )
)
