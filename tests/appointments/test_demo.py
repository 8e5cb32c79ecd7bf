"""The demo town has appointments to try: services, rooms, hours, questions, bookings."""

from __future__ import annotations

import pytest

from midoffice.appointments import questions
from midoffice.appointments.demo import load_demo_appointments
from midoffice.appointments.models import (
    Appointment,
    BookingQuestion,
    Mode,
    ParticipantKind,
    Room,
    Service,
    WorkingHours,
)
from midoffice.dossiers.models import EventKind
from midoffice.web.demo import load_demo_data

pytestmark = pytest.mark.django_db


def test_the_demo_has_appointments_and_loading_twice_adds_nothing():
    added = load_demo_data()
    assert added["appointment services"] == 3
    assert added["appointments"] == 3
    counts = [
        m.objects.count() for m in (Service, Room, WorkingHours, BookingQuestion, Appointment)
    ]
    assert load_demo_appointments() == {
        "appointment services": 0,
        "rooms": 0,
        "working hours": 0,
        "questions": 0,
        "appointments": 0,
    }
    assert [
        m.objects.count() for m in (Service, Room, WorkingHours, BookingQuestion, Appointment)
    ] == counts

    raadzaal = Room.objects.get(name="Raadzaal")
    assert raadzaal.hybrid
    assert raadzaal.location.name == "Gemeentehuis Leemdonk"
    hybrid = Appointment.objects.get(mode=Mode.HYBRID)
    assert hybrid.room == raadzaal
    assert hybrid.video_url
    guest = hybrid.participants.get(kind=ParticipantKind.GUEST)
    assert "architect" in guest.name
    assert guest.joins_remotely
    assert hybrid.dossier.events.filter(kind=EventKind.APPOINTMENT_BOOKED, public=True).exists()
    moved = Appointment.objects.get(sequence=1)
    assert moved.dossier.events.filter(kind=EventKind.APPOINTMENT_RESCHEDULED).exists()
    opened = Appointment.objects.get(service__code="identiteitskaart")
    assert opened.dossier.channel == "appointment"
    assert opened.dossier.dossier_type.code == "vraag-burgerzaken"


def test_the_demo_question_tree_leads_somewhere_for_every_first_answer():
    load_demo_data()
    first = questions.questions_for({})
    assert first.text == "Waarvoor wil je een afspraak?"
    outcomes = {}
    for answer in first.answers.all():
        given = {first.code: answer.code}
        while (question := questions.questions_for(given)) is not None:
            given[question.code] = question.answers.all()[0].code
        outcome = questions.decide(given)
        outcomes[answer.code] = outcome.service.code if outcome.service else outcome.info_page.slug
    assert outcomes == {
        "verbouwen": "bouwadvies",
        "identiteitskaart": "identiteitskaart",
        "adres": "adreswijziging-online",
        "anders": "onthaal",
    }
