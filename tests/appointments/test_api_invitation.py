"""``GET /api/v1/appointments/{id}/invitation.ics``: the object as sent, for other systems."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from midoffice.appointments.invitations import TOPIC
from midoffice.core.models import OutboxMessage
from tests.appointments.itip_support import book, cancel, check_ics, ical_parse, local, reschedule
from tests.factories import TeamFactory, UserFactory


def _url(appointment) -> str:
    return f"/api/v1/appointments/{appointment.pk}/invitation.ics"


def test_the_invitation_is_served_as_sent_and_parses(api, db):
    appointment = book(guests=(("Jan Claes", "jan@claes.example"),))
    response = api.get(_url(appointment))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    sent = OutboxMessage.objects.filter(topic=TOPIC).first()
    assert response.content == sent.payload["ics"].encode()
    (report,) = check_ics(response.content)
    assert report["method"] == "REQUEST"
    assert report["events"][0]["uid"] == appointment.uid
    assert ical_parse(response.content).events[0].sequence == 0


def test_after_a_reschedule_and_a_cancel_it_is_the_newest(api, db):
    appointment = book()
    reschedule(appointment, start=local(2026, 5, 19, 10))
    moved = api.get(_url(appointment))
    cancel(appointment)
    cancelled = api.get(_url(appointment))
    one, two = check_ics(moved.content, cancelled.content)
    assert (one["method"], one["events"][0]["sequence"]) == ("REQUEST", 1)
    assert (two["method"], two["events"][0]["sequence"]) == ("CANCEL", 2)
    assert two["events"][0]["status"] == "CANCELLED"
    # The same object under the address without the suffix.
    assert api.get(f"/api/v1/appointments/{appointment.pk}/invitation/").content == (
        cancelled.content
    )


@pytest.mark.parametrize("path", ["999999/invitation.ics", "abc/invitation.ics"])
def test_an_unknown_appointment_is_a_json_404(api, db, path):
    response = api.get(f"/api/v1/appointments/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_another_teams_appointment_is_not_found_and_strangers_must_sign_in(db):
    appointment = book()
    outsider = APIClient()
    outsider.force_authenticate(UserFactory(teams=[TeamFactory(code="burgerzaken")]))
    assert outsider.get(_url(appointment)).status_code == 404
    assert APIClient().get(_url(appointment)).status_code in (401, 403)


def test_another_format_is_not_offered(api, db):
    appointment = book()
    assert api.get(f"/api/v1/appointments/{appointment.pk}/invitation.json").status_code == 404
