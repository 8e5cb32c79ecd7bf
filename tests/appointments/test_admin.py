"""The admin configures appointments; appointments themselves are read-only there."""

from __future__ import annotations

import datetime as dt

import pytest

from midoffice.appointments.models import (
    Appointment,
    BookingAnswer,
    BookingQuestion,
    BookingRule,
    InfoPage,
    Service,
    WorkingHours,
)
from tests.appointments.factories import give_hours, local, make_location, make_room, make_service
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(admin=True))
    return client


@pytest.fixture
def setup(team):
    hall = make_location()
    make_room(hall)
    sofie = UserFactory(teams=[team])
    give_hours(sofie, hall, weekdays=[1])
    service = make_service(team, staff=[sofie])
    question = BookingQuestion.objects.create(code="wat", text="Waarvoor?")
    BookingAnswer.objects.create(question=question, code="verbouwen", text="Verbouwen")
    rule = BookingRule.objects.create(order=90, service=service)
    appointment = Appointment.objects.create(
        service=service,
        mode="physical",
        start=local(dt.date(2027, 1, 12), 9),
        end=local(dt.date(2027, 1, 12), 9, 45),
        busy_until=local(dt.date(2027, 1, 12), 9, 45),
        staff=sofie,
    )
    return {"service": service, "question": question, "rule": rule, "appointment": appointment}


def test_every_admin_page_loads(admin_client, setup):
    pages = [
        "/admin/appointments/",
        "/admin/appointments/service/",
        "/admin/appointments/service/add/",
        f"/admin/appointments/service/{setup['service'].pk}/change/",
        "/admin/appointments/location/",
        "/admin/appointments/location/add/",
        "/admin/appointments/room/",
        "/admin/appointments/workinghours/",
        "/admin/appointments/workinghours/add/",
        "/admin/appointments/absence/",
        "/admin/appointments/absence/add/",
        "/admin/appointments/bookingquestion/",
        f"/admin/appointments/bookingquestion/{setup['question'].pk}/change/",
        "/admin/appointments/bookingrule/",
        f"/admin/appointments/bookingrule/{setup['rule'].pk}/change/",
        "/admin/appointments/infopage/add/",
        "/admin/appointments/appointment/",
        f"/admin/appointments/appointment/{setup['appointment'].pk}/change/",
    ]
    for url in pages:
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/appointments/appointment/add/").status_code == 403
    page = admin_client.get("/admin/appointments/appointment/").content.decode()
    assert "Afspraken" in page or "afspraken" in page


def test_working_hours_that_end_before_they_start_get_a_dutch_error(admin_client, setup):
    user = UserFactory()
    answer = admin_client.post(
        "/admin/appointments/workinghours/add/",
        {"user": user.pk, "weekday": 1, "start": "12:00", "end": "09:00", "location": ""},
    )
    assert answer.status_code == 200
    assert "Het einde moet na het begin liggen." in answer.content.decode()
    assert not WorkingHours.objects.filter(user=user).exists()


def test_a_service_needs_a_mode_and_a_rule_a_mode_its_service_has(admin_client, setup, team):
    answer = admin_client.post(
        "/admin/appointments/service/add/",
        {
            "name": "Zonder wijze",
            "code": "zonder",
            "duration_minutes": 30,
            "buffer_minutes": 0,
            "slot_step_minutes": 15,
            "min_room_capacity": 2,
            "min_notice_hours": 24,
            "max_days_ahead": 56,
            "team": team.pk,
            "active": "on",
        },
    )
    assert "Kies minstens één wijze" in answer.content.decode()
    assert not Service.objects.filter(code="zonder").exists()
    page = InfoPage.objects.create(slug="online", title="Online", body="…")
    answer = admin_client.post(
        "/admin/appointments/bookingrule/add/",
        {"order": 5, "service": setup["service"].pk, "mode": "hybrid", "info_page": ""},
    )
    assert "Bouwadvies kan niet hybride" in answer.content.decode()
    answer = admin_client.post(
        "/admin/appointments/bookingrule/add/",
        {"order": 5, "service": setup["service"].pk, "info_page": page.pk, "mode": ""},
    )
    assert "één van beide" in answer.content.decode()
    assert BookingRule.objects.count() == 1
