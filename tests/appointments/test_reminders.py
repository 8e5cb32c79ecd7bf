"""The reminder the day before: once per appointment, through the outbox, with the link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from midoffice.appointments import reminders
from midoffice.appointments.invitations import KIND_REMINDER, TOPIC
from midoffice.appointments.models import Appointment
from midoffice.appointments.reminders import reminders_send
from midoffice.appointments.tasks import appointment_reminders_task
from midoffice.core import clock
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_sweep
from midoffice.core.schedule import PERIODIC_JOBS
from midoffice.dossiers.models import Interaction
from tests.appointments.itip_support import cancel, local, make_appointment, reschedule

# Monday 11 May 2026, 09:05 in Leemdonk.
NOW = local(2026, 5, 11, 9, 5)


def _reminders() -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(topic=TOPIC, payload__kind=KIND_REMINDER).order_by("id")
    )


@pytest.fixture
def week(db):
    """Appointments today, tomorrow (three, one cancelled), the day after."""
    made = {
        "today": make_appointment(start=local(2026, 5, 11, 14)),
        "tomorrow_early": make_appointment(start=local(2026, 5, 12, 0, 15)),
        "tomorrow": make_appointment(start=local(2026, 5, 12, 10)),
        "tomorrow_late": make_appointment(start=local(2026, 5, 12, 23, 30), minutes=15),
        "cancelled": make_appointment(start=local(2026, 5, 12, 11)),
        "day_after": make_appointment(start=local(2026, 5, 13, 0, 0)),
    }
    cancel(made["cancelled"])
    OutboxMessage.objects.all().delete()  # the bookings' own mails are not the point here
    return made


def test_each_booked_appointment_of_tomorrow_gets_one_reminder(week):
    with clock.frozen_at(NOW):
        assert reminders_send() == 3
        assert reminders_send() == 0  # idempotent: claimed through reminder_sent_at
    reminded = set(Appointment.objects.exclude(reminder_sent_at=None).values_list("id", flat=True))
    assert reminded == {week[k].pk for k in ("tomorrow_early", "tomorrow", "tomorrow_late")}
    assert Appointment.objects.get(pk=week["tomorrow"].pk).reminder_sent_at == NOW
    assert [m.payload["to"] for m in _reminders()] == ["emma.peeters@example.org"] * 3


def test_the_reminder_mail_names_the_time_and_holds_the_manage_link(week):
    with clock.frozen_at(NOW):
        reminders_send()
        outbox_sweep()
    sent = [m for m in mail.outbox if "Herinnering" in m.subject]
    assert len(sent) == 3
    tomorrow = next(m for m in sent if "morgen om 10.00" in m.subject)
    assert tomorrow.subject.startswith(f"[{week['tomorrow'].dossier.reference}] Herinnering:")
    assert "We verwachten je morgen voor je afspraak." in tomorrow.body
    assert "dinsdag 12 mei 2026 van 10.00 tot 10.45 uur" in tomorrow.body
    assert "/mijn/afspraak/beheer/" in tomorrow.body
    assert not tomorrow.alternatives
    assert not tomorrow.attachments
    reminder_moments = Interaction.objects.filter(summary="Herinnering aan de afspraak verstuurd")
    assert reminder_moments.count() == 3


def test_the_day_before_the_clock_change_counts_its_23_hours(db):
    """Sunday 29 March 2026 has 23 hours: the day's bounds are local midnights."""
    late = make_appointment(start=local(2026, 3, 29, 23, 30), minutes=15)
    early = make_appointment(start=local(2026, 3, 29, 0, 30))
    monday = make_appointment(start=local(2026, 3, 30, 0, 0))
    with clock.frozen_at(local(2026, 3, 28, 12)):
        assert reminders_send() == 2
    assert set(Appointment.objects.exclude(reminder_sent_at=None).values_list("id", flat=True)) == {
        late.pk,
        early.pk,
    }
    assert Appointment.objects.get(pk=monday.pk).reminder_sent_at is None


def test_a_moved_appointment_is_reminded_again_for_its_new_day(db):
    appointment = make_appointment(start=local(2026, 5, 12, 10))
    with clock.frozen_at(NOW):
        reminders_send()
    # The booking services clear reminder_sent_at on a reschedule (services.py).
    appointment.reminder_sent_at = None
    reschedule(appointment, start=local(2026, 5, 13, 10))
    with clock.frozen_at(NOW + dt.timedelta(days=1)):
        assert reminders_send() == 1


def test_a_citizen_without_a_usable_address_is_claimed_but_not_mailed(db):
    make_appointment(start=local(2026, 5, 12, 10), citizen_email="")
    with clock.frozen_at(NOW):
        assert reminders_send() == 1
        assert reminders_send() == 0
    assert _reminders() == []


def test_the_reminder_is_a_periodic_job_in_the_day(db):
    (job,) = [j for j in PERIODIC_JOBS if j.name == "appointment-reminders"]
    assert job.task == "midoffice.appointments.tasks.appointment_reminders_task"
    assert job.cron == "5 8-20 * * *"
    make_appointment(start=local(2026, 5, 12, 10))
    with clock.frozen_at(NOW):
        assert appointment_reminders_task.call() == 1


def test_two_runs_at_once_send_one_reminder(db, monkeypatch):
    """The second run finds the appointment claimed between its read and its claim."""
    appointment = make_appointment(start=local(2026, 5, 12, 10))
    original = reminders.reminder_send

    def racing(*, appointment_id: int) -> bool:
        # Another worker claims it first.
        assert original(appointment_id=appointment_id)
        return original(appointment_id=appointment_id)

    monkeypatch.setattr(reminders, "reminder_send", racing)
    with clock.frozen_at(NOW):
        assert reminders_send() == 0
    assert len(_reminders()) == 1
    assert Appointment.objects.get(pk=appointment.pk).reminder_sent_at == NOW
