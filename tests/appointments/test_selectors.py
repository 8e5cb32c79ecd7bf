"""Agenda reads: per person, room, location; the front desk's day; a dossier's and a
citizen's appointments; who may see which."""

from __future__ import annotations

import datetime as dt

import pytest

from midoffice.accounts.models import Role
from midoffice.appointments import selectors, services
from midoffice.appointments.models import Appointment, AppointmentStatus
from midoffice.core import clock
from midoffice.core.errors import NotFound
from tests.appointments.factories import give_hours, local, make_location, make_room, make_service
from tests.factories import DossierTypeFactory, PartyFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 11)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(services, "invitations_enqueue", lambda *a, **k: None)
    with clock.frozen_at(local(MONDAY, 8)):
        yield


@pytest.fixture
def agenda(team, dossier_type):
    hall = make_location()
    room = make_room(hall, "Spreekkamer")
    sofie = UserFactory(teams=[team])
    give_hours(sofie, hall, weekdays=range(5), start=dt.time(9), end=dt.time(12))
    service = make_service(team, modes=["physical", "digital"], staff=[sofie])
    emma = PartyFactory()
    dossier = open_dossier(dossier_type=dossier_type, requester=emma)
    secret_team = TeamFactory()
    secret = open_dossier(
        dossier_type=DossierTypeFactory(team=secret_team, confidential=True),
        requester=PartyFactory(),
    )

    def book(day, hour, mode="physical", on=dossier):
        return services.appointment_book(
            actor=None, service=service, mode=mode, start=local(day, hour), dossier=on
        )

    tuesday_10 = book(TUESDAY, 10)
    tuesday_9 = book(TUESDAY, 9, mode="digital")
    wednesday = book(TUESDAY + dt.timedelta(days=1), 9, on=secret)
    friday = book(TUESDAY + dt.timedelta(days=3), 11)
    cancelled = book(TUESDAY + dt.timedelta(days=3), 9)
    services.appointment_cancel(actor=None, appointment=cancelled)
    return {
        "sofie": sofie,
        "hall": hall,
        "room": room,
        "emma": emma,
        "dossier": dossier,
        "secret": secret,
        "tuesday_9": tuesday_9,
        "tuesday_10": tuesday_10,
        "wednesday": wednesday,
        "friday": friday,
        "cancelled": cancelled,
        "team": team,
    }


def _ids(rows):
    return [a.pk for a in rows]


def test_a_persons_day_and_week_in_time_order(agenda, django_assert_num_queries):
    a = agenda
    with django_assert_num_queries(2):  # the appointments, then their participants
        day = list(selectors.agenda_for_staff(staff=a["sofie"], first=TUESDAY))
        assert [p.kind for p in day[0].participants.all()] == ["citizen", "staff"]
        assert day[0].service.name == "Bouwadvies"
    assert _ids(day) == [a["tuesday_9"].pk, a["tuesday_10"].pk]
    week = selectors.agenda_for_staff(
        staff=a["sofie"], first=selectors.week_start(TUESDAY), last=MONDAY + dt.timedelta(days=6)
    )
    assert _ids(week) == [a["tuesday_9"].pk, a["tuesday_10"].pk, a["wednesday"].pk, a["friday"].pk]
    with_cancelled = selectors.agenda_for_staff(
        staff=a["sofie"], first=MONDAY, last=MONDAY + dt.timedelta(days=6), include_cancelled=True
    )
    assert a["cancelled"].pk in _ids(with_cancelled)


def test_room_and_location_agendas(agenda):
    a = agenda
    week = {"first": MONDAY, "last": MONDAY + dt.timedelta(days=6)}
    in_room = [a["tuesday_10"].pk, a["wednesday"].pk, a["friday"].pk]
    assert _ids(selectors.agenda_for_room(room=a["room"], **week)) == in_room
    assert _ids(selectors.agenda_for_location(location=a["hall"], **week)) == in_room


def test_the_front_desk_sees_today_at_the_location(agenda):
    a = agenda
    with clock.frozen_at(local(TUESDAY, 7)):
        today = selectors.today_at_location(location=a["hall"])
        assert _ids(today) == [a["tuesday_10"].pk]  # the video call is not at the desk


def test_visible_marks_what_the_viewer_may_open(agenda):
    a = agenda
    lead = UserFactory(role=Role.TEAM_LEAD, teams=[a["team"]])
    front_desk = UserFactory(role=Role.FRONT_DESK)
    week = {"first": MONDAY, "last": MONDAY + dt.timedelta(days=6)}
    rows = selectors.agenda_for_staff(staff=a["sofie"], viewer=lead, **week)
    assert {r.pk: r.visible for r in rows} == {
        a["tuesday_9"].pk: True,
        a["tuesday_10"].pk: True,
        a["wednesday"].pk: False,  # a confidential dossier of another team: busy, not more
        a["friday"].pk: True,
    }
    rows = selectors.agenda_for_staff(staff=a["sofie"], viewer=front_desk, **week)
    assert not {r.pk: r.visible for r in rows}[a["wednesday"].pk]
    system = UserFactory(role=Role.SYSTEM)
    assert all(
        r.visible for r in selectors.agenda_for_staff(staff=a["sofie"], viewer=system, **week)
    )


def test_one_appointment_through_the_access_check(agenda):
    a = agenda
    lead = UserFactory(role=Role.TEAM_LEAD, teams=[a["team"]])
    found = selectors.appointment_get_for_user(user=lead, appointment_id=a["friday"].pk)
    assert found == a["friday"]
    with pytest.raises(NotFound):
        selectors.appointment_get_for_user(user=lead, appointment_id=a["wednesday"].pk)
    with pytest.raises(NotFound):
        selectors.appointment_get_for_user(user=lead, appointment_id=999999)
    outsider = UserFactory(role=Role.HANDLER, teams=[TeamFactory()])
    assert not selectors.appointment_list_visible(user=outsider).exists()


def test_without_a_dossier_the_staff_member_and_the_team_see_it(agenda):
    a = agenda
    service = a["tuesday_9"].service
    service.dossier_type = None
    service.save()
    loose = services.appointment_book(
        actor=None,
        service=service,
        mode="digital",
        start=local(TUESDAY, 11),
        citizen_name="Noor Jacobs",
    )
    assert loose.dossier is None
    for viewer, sees in [
        (a["sofie"], True),
        (UserFactory(teams=[a["team"]]), True),
        (UserFactory(role=Role.FRONT_DESK), True),
        (UserFactory(teams=[TeamFactory()]), False),
    ]:
        assert selectors.appointment_list_visible(user=viewer).filter(pk=loose.pk).exists() == sees


def test_a_dossiers_and_a_citizens_appointments(agenda):
    a = agenda
    on_dossier = selectors.appointments_on_dossier_page(dossier=a["dossier"], limit=20)
    assert _ids(on_dossier) == [  # newest first, the cancelled one too
        a["friday"].pk,
        a["cancelled"].pk,
        a["tuesday_10"].pk,
        a["tuesday_9"].pk,
    ]
    newest = selectors.appointments_on_dossier_page(dossier=a["dossier"], limit=2)
    assert _ids(newest) == [a["friday"].pk, a["cancelled"].pk]
    mine = selectors.appointments_for_party(party=a["emma"], upcoming_only=True)
    assert a["cancelled"].pk not in _ids(mine)
    assert a["wednesday"].pk not in _ids(mine)  # another citizen's dossier
    assert selectors.appointment_for_party(party=a["emma"], appointment_id=a["friday"].pk)
    with pytest.raises(NotFound):
        selectors.appointment_for_party(party=a["emma"], appointment_id=a["wednesday"].pk)
    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED).count() == 1
