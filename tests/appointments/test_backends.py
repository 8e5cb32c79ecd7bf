"""The agenda behind the bookings: the local backend over our tables, the choice by
setting, and bookings that go through an external agenda (JCC's shape, faked here)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from midoffice.appointments import placement, services
from midoffice.appointments.backends import BACKENDS, get_backend
from midoffice.appointments.backends.base import (
    BackendUnavailable,
    Booked,
    BookingRequest,
    Client,
    SlotTaken,
)
from midoffice.appointments.backends.local import LocalBackend
from midoffice.appointments.models import Appointment, AppointmentStatus
from midoffice.core import clock
from midoffice.core.errors import Conflict, NotFound, UserError
from tests.appointments.factories import give_hours, local, make_location, make_room, make_service
from tests.factories import PartyFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 11)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(services, "invitations_enqueue", lambda *a, **k: None)
    with clock.frozen_at(local(MONDAY, 8)):
        yield


@pytest.fixture
def town(team, dossier_type):
    hall = make_location()
    make_room(hall)
    sofie = UserFactory(teams=[team])
    give_hours(sofie, hall, weekdays=[1], start=dt.time(9), end=dt.time(11))
    service = make_service(
        team, modes=["physical", "digital"], staff=[sofie], dossier_type=dossier_type
    )
    return {"hall": hall, "sofie": sofie, "service": service}


def test_get_backend_follows_the_setting(settings):
    settings.APPOINTMENTS_BACKEND = "local"
    assert isinstance(get_backend(), LocalBackend)
    assert import_string(BACKENDS["jcc"]).__name__ == "JccBackend"  # loaded only when asked
    settings.APPOINTMENTS_BACKEND = "outlook"
    with pytest.raises(ImproperlyConfigured, match="local, jcc"):
        get_backend()


def test_the_local_backend_speaks_the_agenda_contract(town):
    backend = LocalBackend()
    assert [(s.code, s.duration_minutes) for s in backend.services()] == [("bouwadvies", 45)]
    assert [loc.code for loc in backend.locations("bouwadvies")] == ["gemeentehuis"]
    days = backend.available_days("bouwadvies", "gemeentehuis", MONDAY, MONDAY + dt.timedelta(14))
    assert days == [TUESDAY, TUESDAY + dt.timedelta(days=7)]
    times = backend.available_times("bouwadvies", "gemeentehuis", TUESDAY)
    assert [t.start for t in times] == [local(TUESDAY, 9, m) for m in (0, 15, 30, 45)] + [
        local(TUESDAY, 10, m) for m in (0, 15)
    ]
    assert backend.required_client_fields("bouwadvies") == ["name", "email"]
    request = BookingRequest(
        service_code="bouwadvies",
        location_code="gemeentehuis",
        start=local(TUESDAY, 9),
        client=Client(name="Emma De Smet", email="emma@voorbeeld.example"),
    )
    booked = backend.book(request)
    assert booked.start == local(TUESDAY, 9)
    assert booked.location_code == "gemeentehuis"
    with pytest.raises(SlotTaken):
        backend.book(request)
    details = backend.details(booked.external_id)
    assert (details.client.name, details.cancelled) == ("Emma De Smet", False)
    backend.cancel(booked.external_id)
    assert backend.details(booked.external_id).cancelled
    backend.cancel(booked.external_id)  # twice: nothing more happens
    with pytest.raises(NotFound):
        backend.details("abc")
    with pytest.raises(NotFound):
        backend.available_times("bestaat-niet", "", TUESDAY)


class FakeAgenda:
    """An external agenda that books whatever it is asked, or refuses as told."""

    code = "jcc"

    def __init__(self, fail: type[Exception] | None = None) -> None:
        self.fail = fail
        self.booked: list[BookingRequest] = []
        self.cancelled: list[str] = []

    def book(self, request: BookingRequest) -> Booked:
        if self.fail is not None:
            raise self.fail("nee")
        self.booked.append(request)
        return Booked(
            external_id=f"JCC-{len(self.booked)}",
            start=request.start,
            end=request.start + dt.timedelta(minutes=45),
            location_code=request.location_code,
        )

    def cancel(self, external_id: str) -> None:
        self.cancelled.append(external_id)


@pytest.fixture
def external(settings, monkeypatch):
    settings.APPOINTMENTS_BACKEND = "jcc"
    agenda = FakeAgenda()
    monkeypatch.setattr(placement, "get_backend", lambda: agenda)
    return agenda


def _book(town, **kwargs):
    dossier = open_dossier(
        dossier_type=town["service"].dossier_type, requester=PartyFactory(given_name="Noor")
    )
    return services.appointment_book(
        actor=None,
        service=town["service"],
        mode="physical",
        start=local(TUESDAY, 15),  # outside Sofie's hours: JCC decides, not our hours
        dossier=dossier,
        citizen_email="noor@voorbeeld.example",
        **kwargs,
    )


def test_an_external_agenda_books_and_we_keep_the_row(town, external):
    appointment = _book(town)
    assert (appointment.backend, appointment.external_id) == ("jcc", "JCC-1")
    assert appointment.staff == town["sofie"]
    assert appointment.location == town["hall"]
    request = external.booked[0]
    assert request.start == local(TUESDAY, 15)
    assert request.location_code == "gemeentehuis"
    assert request.client.email == "noor@voorbeeld.example"
    services.appointment_cancel(actor=None, appointment=appointment)
    assert external.cancelled == ["JCC-1"]
    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED


def test_an_external_refusal_is_our_slot_taken_and_an_outage_a_clear_error(town, external):
    external.fail = SlotTaken
    with pytest.raises(Conflict) as caught:
        _book(town)
    assert caught.value.code == "slot_taken"
    external.fail = BackendUnavailable
    with pytest.raises(UserError, match="agenda is nu niet bereikbaar"):
        _book(town)
    assert not Appointment.objects.exists()


def test_a_failure_after_the_external_booking_cancels_it_there(town, external, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("mail queue broken")

    monkeypatch.setattr(services, "invitations_enqueue", broken)
    with pytest.raises(RuntimeError):
        _book(town)
    assert external.cancelled == ["JCC-1"]
    assert not Appointment.objects.exists()


def test_moving_an_external_booking_books_anew_then_cancels_the_old(town, external):
    appointment = _book(town)
    moved = services.appointment_reschedule(
        actor=None, appointment=appointment, start=local(TUESDAY, 16)
    )
    assert (moved.external_id, moved.sequence) == ("JCC-2", 1)
    assert external.cancelled == ["JCC-1"]
