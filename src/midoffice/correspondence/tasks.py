"""Background tasks of correspondence: the delivery status poll (periodic)."""

from __future__ import annotations

from django_tasks import task

from midoffice.core.schedule import PeriodicJob, register
from midoffice.correspondence import delivery


@task(queue_name="default")
def letter_status_poll_task() -> dict[str, int]:
    return delivery.letter_poll_statuses()


register(
    PeriodicJob(
        name="letter-status-poll",
        task="midoffice.correspondence.tasks.letter_status_poll_task",
        cron="*/5 * * * *",
        description="Ask the Documentendienst how sent letters fared; keep the bpost attestation.",
    )
)
