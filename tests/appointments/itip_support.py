"""Helpers for the invitation tests: appointments to build, and the independent checks.

Every generated ``.ics`` is read by two parsers that are not its generator (icalendar):
Debian's libical through GObject introspection (``libical_check.py`` under the system
Python, which has ``python3-gi``; its iTIP ``restriction_check`` and its parse errors),
and PyPI ``ical``. Plus our own check that every TZID used has its VTIMEZONE, which
libical does not make (it falls back on its own zone data).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream

from midoffice.appointments import ical as itip
from midoffice.appointments.invitations import invitations_enqueue
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Mode,
    Participant,
    ParticipantKind,
    Room,
    Service,
)
from tests.factories import DossierTypeFactory, PartyFactory, TeamFactory, UserFactory, open_dossier

BRUSSELS = ZoneInfo("Europe/Brussels")
SYSTEM_PYTHON = "/usr/bin/python3"
CHECKER = Path(__file__).with_name("libical_check.py")


@cache
def _libical_missing() -> str:
    probe = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=60, check=False
        )
    except FileNotFoundError:
        return f"{SYSTEM_PYTHON} not found"
    if done.returncode:
        return "libical through GObject introspection is missing (gir1.2-ical-3.0, python3-gi)"
    return ""


def libical_reports(*objects: bytes) -> list[dict[str, Any]]:
    """What libical says of each object (see ``libical_check.py``)."""
    missing = _libical_missing()
    if missing:
        pytest.skip(f"{missing}: run scripts/test-system-deps.sh as root")
    with tempfile.TemporaryDirectory(prefix="ics-") as folder:
        paths = []
        for number, data in enumerate(objects):
            path = Path(folder) / f"{number}.ics"
            path.write_bytes(data)
            paths.append(str(path))
        done = subprocess.run(
            [SYSTEM_PYTHON, str(CHECKER), *paths],
            capture_output=True,
            timeout=120,
            check=False,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
    assert done.returncode == 0, done.stderr.decode()
    reports: list[dict[str, Any]] = json.loads(done.stdout)
    return reports


def ical_parse(data: bytes) -> IcalCalendar:
    """PyPI ``ical`` reads the object (it raises on what it cannot parse)."""
    return IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))


def check_ics(*objects: bytes) -> list[dict[str, Any]]:
    """All three checks on every object; returns libical's reports for further asserts."""
    for data in objects:
        assert itip.tzids_without_vtimezone(data) == set()
        assert b"\r\n" in data
        assert b"\n" not in data.replace(b"\r\n", b"")
        ical_parse(data)
    reports = libical_reports(*objects)
    for report in reports:
        assert report["parsed"], report
        assert report["parse_errors"] == [], report["parse_errors"]
        assert report["restriction_errors"] == [], report["restriction_errors"]
        assert report["restriction_ok"] is True
    return reports


def utc(report_time: dict[str, Any]) -> str:
    """libical's UTC value (``20260327T090000``, without the Z it leaves off)."""
    return str(report_time["utc"]).removesuffix("Z")


# --- Appointments ----------------------------------------------------------------------


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def make_appointment(
    *,
    mode: str = Mode.PHYSICAL,
    start: dt.datetime | None = None,
    minutes: int = 45,
    citizen_email: str = "emma.peeters@example.org",
    guests: tuple[tuple[str, str], ...] = (),
    staff_email: str = "sofie.desmet@leemdonk.example",
    with_dossier: bool = True,
    party_kwargs: dict[str, Any] | None = None,
    video_url: str = "",
    citizen_partstat: str = "ACCEPTED",
) -> Appointment:
    """An appointment as the booking services leave it (participants saved), without
    queueing anything: call ``invitations_enqueue`` (or ``book``) for that."""
    team = TeamFactory(code="omgeving", name="Omgeving")
    staff = UserFactory(first_name="Sofie", last_name="De Smet", email=staff_email, teams=[team])
    service = Service.objects.create(
        code=f"bouwadvies-{Service.objects.count()}",
        name="Bouwadvies",
        description="We bekijken samen je plannen.",
        duration_minutes=minutes,
        allow_physical=True,
        allow_digital=True,
        allow_hybrid=True,
        team=team,
    )
    location = Location.objects.create(
        code=f"gemeentehuis-{Location.objects.count()}",
        name="Gemeentehuis",
        street="Marktplein",
        number="1",
        postcode="2640",
        municipality="Leemdonk",
        directions="Ingang links van de kerk; meld je aan het onthaal.",
    )
    room = Room.objects.create(location=location, name="Zaal Schelde", hybrid=True)
    party = PartyFactory(given_name="Emma", family_name="Peeters", **(party_kwargs or {}))
    dossier = (
        open_dossier(
            dossier_type=DossierTypeFactory(team=team), requester=party, subject="Verbouwing"
        )
        if with_dossier
        else None
    )
    start = start or local(2026, 5, 12, 10)
    appointment = Appointment.objects.create(
        service=service,
        dossier=dossier,
        party=party,
        mode=mode,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        busy_until=start + dt.timedelta(minutes=minutes),
        staff=staff,
        location=None if mode == Mode.DIGITAL else location,
        room=None if mode == Mode.DIGITAL else room,
        video_url=video_url
        or (
            ""
            if mode == Mode.PHYSICAL
            else "https://meet.jit.si/leemdonk-abcdefghijklmnopqrstuvwxyz"
        ),
    )
    Participant.objects.create(
        appointment=appointment,
        kind=ParticipantKind.CITIZEN,
        name="Emma Peeters",
        email=citizen_email,
        partstat=citizen_partstat,
    )
    Participant.objects.create(
        appointment=appointment,
        kind=ParticipantKind.STAFF,
        name="Sofie De Smet",
        email=staff_email,
        partstat="ACCEPTED",
    )
    for name, email in guests:
        Participant.objects.create(
            appointment=appointment,
            kind=ParticipantKind.GUEST,
            name=name,
            email=email,
            joins_remotely=mode == Mode.HYBRID,
        )
    return appointment


def book(**kwargs: Any) -> Appointment:
    appointment = make_appointment(**kwargs)
    invitations_enqueue(appointment)
    return appointment


def reschedule(appointment: Appointment, *, start: dt.datetime) -> Appointment:
    """What the booking services do on a move: new time, SEQUENCE up, invitations."""
    before = list(appointment.participants.all())
    length = appointment.end - appointment.start
    appointment.start, appointment.end = start, start + length
    appointment.busy_until = appointment.end
    appointment.sequence += 1
    appointment.save()
    invitations_enqueue(appointment, previous_participants=before)
    return appointment


def cancel(appointment: Appointment, *, reason: str = "") -> Appointment:
    before = list(appointment.participants.all())
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason
    appointment.sequence += 1
    appointment.save()
    invitations_enqueue(appointment, previous_participants=before)
    return appointment
