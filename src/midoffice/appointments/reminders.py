"""The reminder the day before (ADR 0016): one per appointment, to the citizen.

``reminders_send`` runs every hour of the day (``tasks.py``); it is set-based and safe to
run any number of times, also at once: each appointment's reminder is claimed through
``reminder_sent_at`` with a conditional update, in the transaction that queues the mail
(through the outbox, like the invitations). The booking services clear the claim on a
reschedule, so a moved appointment is reminded for its new day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from midoffice.appointments.invitations import KIND_REMINDER, citizen_route, mail_enqueue
from midoffice.appointments.models import Appointment, AppointmentStatus, ParticipantKind
from midoffice.core import clock


def _local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def reminders_send(*, limit: int = 5000) -> int:
    """Queue one reminder for every booked appointment of tomorrow (town time) that has
    none yet; returns how many. Safe to run any number of times, also concurrently."""
    start, end = _local_day_bounds(clock.today() + dt.timedelta(days=1))
    due = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            start__gte=start,
            start__lt=end,
            reminder_sent_at__isnull=True,
        )
        .order_by("start", "id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for appointment_id in due if reminder_send(appointment_id=appointment_id))


@transaction.atomic
def reminder_send(*, appointment_id: int) -> bool:
    """Claim the appointment's reminder (``reminder_sent_at``) and queue it to the
    citizen, in one transaction: a second run finds it claimed and does nothing."""
    claimed = Appointment.objects.filter(
        pk=appointment_id, status=AppointmentStatus.BOOKED, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=clock.now())
    if not claimed:
        return False
    appointment = Appointment.objects.select_related(
        "service", "location", "room", "dossier", "staff", "party"
    ).get(pk=appointment_id)
    citizen = appointment.participants.filter(kind=ParticipantKind.CITIZEN).order_by("id").first()
    if citizen is None:
        return True
    route = citizen_route(appointment, citizen)
    if not route.email:
        return True  # the booking's note on the dossier already says why
    mail_enqueue(
        appointment,
        kind=KIND_REMINDER,
        to=route.email,
        participant=citizen,
        mail=KIND_REMINDER,
        sequence=appointment.sequence,
    )
    return True
