"""Background tasks of appointments: the day-before reminder (periodic)."""

from __future__ import annotations

from django_tasks import task

from midoffice.appointments import reminders
from midoffice.core.schedule import PeriodicJob, register


@task(queue_name="default")
def appointment_reminders_task() -> int:
    return reminders.reminders_send()


register(
    PeriodicJob(
        name="appointment-reminders",
        task="midoffice.appointments.tasks.appointment_reminders_task",
        # Hourly in the day (town time): tomorrow's appointments booked since the last run
        # get theirs too, and nobody is reminded in the middle of the night.
        cron="5 8-20 * * *",
        description="Remind citizens of tomorrow's appointments (once each, by e-mail, "
        "with the link to move or cancel).",
    )
)
