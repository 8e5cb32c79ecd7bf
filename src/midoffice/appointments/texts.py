"""How an appointment is said in Dutch, for the timeline and the citizen: "Afspraak op
dinsdag 12 januari om 10.00 uur (Bouwadvies, Gemeentehuis Leemdonk)".

Written out here rather than through the locale, so the words are the same in a worker,
a test and the web process whatever language is active.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from midoffice.appointments.models import Appointment, Mode, Weekday
from midoffice.core import clock

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def day_text(day: dt.date) -> str:
    """ "dinsdag 12 januari" (with the year when it is not this year)."""
    text = f"{Weekday(day.weekday()).label} {day.day} {MONTHS[day.month - 1]}"
    return text if day.year == clock.today().year else f"{text} {day.year}"


def time_text(moment: dt.datetime) -> str:
    """ "10.00 uur", in the town's time."""
    local = timezone.localtime(moment)
    return f"{local:%H.%M} uur"


def when_text(moment: dt.datetime) -> str:
    """ "dinsdag 12 januari om 10.00 uur", in the town's time."""
    local = timezone.localtime(moment)
    return f"{day_text(local.date())} om {time_text(local)}"


def where_text(appointment: Appointment) -> str:
    """Where it takes place: the location, "via video", or both for a hybrid meeting."""
    place = appointment.location.name if appointment.location else ""
    if appointment.mode == Mode.DIGITAL or not place:
        return "via video"
    if appointment.mode == Mode.HYBRID:
        return f"{place} of via video"
    return place


def appointment_summary(appointment: Appointment, *, lead: str = "Afspraak op") -> str:
    """ "Afspraak op dinsdag 12 januari om 10.00 uur (Bouwadvies, Gemeentehuis Leemdonk)"."""
    return (
        f"{lead} {when_text(appointment.start)} "
        f"({appointment.service.name}, {where_text(appointment)})"
    )
