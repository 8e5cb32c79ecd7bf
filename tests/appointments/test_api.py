"""The appointments API: list and filters, detail, book, move, cancel, attendance, slots."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from midoffice.accounts.models import Role
from midoffice.appointments import services
from midoffice.appointments.models import Appointment, AppointmentStatus
from midoffice.core import clock
from tests.appointments.factories import give_hours, local, make_location, make_room, make_service
from tests.factories import DossierTypeFactory, PartyFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 11)
TUESDAY = MONDAY + dt.timedelta(days=1)
URL = "/api/v1/appointments/"


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(services, "invitations_enqueue", lambda *a, **k: None)
    with clock.frozen_at(local(MONDAY, 8)):
        yield


@pytest.fixture
def town(team, dossier_type):
    hall = make_location()
    make_room(hall, "Spreekkamer")
    sofie = UserFactory(username="sofie-a", teams=[team])
    give_hours(sofie, hall, weekdays=[1, 2], start=dt.time(9), end=dt.time(12))
    service = make_service(
        team, modes=["physical", "digital"], staff=[sofie], dossier_type=dossier_type
    )
    dossier = open_dossier(dossier_type=dossier_type, requester=PartyFactory())
    return {"service": service, "dossier": dossier, "sofie": sofie, "hall": hall}


@pytest.fixture
def lead(team):
    return UserFactory(role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def client(lead):
    api = APIClient()
    api.force_authenticate(lead)
    return api


def _book(client, town, **changes):
    body = {
        "service": "bouwadvies",
        "mode": "physical",
        "start": local(TUESDAY, 10).isoformat(),
        "dossier": town["dossier"].reference,
        **changes,
    }
    return client.post(URL, body, format="json")


def test_book_then_read_it_back(client, town):
    answer = _book(
        client,
        town,
        guests=[{"name": "Pieter Claes", "email": "pieter@architect.example"}],
        remark="Over de aanbouw.",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["service"] == "bouwadvies"
    assert body["staff"] == "sofie-a"
    assert body["location"] == "gemeentehuis"
    assert body["room_name"] == "Spreekkamer"
    assert body["dossier"] == town["dossier"].reference
    assert body["sequence"] == 0
    assert [p["kind"] for p in body["participants"]] == ["citizen", "staff", "guest"]
    assert dt.datetime.fromisoformat(body["start"]) == local(TUESDAY, 10)
    detail = client.get(f"{URL}{body['id']}/")
    assert detail.status_code == 200
    assert detail.json()["uid"] == body["uid"]


def test_the_second_booking_gets_409_slot_taken_in_dutch(client, town):
    assert _book(client, town).status_code == 201
    answer = _book(client, town)
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "Dit tijdstip is net door iemand anders geboekt. Kies een ander moment.",
        "code": "slot_taken",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service": "bestaat-niet"}, "service"),
        ({"mode": "teleport"}, "mode"),
        ({"start": "morgen"}, "start"),
        ({"start": "1900-01-01T10:00:00+01:00"}, "start"),
        ({"dossier": "12345"}, "dossier"),
        ({"guests": [{"name": "Pieter", "email": "geen-adres"}]}, "guests"),
        ({"guests": [{"name": "Pieter\n", "email": "p@x.example"}]}, "guests"),
        ({"answers": {"wat": "x"}}, "answers"),
        ({"start": local(TUESDAY, 10, 5).isoformat()}, "start"),
        ({"mode": "hybrid"}, "mode"),
        ({"staff": "niemand"}, "staff"),
        ({"room": "1"}, "room"),
        ({"client_fields": {"shoe_size": "44"}}, "client_fields"),
        ({"client_fields": {"birth_date": "gisteren"}}, "client_fields"),
        ({"client_fields": {"national_number": "12345678901"}}, "client_fields"),
        ({"client_fields": {"sex": "Q"}}, "client_fields"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, town, changes, field):
    answer = _book(client, town, **changes)
    assert answer.status_code == 400, answer.json()
    assert field in answer.json(), answer.json()
    assert Appointment.objects.count() == 0


def test_an_unknown_or_invisible_dossier_is_404(client, town):
    assert _book(client, town, dossier="2027-999999").status_code == 404
    other = open_dossier(
        dossier_type=DossierTypeFactory(team=TeamFactory(), confidential=True),
        requester=PartyFactory(),
    )
    assert _book(client, town, dossier=other.reference).status_code == 404


def test_list_filters_and_visibility(client, town, lead):
    first = _book(client, town).json()
    second = _book(client, town, start=local(TUESDAY + dt.timedelta(days=1), 9).isoformat()).json()
    hidden_type = DossierTypeFactory(team=TeamFactory(), confidential=True)
    stranger = services.appointment_book(
        actor=None,
        service=town["service"],
        mode="digital",
        start=local(TUESDAY, 11),
        dossier=open_dossier(dossier_type=hidden_type, requester=PartyFactory()),
    )
    ids = [row["id"] for row in client.get(URL).json()["results"]]
    assert ids == [first["id"], second["id"]]  # in time order, the invisible one left out
    assert client.get(f"{URL}{stranger.pk}/").status_code == 404
    assert client.get(f"{URL}abc/").status_code == 404
    rows = client.get(URL, {"from": "2027-01-13", "to": "2027-01-13"}).json()["results"]
    assert [r["id"] for r in rows] == [second["id"]]
    assert client.get(URL, {"from": "2027-01-14", "to": "2027-01-13"}).json()["results"] == []
    assert client.get(URL, {"from": "0001-01-01", "to": "9999-12-31"}).status_code == 200
    rows = client.get(URL, {"dossier": town["dossier"].reference, "staff": "sofie-a"}).json()
    assert len(rows["results"]) == 2
    client.post(f"{URL}{first['id']}/cancel/", {"reason": "Ziek"}, format="json")
    rows = client.get(URL, {"status": "cancelled"}).json()["results"]
    assert [r["id"] for r in rows] == [first["id"]]
    assert client.get(URL, {"status": "weg"}).status_code == 400
    assert client.get(URL, {"page_size": "1"}).json()["next"]


def test_reschedule_and_cancel(client, town):
    booked = _book(client, town).json()
    moved = client.post(
        f"{URL}{booked['id']}/reschedule/",
        {"start": local(TUESDAY, 11).isoformat()},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["sequence"] == 1
    assert dt.datetime.fromisoformat(moved.json()["start"]) == local(TUESDAY, 11)
    cancelled = client.post(f"{URL}{booked['id']}/cancel/", {"reason": "Ziek"}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["sequence"] == 2
    again = client.post(f"{URL}{booked['id']}/cancel/", {}, format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == "Deze afspraak is geannuleerd."
    assert client.post(f"{URL}999999/cancel/", {}, format="json").status_code == 404


def test_arrived_and_no_show(client, town):
    booked = _book(client, town).json()
    early = client.post(f"{URL}{booked['id']}/arrived/")
    assert early.status_code == 400
    with clock.frozen_at(local(TUESDAY, 10, 30)):
        assert client.post(f"{URL}{booked['id']}/no-show/").json()["status"] == "no_show"
        assert client.post(f"{URL}{booked['id']}/arrived/").json()["status"] == "arrived"
    assert Appointment.objects.get().status == AppointmentStatus.ARRIVED


def test_a_role_that_may_not_book_gets_403(town):
    archivist = APIClient()
    archivist.force_authenticate(UserFactory(role=Role.ARCHIVIST))
    answer = _book(archivist, town)
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Je mag voor dit dossier geen afspraken maken of wijzigen."


def test_slots(client, town):
    answer = client.get(
        f"{URL}slots/",
        {"service": "bouwadvies", "mode": "physical", "from": "2027-01-12", "to": "2027-01-12"},
    )
    assert answer.status_code == 200
    rows = answer.json()
    assert [
        dt.datetime.fromisoformat(r["start"]).astimezone(local(MONDAY, 0).tzinfo).strftime("%H:%M")
        for r in rows
    ][:3] == ["09:00", "09:15", "09:30"]
    assert rows[0]["staff"] == "sofie-a"
    assert rows[0]["location"] == "gemeentehuis"
    # Defaults: the first mode, the coming two weeks.
    assert len(client.get(f"{URL}slots/", {"service": "bouwadvies"}).json()) == len(rows) * 4
    digital = client.get(f"{URL}slots/", {"service": "bouwadvies", "mode": "digital"}).json()
    # Sofie takes video calls from the town hall too: no location, no room.
    assert {(r["location"], r["room"]) for r in digital} == {("", None)}
    hybrid = client.get(f"{URL}slots/", {"service": "bouwadvies", "mode": "hybrid"})
    assert (hybrid.status_code, hybrid.json()) == (200, [])
    assert client.get(f"{URL}slots/", {"service": "weg"}).status_code == 404
    assert client.get(f"{URL}slots/").status_code == 400
    far = client.get(
        f"{URL}slots/", {"service": "bouwadvies", "from": "9999-12-31", "to": "0001-01-01"}
    )
    assert (far.status_code, far.json()) == (200, [])
    wide = client.get(
        f"{URL}slots/", {"service": "bouwadvies", "from": "0001-01-01", "to": "9999-12-31"}
    )
    assert wide.status_code == 200
