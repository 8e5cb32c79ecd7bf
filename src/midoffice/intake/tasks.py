"""Intake tasks: take ids, call one service, idempotent. Periodic jobs are registered here."""

from __future__ import annotations

from django_tasks import task

from midoffice.core.schedule import PeriodicJob, register
from midoffice.intake import services


@task(queue_name="intake")
def inbound_process_task(inbound_id: int) -> str:
    return str(services.inbound_process(inbound_id=inbound_id).state)


@task(queue_name="intake")
def inbound_sweep_task() -> int:
    return services.inbound_sweep()


@task(queue_name="intake")
def storage_backlog_move_task() -> int:
    from midoffice.intake.storage import storage_backlog_move

    return storage_backlog_move().moved


@task(queue_name="intake")
def mailbox_poll_task() -> int:
    from midoffice.intake.imap import mailbox_poll_all

    return mailbox_poll_all()


register(
    PeriodicJob(
        name="intake-imap-poll",
        task="midoffice.intake.tasks.mailbox_poll_task",
        cron="* * * * *",
        description="Haal nieuwe berichten op uit de actieve IMAP-postbussen.",
    )
)
register(
    PeriodicJob(
        name="intake-sweep",
        task="midoffice.intake.tasks.inbound_sweep_task",
        cron="*/5 * * * *",
        description="Verwerk berichten die bleven hangen in 'ontvangen' (na een crash).",
    )
)
register(
    PeriodicJob(
        name="intake-storage-backlog",
        task="midoffice.intake.tasks.storage_backlog_move_task",
        cron="* * * * *",
        description="Schrijf berichten en bijlagen die in de database wachtten (de opslag "
        "was onbereikbaar of vol) naar de opslag.",
    )
)
