"""Through the booking services: book, move, cancel a hybrid meeting with the architect."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail

from midoffice.appointments.invitations import TOPIC, invitation_as_sent
from midoffice.appointments.models import Mode
from midoffice.appointments.services import (
    Guest,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from midoffice.core import clock
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_sweep
from tests.appointments.factories import give_hours, make_location, make_room, make_service
from tests.appointments.itip_support import check_ics, local
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory

NOW = local(2026, 3, 23, 8)  # Monday of the week summer time starts


def _itip(appointment) -> list[dict]:
    messages = OutboxMessage.objects.filter(
        topic=TOPIC, ordering_key=f"appointment:{appointment.pk}", payload__kind="itip"
    ).order_by("id")
    return [m.payload for m in messages]


def test_book_move_cancel_a_hybrid_meeting_across_the_clock_change(db, settings):
    settings.VIDEO_HOST = "video.leemdonk.example"
    team = TeamFactory(code="omgeving", name="Omgeving")
    staff = UserFactory(
        first_name="Sofie", last_name="De Smet", email="sofie@leemdonk.example", teams=[team]
    )
    town_hall = make_location()
    make_room(town_hall, "Zaal Schelde", hybrid=True)
    service = make_service(
        team,
        modes=("physical", "hybrid"),
        staff=[staff],
        dossier_type=DossierTypeFactory(team=team),
    )
    give_hours(staff, town_hall, weekdays=range(5), start=dt.time(9), end=dt.time(12))
    with clock.frozen_at(NOW):
        appointment = appointment_book(
            actor=None,
            service=service,
            mode=Mode.HYBRID,
            start=local(2026, 3, 27, 10),
            citizen_name="Emma Peeters",
            citizen_email="emma.peeters@example.org",
            guests=[Guest(name="Jan Claes", email="jan@claes.example", joins_remotely=True)],
        )
        assert re.fullmatch(
            r"https://video\.leemdonk\.example/leemdonk-[a-z2-7]{26}", appointment.video_url
        )
        appointment = appointment_reschedule(
            actor=None, appointment=appointment, start=local(2026, 3, 30, 10)
        )
        appointment = appointment_cancel(actor=None, appointment=appointment, reason="Opgelost")
        outbox_sweep()

    payloads = _itip(appointment)
    assert [(p["sequence"], p["method"]) for p in payloads] == [
        (0, "REQUEST"),
        (0, "REQUEST"),
        (0, "REQUEST"),
        (1, "REQUEST"),
        (1, "REQUEST"),
        (1, "REQUEST"),
        (2, "CANCEL"),
        (2, "CANCEL"),
        (2, "CANCEL"),
    ]
    assert len(mail.outbox) == 9
    reports = check_ics(*(p["ics"].encode() for p in payloads[::3]))
    booked, moved, cancelled = (r["events"][0] for r in reports)
    assert booked["uid"] == moved["uid"] == cancelled["uid"] == appointment.uid
    # Friday 10:00 CET is 09:00 UTC; Monday 10:00 CEST is 08:00 UTC.
    assert booked["dtstart"]["utc"].startswith("20260327T090000")
    assert moved["dtstart"]["utc"].startswith("20260330T080000")
    assert cancelled["status"] == "CANCELLED"
    roles = {a["CN"]: (a["ROLE"], a.get("CUTYPE")) for a in booked["attendees"]}
    assert roles["Jan Claes"] == ("OPT-PARTICIPANT", "INDIVIDUAL")
    assert roles["Zaal Schelde, Gemeentehuis Leemdonk"] == ("NON-PARTICIPANT", "ROOM")
    assert invitation_as_sent(appointment) == payloads[-1]["ics"].encode()
