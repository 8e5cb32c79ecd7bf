"""The appointment as an iTIP object (RFC 5545, 5546, 6047 and 7986's CONFERENCE).

Two layers, as everywhere here: :func:`itip_build` turns plain data (:class:`ItipEvent`)
into an ``icalendar.Calendar`` without touching the database, and :func:`itip_event`
reads an appointment into that data. What goes in and why is ADR 0016.

* ``METHOD:REQUEST`` for a booking or a change, ``METHOD:CANCEL`` (with
  ``STATUS:CANCELLED``) when the appointment is cancelled, or — without ``STATUS`` — to
  the participants a change removed ("uninvite", RFC 5546 §3.2.5).
* One stable ``UID`` per appointment; ``SEQUENCE`` is the appointment's, raised by the
  booking services on every change.
* ``DTSTART``/``DTEND`` in the town's time zone (``TZID=Europe/Brussels``) with a
  ``VTIMEZONE`` from zoneinfo, built by ``vtimezone`` (not icalendar's: see there).
* The town is the ``ORGANIZER`` (it is also the mail's ``From``, as RFC 6047 wants);
  every participant is an ``ATTENDEE`` and the room is ``ATTENDEE;CUTYPE=ROOM``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vUri

from midoffice.appointments import vtimezone
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Mode,
    Participant,
    ParticipantKind,
    Room,
    Weekday,
)
from midoffice.appointments.texts import MONTHS
from midoffice.core.display import display_text

PRODID = "-//Midoffice//Afspraken//NL"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
METHODS = (REQUEST, CANCEL)
PARTSTATS = ("NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED")
# A namespace for the calendar addresses of rooms and of people without an e-mail address.
_ADDRESS_NS = uuid.UUID("0e6f2f8c-4d63-5c1b-9a55-6d6964306666")

ROLE_BY_KIND = {
    ParticipantKind.CITIZEN: "REQ-PARTICIPANT",
    ParticipantKind.STAFF: "REQ-PARTICIPANT",
    # The architect or another guest the citizen brings: welcome, not needed to meet.
    ParticipantKind.GUEST: "OPT-PARTICIPANT",
}


@dataclass(frozen=True)
class Attendee:
    """One ``ATTENDEE``: a calendar address (``mailto:`` or ``urn:uuid:``) and its params."""

    address: str
    name: str
    role: str = "REQ-PARTICIPANT"
    partstat: str = "NEEDS-ACTION"
    rsvp: bool = False
    cutype: str = "INDIVIDUAL"

    @property
    def email(self) -> str:
        return self.address.removeprefix("mailto:") if self.address.startswith("mailto:") else ""


@dataclass(frozen=True)
class ItipEvent:
    """Everything one iTIP message says, as plain data (aware datetimes)."""

    method: str
    uid: str
    sequence: int
    stamp: dt.datetime
    start: dt.datetime
    end: dt.datetime
    summary: str
    organizer_email: str
    organizer_name: str
    attendees: tuple[Attendee, ...]
    tzid: str = "Europe/Brussels"
    description: str = ""
    location: str = ""
    video_url: str = ""
    #: CONFIRMED for a request, CANCELLED when the whole appointment is cancelled, and
    #: "" for a CANCEL that only uninvites some attendees (RFC 5546 forbids STATUS there).
    status: str = "CONFIRMED"
    categories: tuple[str, ...] = field(default_factory=tuple)


# --- The calendar object ---------------------------------------------------------------


def _param_text(value: str) -> str:
    """A parameter value may not hold a double quote or control characters (RFC 5545
    §3.1: param-value); names come from citizens."""
    return display_text(value, "").replace('"', "'")


def _address(attendee: Attendee) -> vCalAddress:
    address = vCalAddress(attendee.address)
    if attendee.name:
        address.params["CN"] = _param_text(attendee.name)
    address.params["CUTYPE"] = attendee.cutype
    address.params["ROLE"] = attendee.role
    address.params["PARTSTAT"] = attendee.partstat
    address.params["RSVP"] = "TRUE" if attendee.rsvp else "FALSE"
    return address


def itip_build(event: ItipEvent) -> Calendar:
    """The iTIP object for ``event``: VCALENDAR with METHOD, one VTIMEZONE, one VEVENT."""
    if event.method not in METHODS:
        raise ValueError(f"unsupported iTIP method {event.method!r}")
    zone = ZoneInfo(event.tzid)
    start = event.start.astimezone(zone)
    end = event.end.astimezone(zone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", event.method)
    # Cover the calendar years the event touches (and the year before its start, through
    # the observance in force on 1 January).
    cal.add_component(
        vtimezone.vtimezone(
            event.tzid, first=dt.date(start.year, 1, 1), last=dt.date(end.year, 12, 31)
        )
    )
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamp.astimezone(dt.UTC))
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    if event.video_url:
        conference = vUri(event.video_url)
        conference.params["VALUE"] = "URI"
        conference.params["FEATURE"] = "VIDEO"
        conference.params["LABEL"] = "Videogesprek"
        vevent.add("conference", conference)
    organizer = vCalAddress(f"mailto:{event.organizer_email}")
    organizer.params["CN"] = _param_text(event.organizer_name)
    vevent.add("organizer", organizer)
    for attendee in event.attendees:
        vevent.add("attendee", _address(attendee))
    if event.status:
        vevent.add("status", event.status)
    vevent.add("transp", "OPAQUE")
    if event.categories:
        vevent.add("categories", list(event.categories))
    cal.add_component(vevent)
    return cal


def ics_bytes(cal: Calendar) -> bytes:
    """The object as it goes on the wire (CRLF line ends, lines folded at 75 octets)."""
    return bytes(cal.to_ical())


def tzids_without_vtimezone(ics: bytes | str) -> set[str]:
    """Every TZID a property refers to that has no VTIMEZONE in the object (should be none).

    libical does not check this (it falls back on its own zone data), and a client
    without that data would then place the appointment in UTC or floating time.
    """
    cal = Calendar.from_ical(ics)
    return set(cal.get_missing_tzids())


# --- From an appointment ---------------------------------------------------------------


def organizer() -> tuple[str, str]:
    """The town as organizer: the address and name of ``DEFAULT_FROM_EMAIL``."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address, name or settings.TOWN_NAME


def _synthetic_address(seed: str) -> str:
    """A calendar address for what has no mailbox (a room, a citizen without e-mail):
    stable, unique, and not an address any client would try to mail."""
    return f"urn:uuid:{uuid.uuid5(_ADDRESS_NS, seed)}"


def room_attendee(appointment: Appointment, room: Room) -> Attendee:
    return Attendee(
        address=_synthetic_address(f"room:{room.pk}@{appointment.uid}"),
        name=room_label(room),
        role="NON-PARTICIPANT",
        partstat="ACCEPTED",  # booked by us together with the appointment
        rsvp=False,
        cutype="ROOM",
    )


def room_label(room: Room) -> str:
    return f"{room.name}, {room.location.name}"


def participant_attendee(
    appointment: Appointment, participant: Participant, *, reply_wanted: bool = True
) -> Attendee:
    partstat = participant.partstat if participant.partstat in PARTSTATS else "NEEDS-ACTION"
    email = participant.email.strip()
    return Attendee(
        address=f"mailto:{email}"
        if email
        else _synthetic_address(f"participant:{participant.pk}@{appointment.uid}"),
        name=participant.name,
        role=ROLE_BY_KIND.get(ParticipantKind(participant.kind), "REQ-PARTICIPANT"),
        partstat=partstat,
        # A reply is wanted from whoever has not said yes or no yet, and can answer.
        rsvp=reply_wanted and bool(email) and partstat == "NEEDS-ACTION",
    )


def location_text(appointment: Appointment) -> str:
    """Where: the room and the address for the town hall, the link for a video call."""
    if appointment.mode == Mode.DIGITAL or appointment.location is None:
        return appointment.video_url
    place = appointment.location
    street = " ".join(p for p in (place.street, place.number) if p)
    town = " ".join(p for p in (place.postcode, place.municipality) if p)
    parts = [appointment.room.name if appointment.room else "", place.name, street, town]
    return ", ".join(p for p in parts if p)


def when_text(start: dt.datetime, end: dt.datetime) -> str:
    """``dinsdag 31 maart 2026 van 10.00 tot 10.45 uur``, in the town's time zone (the
    words of ``texts``, always with the year: a calendar entry is read later)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    weekday = Weekday(local_start.weekday()).label
    day = f"{weekday} {local_start.day} {MONTHS[local_start.month - 1]} {local_start.year}"
    return f"{day} van {local_start:%H.%M} tot {local_end:%H.%M} uur"


def description_text(appointment: Appointment) -> str:
    """The Dutch text every participant sees in their calendar."""
    lines = [appointment.service.name, ""]
    if appointment.dossier_id is not None and appointment.dossier is not None:
        lines.append(f"Dossier: {appointment.dossier.reference}")
    lines.append(f"Wanneer: {when_text(appointment.start, appointment.end)}")
    if appointment.mode in (Mode.PHYSICAL, Mode.HYBRID) and appointment.location is not None:
        lines.append(f"Waar: {location_text(appointment)}")
        if appointment.location.directions:
            lines.append(f"Hoe vind je ons: {appointment.location.directions}")
    if appointment.video_url:
        if appointment.mode == Mode.HYBRID:
            lines.append(
                "Je kan naar de zaal komen of deelnemen via video. "
                f"Videolink: {appointment.video_url}"
            )
        else:
            lines.append(f"Deelnemen via video: {appointment.video_url}")
        lines.append("Je hebt alleen een browser nodig, met camera en microfoon.")
    lines += ["", "Breng mee:"]
    lines.append(
        "- je identiteitskaart"
        if appointment.mode == Mode.PHYSICAL
        else "- je identiteitskaart (als je naar de zaal komt)"
    )
    if appointment.dossier_id is not None and appointment.dossier is not None:
        lines.append(f"- het dossiernummer {appointment.dossier.reference}")
    lines.append("- plannen, foto's of documenten waarover je een vraag hebt")
    if appointment.service.description:
        lines += ["", appointment.service.description.strip()]
    return "\n".join(lines)


def summary_text(appointment: Appointment) -> str:
    town = settings.TOWN_NAME
    return f"{appointment.service.name} – {town}"


def itip_event(
    appointment: Appointment,
    *,
    method: str,
    stamp: dt.datetime,
    only: Sequence[Attendee] | None = None,
) -> ItipEvent:
    """The appointment as an iTIP message.

    ``method`` REQUEST or CANCEL; ``only`` (with CANCEL): the attendees a change removed —
    they alone are named, and the object has no STATUS (RFC 5546 §3.2.5, "uninvite").
    """
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    if method == REQUEST and cancelled:
        raise ValueError("a cancelled appointment is sent as CANCEL")
    if only is not None:
        attendees = tuple(only)
        status = ""
    else:
        reply_wanted = method == REQUEST
        participants = list(appointment.participants.order_by("id"))
        attendees = tuple(
            participant_attendee(appointment, p, reply_wanted=reply_wanted) for p in participants
        )
        if not any(p.kind == ParticipantKind.STAFF for p in participants):
            staff = appointment.staff
            attendees += (
                Attendee(
                    address=f"mailto:{staff.email}"
                    if staff.email
                    else _synthetic_address(f"staff:{staff.pk}@{appointment.uid}"),
                    name=staff.get_full_name() or staff.username,
                    partstat="ACCEPTED",
                ),
            )
        if appointment.room is not None and appointment.mode != Mode.DIGITAL:
            attendees += (room_attendee(appointment, appointment.room),)
        status = "CANCELLED" if method == CANCEL else "CONFIRMED"
    address, name = organizer()
    return ItipEvent(
        method=method,
        uid=appointment.uid,
        sequence=appointment.sequence,
        stamp=stamp,
        start=appointment.start,
        end=appointment.end,
        tzid=settings.TIME_ZONE,
        summary=summary_text(appointment),
        description=description_text(appointment),
        location=location_text(appointment),
        video_url=appointment.video_url if appointment.mode != Mode.PHYSICAL else "",
        organizer_email=address,
        organizer_name=name,
        attendees=attendees,
        status=status,
    )


def appointment_ics(
    appointment: Appointment,
    *,
    stamp: dt.datetime,
    only: Sequence[Attendee] | None = None,
) -> bytes:
    """The appointment's current iTIP object: REQUEST, or CANCEL once cancelled."""
    method = CANCEL if (appointment.status == AppointmentStatus.CANCELLED or only) else REQUEST
    return ics_bytes(itip_build(itip_event(appointment, method=method, stamp=stamp, only=only)))
