"""The staff's appointment pages (/agenda/…): the agenda per person, room and location,
the front desk's list of today, booking/moving/cancelling for a dossier, and access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from midoffice.appointments import services
from midoffice.appointments.models import Appointment, AppointmentStatus
from midoffice.core import clock
from midoffice.dossiers.models import EventKind
from tests.appointments.factories import local
from tests.appointments.pages_town import pages_town
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 11)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def now():
    with clock.frozen_at(local(MONDAY, 8)):
        yield


@pytest.fixture
def town(settings):
    settings.DOSIS_ENDPOINT = ""
    return pages_town()


@pytest.fixture
def booked(town):
    return services.appointment_book(
        actor=None,
        service=town.service,
        mode="physical",
        start=local(TUESDAY, 10),
        dossier=town.dossier,
        guests=[services.Guest(name="Pieter Claes", email="pieter@architect.example")],
    )


@pytest.fixture
def stranger(db):
    """A handler of another team: sees none of Omgeving's dossiers."""
    return UserFactory(username="karel", teams=[TeamFactory(code="welzijn", name="Welzijn")])


def _text(response) -> str:
    return response.content.decode()


def test_the_agenda_shows_a_persons_day_and_week(client, town, booked):
    client.force_login(town.sofie)
    assert client.get("/agenda/").url == f"/agenda/medewerker/{town.sofie.pk}/"
    day = _text(client.get(f"/agenda/medewerker/{town.sofie.pk}/", {"datum": "2027-01-12"}))
    assert "<caption" in day
    assert "dinsdag 12 januari 2027" in day
    assert '<th scope="col">Tijd</th>' in day
    assert "10:00–10:45" in day
    assert "Emma De Smet" in day
    assert town.dossier.reference in day
    assert reverse("appointments:appointment", args=[booked.pk]) in day
    # previous / next day links and the plain date picker
    assert "datum=2027-01-11&amp;weergave=dag" in day
    assert "datum=2027-01-13&amp;weergave=dag" in day
    assert 'type="date"' in day
    assert 'action="/agenda/"' in day
    week = _text(
        client.get(
            f"/agenda/medewerker/{town.sofie.pk}/", {"datum": "2027-01-13", "weergave": "week"}
        )
    )
    assert "Week van maandag 11 januari 2027 tot zondag 17 januari 2027" in week
    assert '<th scope="row">10:00</th>' in week
    assert "10:00–10:45 Bouwadvies" in week
    assert "datum=2027-01-06&amp;weergave=week" in week
    empty = _text(client.get(f"/agenda/medewerker/{town.sofie.pk}/", {"datum": "2027-01-13"}))
    assert "Geen afspraken op deze dag." in empty


def test_the_agenda_per_room_and_location_and_the_picker(client, town, booked):
    client.force_login(town.front_desk)
    room = _text(client.get(f"/agenda/zaal/{town.room.pk}/", {"datum": "2027-01-12"}))
    assert "Agenda van Spreekkamer 1 (Gemeentehuis Leemdonk)" in room
    assert "10:00–10:45" in room
    hybrid = _text(client.get(f"/agenda/zaal/{town.hybrid_room.pk}/", {"datum": "2027-01-12"}))
    assert "10:00–10:45" not in hybrid
    place = _text(client.get("/agenda/locatie/gemeentehuis/", {"datum": "2027-01-12"}))
    assert "Agenda van Gemeentehuis Leemdonk" in place
    assert "10:00–10:45" in place
    response = client.get(
        "/agenda/", {"agenda": f"zaal:{town.room.pk}", "datum": "2027-01-12", "weergave": "week"}
    )
    assert response.url == f"/agenda/zaal/{town.room.pk}/?datum=2027-01-12&weergave=week"
    response = client.get("/agenda/", {"agenda": "zaal:1", "datum": "31-02-2027"})
    assert response.status_code == 400
    assert "Geef een geldige datum (dd-mm-jjjj)." in _text(response)
    response = client.get("/agenda/", {"agenda": "raket:9"})
    assert "Kies een agenda uit de lijst." in _text(response)
    assert client.get("/agenda/zaal/999/").status_code == 404


def test_another_teams_appointment_is_busy_without_details(client, town, booked, stranger):
    client.force_login(stranger)
    page = _text(client.get(f"/agenda/medewerker/{town.sofie.pk}/", {"datum": "2027-01-12"}))
    assert "Bezet (afspraak van een ander team)" in page
    assert "Emma De Smet" not in page
    assert town.dossier.reference not in page
    assert client.get(reverse("appointments:appointment", args=[booked.pk])).status_code == 404
    assert client.get(f"/agenda/dossiers/{town.dossier.reference}/nieuw/").status_code == 404
    response = client.post(reverse("appointments:cancel", args=[booked.pk]))
    assert response.status_code == 404
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_the_front_desk_marks_arrived_with_a_post(client, town, booked):
    client.force_login(town.front_desk)
    assert client.get("/agenda/").url == "/agenda/onthaal/"
    with clock.frozen_at(local(TUESDAY, 9, 50)):
        page = _text(client.get("/agenda/onthaal/"))
        assert "dinsdag 12 januari 2027: wie komt er naar Gemeentehuis Leemdonk" in page
        assert "Emma De Smet" in page
        assert "Spreekkamer 1" in page
        arrived = reverse("appointments:arrived", args=[booked.pk])
        assert arrived in page
        assert client.get(arrived).status_code == 405  # a GET changes nothing
        booked.refresh_from_db()
        assert booked.status == AppointmentStatus.BOOKED
        response = client.post(arrived, {"next": "/agenda/onthaal/?locatie=gemeentehuis"})
        assert response.url == "/agenda/onthaal/?locatie=gemeentehuis"
        booked.refresh_from_db()
        assert booked.status == AppointmentStatus.ARRIVED
        page = _text(client.get(response.url))
        assert "Emma De Smet is aangemeld." in page
        assert arrived not in page  # no second button
        # Twice: a Dutch message, nothing changes.
        client.post(arrived)
        assert "Deze burger is al aangemeld." in _text(client.get("/agenda/onthaal/"))
    assert booked.dossier.events.filter(kind=EventKind.APPOINTMENT_ARRIVED).count() == 1


def test_the_front_desk_marks_no_show_once_it_began(client, town, booked):
    client.force_login(town.front_desk)
    no_show = reverse("appointments:no-show", args=[booked.pk])
    with clock.frozen_at(local(TUESDAY, 9)):
        client.post(no_show)
        assert "Deze afspraak is nog niet begonnen." in _text(client.get("/agenda/onthaal/"))
    with clock.frozen_at(local(TUESDAY, 10, 20)):
        client.post(no_show)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.NO_SHOW


def test_a_handler_books_for_a_dossier(client, town):
    client.force_login(town.sofie)
    dossier_page = _text(client.get(f"/dossiers/{town.dossier.reference}/"))
    assert "Afspraken" in dossier_page
    assert "Nog geen afspraken." in dossier_page
    url = f"/agenda/dossiers/{town.dossier.reference}/nieuw/"
    assert url in dossier_page
    page = _text(client.get(url))
    assert "Voor dit soort dossier" in page
    assert "Bouwadvies (45 min.)" in page
    page = _text(client.get(url, {"dienst": "bouwadvies", "wijze": "hybrid"}))
    assert 'value="Emma De Smet"' in page
    assert 'value="emma@voorbeeld.example"' in page
    # Staff book without the minimum notice: today's times are offered too.
    assert "maandag 11 januari" in page
    query = "?dienst=bouwadvies&wijze=hybrid"
    data = {
        "action": "book",
        "start": local(MONDAY, 9).isoformat(timespec="minutes"),
        "name": "Emma De Smet",
        "email": "emma@voorbeeld.example",
        "guest_count": "1",
        "guest-0-name": "Pieter Claes",
        "guest-0-email": "pieter@architect.example",
        "guest-0-remote": "on",
    }
    response = client.post(url + query, {**data, "guest-0-email": "pieter@"})
    assert response.status_code == 400
    assert "Dit is geen geldig e-mailadres." in _text(response)
    assert Appointment.objects.count() == 0
    response = client.post(url + query, data)
    assert response.url == f"/dossiers/{town.dossier.reference}/"
    appointment = Appointment.objects.get()
    assert (appointment.dossier, appointment.party) == (town.dossier, town.emma)
    assert (appointment.mode, appointment.room, appointment.booked_by) == (
        "hybrid",
        town.hybrid_room,
        town.sofie,
    )
    assert appointment.participants.get(kind="guest").joins_remotely
    page = _text(client.get(response.url))
    assert "Afspraak gemaakt: Bouwadvies op 11-01-2027 om 09:00." in page
    assert reverse("appointments:appointment", args=[appointment.pk]) in page
    # The same time again: taken, in Dutch, nothing written.
    response = client.post(url + query, data)
    assert response.status_code == 400
    assert "Dit tijdstip is niet (meer) vrij." in _text(response)
    assert Appointment.objects.count() == 1


def test_a_mode_the_service_does_not_allow_is_refused_in_dutch(client, town):
    town.service.allow_hybrid = False
    town.service.save()
    client.force_login(town.sofie)
    url = f"/agenda/dossiers/{town.dossier.reference}/nieuw/"
    response = client.get(url, {"dienst": "bouwadvies", "wijze": "hybrid"})
    assert response.status_code == 400
    assert "Bouwadvies kan alleen op het gemeentehuis, via video." in _text(response)
    response = client.get(url, {"dienst": "raket", "wijze": "physical"})
    assert "Kies een dienst uit de lijst." in _text(response)


def test_who_may_not_book_sees_no_button_and_cannot_post(client, town, booked):
    archivist = UserFactory(username="arne", role="archivist")
    client.force_login(archivist)  # sees every dossier, may not book
    page = _text(client.get(f"/dossiers/{town.dossier.reference}/"))
    assert reverse("appointments:appointment", args=[booked.pk]) in page
    assert f"/agenda/dossiers/{town.dossier.reference}/nieuw/" not in page
    response = client.post(reverse("appointments:cancel", args=[booked.pk]), {"reason": "x"})
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert "Je mag voor dit dossier geen afspraken maken of wijzigen." in _text(
        client.get(response.url)
    )


def test_staff_move_and_cancel_for_the_citizen(client, town, booked):
    client.force_login(town.sofie)
    detail = _text(client.get(reverse("appointments:appointment", args=[booked.pk])))
    assert "Pieter Claes" in detail
    assert "Verplaatsen" in detail
    url = reverse("appointments:reschedule", args=[booked.pk])
    page = _text(client.get(url))
    before = (booked.start, booked.sequence)
    assert booked.start == before[0]
    response = client.post(url, {"start": local(TUESDAY, 11).isoformat(timespec="minutes")})
    assert response.url == reverse("appointments:appointment", args=[booked.pk])
    booked.refresh_from_db()
    assert (booked.start, booked.sequence) == (local(TUESDAY, 11), 1)
    assert "maandag 11 januari" in page
    response = client.post(reverse("appointments:cancel", args=[booked.pk]), {"reason": "Ziek"})
    booked.refresh_from_db()
    assert (booked.status, booked.cancel_reason) == (AppointmentStatus.CANCELLED, "Ziek")
    assert "De afspraak is geannuleerd." in _text(client.get(response.url))
    assert client.get(reverse("appointments:cancel", args=[booked.pk])).status_code == 405


def test_confidential_dossier_appointments_stay_hidden_from_the_front_desk(client, town):
    secret_type = DossierTypeFactory(team=town.team, confidential_type=True)
    secret = open_dossier(dossier_type=secret_type, requester=town.lucas)
    appointment = services.appointment_book(
        actor=None, service=town.service, mode="physical", start=local(TUESDAY, 9), dossier=secret
    )
    client.force_login(town.front_desk)
    page = _text(client.get("/agenda/locatie/gemeentehuis/", {"datum": "2027-01-12"}))
    assert "Bezet (afspraak van een ander team)" in page
    assert "Lucas" not in page
    assert client.get(reverse("appointments:appointment", args=[appointment.pk])).status_code == 404
