"""Signed manage links: no sign-in, valid until the appointment starts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse

from midoffice.appointments import links
from midoffice.appointments.links import (
    ManageLinkExpired,
    ManageLinkInvalid,
    appointment_for_token,
    manage_token,
    manage_url,
)
from midoffice.core import clock
from tests.appointments.itip_support import cancel, local, make_appointment, reschedule

START = local(2026, 5, 12, 10)


@pytest.fixture
def appointment(db):
    return make_appointment(start=START)


def test_a_token_opens_its_appointment_until_it_starts(appointment):
    token = manage_token(appointment)
    with clock.frozen_at(START - dt.timedelta(seconds=1)):
        assert appointment_for_token(token) == appointment
    with clock.frozen_at(START), pytest.raises(ManageLinkExpired) as expired:
        appointment_for_token(token)
    assert expired.value.status_code == 410
    assert expired.value.code == "expired"
    assert expired.value.message == "Deze link is verlopen: je afspraak is al begonnen of voorbij."


def test_a_token_from_before_a_reschedule_works_until_the_new_start(appointment):
    old = manage_token(appointment)
    with clock.frozen_at(START - dt.timedelta(days=3)):
        reschedule(appointment, start=START + dt.timedelta(days=7))
    with clock.frozen_at(START + dt.timedelta(days=1)):  # after the old time
        assert appointment_for_token(old) == appointment
    with clock.frozen_at(START + dt.timedelta(days=7)), pytest.raises(ManageLinkExpired):
        appointment_for_token(old)


def test_a_cancelled_appointment_still_opens_so_the_page_can_say_so(appointment):
    token = manage_token(appointment)
    cancel(appointment)
    with clock.frozen_at(START - dt.timedelta(days=1)):
        assert appointment_for_token(token).status == "cancelled"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: t.split(":")[0],  # signature cut off
        lambda t: "niet-een-token",
        lambda t: "",
    ],
)
def test_a_tampered_token_is_refused_in_dutch(appointment, mangle):
    with clock.frozen_at(START - dt.timedelta(days=1)), pytest.raises(ManageLinkInvalid) as bad:
        appointment_for_token(mangle(manage_token(appointment)))
    assert bad.value.status_code == 400
    assert bad.value.message.startswith("Deze link werkt niet.")


def test_a_token_signed_for_another_purpose_or_appointment_is_refused(appointment):
    other = make_appointment(start=START)
    forged = [
        # Another salt (e.g. the acknowledgement's preference links) does not pass.
        signing.Signer(salt="midoffice.other").sign_object(
            {"a": appointment.pk, "u": appointment.uid}
        ),
        # The id of one appointment with the UID of another.
        signing.Signer(salt=links.SALT).sign_object({"a": other.pk, "u": appointment.uid}),
        signing.Signer(salt=links.SALT).sign_object({"a": "1"}),
        # Signed with a timestamp (signing.dumps) by someone who knows the salt's secret:
        # still not our format.
        signing.dumps({"a": appointment.pk, "u": appointment.uid}, salt=links.SALT),
    ]
    with clock.frozen_at(START - dt.timedelta(days=1)):
        for token in forged:
            with pytest.raises(ManageLinkInvalid):
                appointment_for_token(token)


def test_the_same_appointment_always_gets_the_same_link(appointment):
    assert manage_token(appointment) == manage_token(appointment)
    assert manage_token(appointment) != manage_token(make_appointment(start=START))


def test_the_manage_url_is_absolute_and_names_the_portal_page(appointment, settings):
    settings.PUBLIC_URL = "https://loket.leemdonk.example"
    url = manage_url(appointment)
    token = manage_token(appointment)
    assert url == "https://loket.leemdonk.example" + reverse(
        "portal:appointment-manage", args=[token]
    )
