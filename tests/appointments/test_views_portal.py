"""The citizen's appointment pages (/mijn/afspraak/…): the question-led booking, the
manage link (a GET changes nothing), who sees which appointments, Dutch errors."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from midoffice.appointments import links, services
from midoffice.appointments.models import Appointment, AppointmentStatus, ParticipantKind
from midoffice.core import clock
from midoffice.dossiers.models import Dossier, Event, EventKind
from midoffice.parties.models import Party
from tests.appointments.factories import local
from tests.appointments.pages_town import pages_town
from tests.portal.conftest import sign_in

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


def _value(start: dt.datetime) -> str:
    return start.isoformat(timespec="minutes")


def _text(response) -> str:
    return response.content.decode()


def _to_details(client, *, mode="physical", start=None):
    """Start, answer both questions, choose the mode and a time."""
    assert client.post("/mijn/afspraak/").url == "/mijn/afspraak/vragen/"
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    assert client.get("/mijn/afspraak/vragen/").url == "/mijn/afspraak/wijze/"
    assert client.post("/mijn/afspraak/wijze/", {"mode": mode}).url == "/mijn/afspraak/tijdstip/"
    chosen = _value(start or local(TUESDAY, 10))
    response = client.post("/mijn/afspraak/tijdstip/", {"start": chosen})
    assert response.status_code == 302, _text(response)
    assert response.url == "/mijn/afspraak/gegevens/"


def _details(**changes):
    data = {
        "action": "next",
        "name": "Emma De Smet",
        "email": "emma@voorbeeld.example",
        "phone": "0470 12 34 56",
        "remark": "Over de uitbouw achteraan",
        "guest_count": "1",
        "guest-0-name": "Pieter Claes",
        "guest-0-email": "pieter@architect.example",
        "guest-0-remote": "on",
    }
    data.update(changes)
    return data


def test_a_citizen_books_through_the_questions_without_signing_in(client, town):
    assert "Een afspraak maken" in _text(client.get("/mijn/afspraak/"))
    client.post("/mijn/afspraak/")
    page = _text(client.get("/mijn/afspraak/vragen/"))
    assert "Wat wil je doen?" in page
    assert 'type="radio"' in page
    assert "Volgende" in page
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    page = _text(client.get("/mijn/afspraak/vragen/"))
    assert "Heb je al plannen van een architect?" in page
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})

    page = _text(client.get("/mijn/afspraak/wijze/"))
    assert "Bouwadvies" in page
    assert "45 minuten" in page
    assert "scherm en een camera" in page  # hybrid explained in plain Dutch
    client.post("/mijn/afspraak/wijze/", {"mode": "hybrid"})

    page = _text(client.get("/mijn/afspraak/tijdstip/"))
    assert "maandag 11 januari" in page
    assert "dinsdag 12 januari" in page
    assert f'value="{_value(local(TUESDAY, 10))}"' in page
    client.post("/mijn/afspraak/tijdstip/", {"start": _value(local(TUESDAY, 10))})

    assert Appointment.objects.count() == 0
    response = client.post("/mijn/afspraak/gegevens/", _details())
    assert response.url == "/mijn/afspraak/bevestigen/"
    page = _text(client.get("/mijn/afspraak/bevestigen/"))
    assert "dinsdag 12 januari 2027 om 10:00" in page
    assert "Pieter Claes" in page
    assert "via video" in page
    assert Appointment.objects.count() == 0  # nothing is written before the last button

    response = client.post("/mijn/afspraak/bevestigen/")
    assert response.url == "/mijn/afspraak/bevestigd/"
    appointment = Appointment.objects.get()
    assert (appointment.service, appointment.mode) == (town.service, "hybrid")
    assert appointment.start == local(TUESDAY, 10)
    assert appointment.room == town.hybrid_room
    assert appointment.answers == {"wat": "verbouwen", "plannen": "ja"}
    assert appointment.remark == "Over de uitbouw achteraan"
    assert appointment.booked_by is None
    guest = appointment.participants.get(kind=ParticipantKind.GUEST)
    assert (guest.name, guest.email, guest.joins_remotely) == (
        "Pieter Claes",
        "pieter@architect.example",
        True,
    )
    assert appointment.party == town.emma  # found by her e-mail address
    page = _text(client.get("/mijn/afspraak/bevestigd/"))
    assert "Je afspraak is bevestigd" in page
    assert "emma@voorbeeld.example" in page
    assert reverse("portal:appointment-manage", args=[links.manage_token(appointment)]) in page
    assert "appointment_flow" not in client.session


def test_an_answer_can_lead_to_an_information_page(client, town):
    client.post("/mijn/afspraak/")
    response = client.post(
        "/mijn/afspraak/vragen/", {"question": "wat", "answer": "identiteitskaart"}
    )
    assert response.url == "/mijn/afspraak/vragen/"
    assert client.get("/mijn/afspraak/vragen/").url == "/mijn/afspraak/wijze/"
    assert client.get("/mijn/afspraak/wijze/").url == "/mijn/afspraak/info/"
    page = _text(client.get("/mijn/afspraak/info/"))
    assert "Dit kan je online" in page
    assert "https://www.leemdonk.example/e-loket" in page
    # "Terug naar de vragen" takes back the last answer.
    client.post("/mijn/afspraak/vragen/", {"action": "back"})
    assert "Wat wil je doen?" in _text(client.get("/mijn/afspraak/vragen/"))


def test_steps_cannot_be_skipped(client, town):
    for page in ("wijze", "tijdstip", "gegevens", "bevestigen"):
        assert client.get(f"/mijn/afspraak/{page}/").url == "/mijn/afspraak/vragen/"
    assert client.post("/mijn/afspraak/bevestigen/").url == "/mijn/afspraak/vragen/"
    assert Appointment.objects.count() == 0


def test_every_field_error_is_in_dutch_beside_its_field(client, town):
    client.post("/mijn/afspraak/")
    response = client.post("/mijn/afspraak/vragen/", {"question": "wat"})
    assert response.status_code == 400
    assert 'id="id_answer_error">Kies een antwoord.' in _text(response)
    response = client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "raket"})
    assert "Kies een van de antwoorden." in _text(response)
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "nee"})
    response = client.post("/mijn/afspraak/wijze/", {})
    assert response.status_code == 400
    assert "Kies hoe je wil afspreken." in _text(response)
    client.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    for bad, message in [
        ({}, "Kies een dag en een uur."),
        ({"start": "morgen"}, "Dit tijdstip is niet (meer) vrij."),
        ({"start": _value(local(TUESDAY, 15))}, "Dit tijdstip is niet (meer) vrij."),  # no hours
    ]:
        response = client.post("/mijn/afspraak/tijdstip/", bad)
        assert response.status_code == 400
        assert f'id="id_start_error" role="alert">{message}' in _text(response)
        assert "dinsdag 12 januari" in _text(response)  # the times again
    client.post("/mijn/afspraak/tijdstip/", {"start": _value(local(TUESDAY, 9))})

    response = client.post(
        "/mijn/afspraak/gegevens/",
        _details(
            name=" ",
            email="emma@",
            phone="12",
            **{"guest-0-email": "", "guest-0-name": "Pieter"},
        ),
    )
    assert response.status_code == 400
    page = _text(response)
    assert 'id="id_name_error">Vul je naam in.' in page
    assert 'id="id_email_error">Dit is geen geldig e-mailadres' in page
    assert 'id="id_phone_error">Dit is geen geldig telefoonnummer' in page
    assert 'id="id_guest-0-email_error">Vul het e-mailadres van je gast in' in page
    assert 'aria-invalid="true"' in page
    assert Appointment.objects.count() == 0


def test_guests_are_added_and_removed_without_javascript(client, town):
    _to_details(client)
    page = _text(client.post("/mijn/afspraak/gegevens/", _details(action="add", guest_count="1")))
    assert 'name="guest-1-name"' in page
    assert 'value="2"' in page
    assert 'value="Pieter Claes"' in page  # what was typed stays
    assert "Vul" not in page  # adding a row shows no errors yet
    page = _text(
        client.post(
            "/mijn/afspraak/gegevens/",
            _details(action="remove-0", guest_count="2", **{"guest-1-name": "Bram"}),
        )
    )
    assert 'value="Bram"' in page
    assert "Pieter Claes" not in page


def test_a_taken_time_shows_the_dutch_message_and_the_times_again(client, town):
    _to_details(client)
    client.post("/mijn/afspraak/gegevens/", _details(guest_count="0"))
    # Someone else books the same time while the citizen reads the summary.
    services.appointment_book(
        actor=None,
        service=town.service,
        mode="physical",
        start=local(TUESDAY, 10),
        citizen_name="Lucas Peeters",
        citizen_email="lucas@voorbeeld.example",
    )
    response = client.post("/mijn/afspraak/bevestigen/")
    assert response.url == "/mijn/afspraak/tijdstip/"
    response = client.get("/mijn/afspraak/tijdstip/")
    assert response.status_code == 409
    page = _text(response)
    assert "Dit tijdstip is net door iemand anders geboekt. Kies een ander moment." in page
    assert f'value="{_value(local(TUESDAY, 9))}"' in page
    assert f'value="{_value(local(TUESDAY, 10))}"' not in page
    assert Appointment.objects.count() == 1
    # Choosing again leads on: the details were kept.
    client.post("/mijn/afspraak/tijdstip/", {"start": _value(local(TUESDAY, 11))})
    assert client.post("/mijn/afspraak/gegevens/", _details(guest_count="0")).status_code == 302
    assert client.post("/mijn/afspraak/bevestigen/").url == "/mijn/afspraak/bevestigd/"
    assert Appointment.objects.count() == 2


def test_a_signed_in_citizen_books_for_her_dossier(client, town):
    sign_in(client, town.emma)
    page = _text(client.get(f"/mijn/dossiers/{town.dossier.reference}"))
    link = f"/mijn/afspraak/dossier/{town.dossier.reference}/"
    assert link in page
    assert "Maak een afspraak voor dit dossier" in page
    client.post(link)
    # The dossier's type answers "what do you want to do?": the first question is skipped.
    page = _text(client.get("/mijn/afspraak/vragen/"))
    assert "Heb je al plannen van een architect?" in page
    assert "Wat wil je doen?" not in page
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    client.post("/mijn/afspraak/wijze/", {"mode": "digital"})
    client.post("/mijn/afspraak/tijdstip/", {"start": _value(local(TUESDAY, 9, 15))})
    page = _text(client.get("/mijn/afspraak/gegevens/"))
    assert 'value="Emma De Smet"' in page
    assert 'value="emma@voorbeeld.example"' in page
    assert 'value="+32470123456"' in page
    client.post(
        "/mijn/afspraak/gegevens/",
        {"name": "Emma De Smet", "email": "emma@voorbeeld.example", "guest_count": "0"},
    )
    assert "Dossier" in _text(client.get("/mijn/afspraak/bevestigen/"))
    client.post("/mijn/afspraak/bevestigen/")
    appointment = Appointment.objects.get()
    assert (appointment.dossier, appointment.party) == (town.dossier, town.emma)
    assert appointment.video_url
    assert Dossier.objects.count() == 1  # no second dossier opened
    assert Event.objects.filter(dossier=town.dossier, kind=EventKind.APPOINTMENT_BOOKED).exists()
    # It shows on the portal's dossier page and home, with the manage link.
    token_url = reverse("portal:appointment-manage", args=[links.manage_token(appointment)])
    assert token_url in _text(client.get(f"/mijn/dossiers/{town.dossier.reference}"))
    assert token_url in _text(client.get("/mijn/"))


def test_a_citizen_cannot_book_for_or_see_another_citizens_dossier(client, town):
    sign_in(client, town.lucas)
    url = f"/mijn/afspraak/dossier/{town.dossier.reference}/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert "appointment_flow" not in client.session
    # A flow that names a dossier she may not see starts again.
    session = client.session
    session["appointment_flow"] = {"dossier": town.dossier.reference}
    session.save()
    assert client.get("/mijn/afspraak/vragen/").url == "/mijn/afspraak/"


def test_the_portal_lists_only_her_own_appointments(client, town):
    mine = services.appointment_book(
        actor=None,
        service=town.service,
        mode="physical",
        start=local(TUESDAY, 9),
        dossier=town.dossier,
    )
    other = services.appointment_book(
        actor=None,
        service=town.service,
        mode="digital",
        start=local(TUESDAY, 11),
        citizen_name="Lucas Peeters",
        citizen_email="lucas@voorbeeld.example",
    )
    assert other.party == town.lucas
    sign_in(client, town.emma)
    page = _text(client.get("/mijn/"))
    assert links.manage_token(mine) in page
    assert links.manage_token(other) not in page
    assert "Mijn afspraken" in page


# --- the manage link ---------------------------------------------------------------------


@pytest.fixture
def booked(town):
    return services.appointment_book(
        actor=None,
        service=town.service,
        mode="physical",
        start=local(TUESDAY, 10),
        dossier=town.dossier,
    )


def _state(appointment: Appointment) -> tuple:
    appointment.refresh_from_db()
    return (
        appointment.status,
        appointment.start,
        appointment.sequence,
        Event.objects.count(),
        Appointment.objects.count(),
    )


def test_opening_the_manage_links_changes_nothing(client, booked):
    """Mail scanners open every link (GET, HEAD): nothing moves, nothing is cancelled."""
    token = links.manage_token(booked)
    before = _state(booked)
    urls = [
        reverse("portal:appointment-manage", args=[token]),
        reverse("portal:appointment-reschedule", args=[token]),
        reverse("portal:appointment-cancel", args=[token]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200
        assert client.head(url).status_code in (200, 405)
        assert client.get(url, {"start": _value(local(TUESDAY, 11))}).status_code == 200
    assert _state(booked) == before
    page = _text(client.get(urls[0]))
    assert "dinsdag 12 januari 2027 om 10:00" in page
    assert "Spreekkamer 1, Gemeentehuis Leemdonk, Markt 1, 2640 Leemdonk" in page
    assert urls[1] in page
    assert urls[2] in page
    # The buttons are forms that POST with CSRF.
    assert 'method="post"' in _text(client.get(urls[2]))
    assert "csrfmiddlewaretoken" in _text(client.get(urls[1]))


def test_the_manage_link_moves_the_appointment(client, booked):
    token = links.manage_token(booked)
    url = reverse("portal:appointment-reschedule", args=[token])
    response = client.post(url, {"start": _value(local(TUESDAY, 9))})
    assert response.url == reverse("portal:appointment-manage", args=[token])
    booked.refresh_from_db()
    assert (booked.start, booked.sequence) == (local(TUESDAY, 9), 1)
    assert "Je afspraak is verplaatst" in _text(client.get(response.url))
    response = client.post(url, {"start": _value(local(TUESDAY, 16))})
    assert response.status_code == 400
    assert "Dit tijdstip is niet (meer) vrij." in _text(response)


def test_the_manage_link_cancels_after_the_confirmation(client, booked):
    token = links.manage_token(booked)
    url = reverse("portal:appointment-cancel", args=[token])
    assert "Ja, annuleer de afspraak" in _text(client.get(url))
    response = client.post(url, {"reason": "x" * 301})
    assert response.status_code == 400
    assert "Houd het kort: hoogstens 300 tekens." in _text(response)
    response = client.post(url, {"reason": "Ziek"})
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancel_reason == "Ziek"
    page = _text(client.get(response.url))
    assert "Deze afspraak is geannuleerd" in page
    assert reverse("portal:appointment-cancel", args=[token]) not in page
    # Cancelling twice (an old tab) says so, in Dutch, and changes nothing.
    client.post(url, {"reason": ""})
    assert _text(client.get(response.url)).count("Deze afspraak is geannuleerd") >= 1


def test_a_bad_or_expired_link_gets_a_dutch_page(client, booked):
    response = client.get(reverse("portal:appointment-manage", args=["niet-van-ons"]))
    assert response.status_code == 400
    assert "Deze link werkt niet." in _text(response)
    token = links.manage_token(booked)
    with clock.frozen_at(local(TUESDAY, 10)):
        for name in ("manage", "reschedule", "cancel"):
            response = client.get(reverse(f"portal:appointment-{name}", args=[token]))
            assert response.status_code == 410
            assert "Deze link is verlopen" in _text(response)
        response = client.post(reverse("portal:appointment-cancel", args=[token]))
        assert response.status_code == 410
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_a_new_citizen_gets_a_contact_and_a_dossier(client, town):
    _to_details(client)
    client.post(
        "/mijn/afspraak/gegevens/",
        _details(name="Nora Nieuw", email="nora@voorbeeld.example", guest_count="0"),
    )
    client.post("/mijn/afspraak/bevestigen/")
    appointment = Appointment.objects.get()
    assert appointment.party == Party.objects.get(display_name="Nora Nieuw")
    assert appointment.dossier is not None
    assert appointment.dossier != town.dossier
    assert re.search(r"Afspraak: Bouwadvies", appointment.dossier.subject)


# --- a town that keeps JCC-Afspraken as its agenda ---------------------------------------


@pytest.fixture
def jcc(settings, town):
    """The fake JCC server; the town's service and location carry JCC's ids as codes
    (product 1 "Bouwadvies": e-mail and phone required; location 1 the town hall)."""
    from midoffice.appointments.fake_jcc import FakeJccServer

    server = FakeJccServer().start()
    try:
        settings.APPOINTMENTS_BACKEND = "jcc"
        settings.JCC_WSDL = server.wsdl_url
        town.service.code, town.service.duration_minutes = "1", 30
        town.service.save()
        town.hall.code = "1"
        town.hall.save()
        yield server
    finally:
        server.stop()


def test_with_jcc_the_times_are_jccs_and_the_booking_goes_there(client, town, jcc):
    client.post("/mijn/afspraak/")
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    client.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    page = _text(client.get("/mijn/afspraak/tijdstip/"))
    # JCC's own hours (Monday 9–12 and 13.30–16), each time with JCC's location id.
    choice = f"{_value(local(MONDAY, 13, 30))}@1"
    assert f'value="{choice}"' in page
    assert client.post("/mijn/afspraak/tijdstip/", {"start": choice}).status_code == 302
    # JCC asks a phone number for this product: the form asks it too, in Dutch.
    response = client.post(
        "/mijn/afspraak/gegevens/", _details(phone="", guest_count="0", remark="")
    )
    assert response.status_code == 400
    assert 'id="id_phone_error">Vul je telefoonnummer in.' in _text(response)
    client.post("/mijn/afspraak/gegevens/", _details(guest_count="0"))
    assert client.post("/mijn/afspraak/bevestigen/").url == "/mijn/afspraak/bevestigd/"
    appointment = Appointment.objects.get()
    assert appointment.backend == "jcc"
    assert appointment.external_id in jcc.state.bookings
    assert appointment.start == local(MONDAY, 13, 30)
    assert jcc.state.bookings[appointment.external_id].start == dt.datetime(2027, 1, 11, 13, 30)


def test_with_jcc_the_form_asks_every_client_field_jcc_requires(client, town, jcc):
    # JCC product 2 asks a birth date and a national number: the details page asks them
    # too, in Dutch, checks them, and the booking hands them to JCC.
    town.service.code, town.service.duration_minutes = "2", 15
    town.service.save()
    client.post("/mijn/afspraak/")
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    client.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    choice = f"{_value(local(MONDAY, 13, 30))}@1"
    assert client.post("/mijn/afspraak/tijdstip/", {"start": choice}).status_code == 302
    page = _text(client.get("/mijn/afspraak/gegevens/"))
    assert 'for="id_birth_date"' in page
    assert 'for="id_national_number"' in page
    assert "id_postcode" not in page  # only what this product asks
    response = client.post("/mijn/afspraak/gegevens/", _details(guest_count="0"))
    assert response.status_code == 400
    assert 'id="id_birth_date_error">Vul je geboortedatum in.' in _text(response)
    assert 'id="id_national_number_error">Vul je rijksregisternummer in.' in _text(response)
    response = client.post(
        "/mijn/afspraak/gegevens/",
        _details(guest_count="0", birth_date="1985-03-21", national_number="85.03.21-123.45"),
    )
    assert response.status_code == 400
    assert "Dit is geen geldig rijksregisternummer." in _text(response)
    response = client.post(
        "/mijn/afspraak/gegevens/",
        _details(guest_count="0", birth_date="1985-03-21", national_number="85.07.30-033.28"),
    )
    assert response.status_code == 302
    confirm = _text(client.get("/mijn/afspraak/bevestigen/"))
    assert "Geboortedatum" in confirm
    assert "1985-03-21" in confirm
    assert client.post("/mijn/afspraak/bevestigen/").url == "/mijn/afspraak/bevestigd/"
    appointment = Appointment.objects.get()
    booked = jcc.state.bookings[appointment.external_id]
    assert booked.client["clientDateOfBirth"] == "1985-03-21"
    assert booked.client["clientID"] == "85073003328"


def test_with_jcc_staff_booking_asks_the_fields_jcc_requires_for_the_citizen(client, town, jcc):
    town.service.code, town.service.duration_minutes = "2", 15
    town.service.save()
    client.force_login(town.sofie)
    url = f"/agenda/dossiers/{town.dossier.reference}/nieuw/?dienst=2&wijze=physical"
    page = _text(client.get(url))
    assert "Geboortedatum van de burger" in page
    assert "Rijksregisternummer van de burger" in page
    data = {
        "action": "book",
        "start": f"{_value(local(MONDAY, 13, 30))}@1",
        "name": "Emma De Smet",
        "email": "emma@voorbeeld.example",
        "guest_count": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Vul de geboortedatum in." in _text(response)
    response = client.post(
        url, {**data, "birth_date": "1985-07-30", "national_number": "85073003328"}
    )
    assert response.status_code == 302, _text(response)
    booked = jcc.state.bookings[Appointment.objects.get().external_id]
    assert booked.client["clientDateOfBirth"] == "1985-07-30"
    assert booked.client["clientID"] == "85073003328"


def test_with_jcc_down_the_times_page_says_so_in_dutch(client, town, jcc):
    client.post("/mijn/afspraak/")
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    client.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    jcc.stop()
    response = client.get("/mijn/afspraak/tijdstip/")
    assert response.status_code == 200
    assert services.AGENDA_UNAVAILABLE in _text(response)
    response = client.post("/mijn/afspraak/tijdstip/", {"start": f"{_value(local(MONDAY, 10))}@1"})
    assert response.status_code == 400
    assert services.AGENDA_UNAVAILABLE in _text(response)


def test_the_times_open_on_the_first_week_with_a_free_time(client, town):
    from midoffice.appointments.models import Absence

    Absence.objects.create(  # away for the next ten days
        user=town.sofie, start=local(MONDAY, 0), end=local(MONDAY + dt.timedelta(days=10), 0)
    )
    client.post("/mijn/afspraak/")
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    client.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    page = _text(client.get("/mijn/afspraak/tijdstip/"))
    assert "Van 21 januari tot 27 januari 2027" in page
    assert f'value="{_value(local(dt.date(2027, 1, 21), 9))}"' in page
    assert "← Vorige week" in page
    # A week asked for is shown as it is, even when nothing is free in it.
    page = _text(client.get("/mijn/afspraak/tijdstip/", {"vanaf": "2027-01-11"}))
    assert "Er zijn geen vrije tijden in deze week." in page
