"""Background tasks of the places app: verify addresses saved while a register was down."""

from __future__ import annotations

from django_tasks import task

from midoffice.core.schedule import PeriodicJob, register


@task()
def address_verify_task(dossier_id: int) -> str:
    from midoffice.places.services import dossier_address_verify

    return dossier_address_verify(dossier_id=dossier_id)


@task()
def address_opened_check_task(dossier_id: int) -> str:
    from midoffice.places.services import dossier_address_verify

    return dossier_address_verify(dossier_id=dossier_id, opened=True)


@task()
def address_verify_sweep_task() -> int:
    from midoffice.places.services import address_verify_pending

    return address_verify_pending()


register(
    PeriodicJob(
        name="address-verify-sweep",
        task="midoffice.places.tasks.address_verify_sweep_task",
        cron="*/30 * * * *",
        description="Verify dossier addresses saved while the address register was down.",
    )
)
