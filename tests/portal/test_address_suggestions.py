"""The portal's address autocomplete (issue 15): public suggestions, rate-limited per
client address, and the booking details' address field as the combobox."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction

from midoffice.appointments.models import Appointment
from midoffice.dossiers.models import AddressVerification
from midoffice.places.services import (
    address_checked,
    address_verify_pending,
    dossier_address_from_citizen,
)
from tests.appointments.factories import local
from tests.appointments.test_views_portal import (  # noqa: F401 (fixtures)
    MONDAY,
    _details,
    _text,
    _value,
    jcc,
    now,
    town,
)
from tests.factories import open_dossier
from tests.places.conftest import register  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

URL = "/mijn/adres/suggesties/"


def test_suggestions_work_signed_out(client, register):  # noqa: F811
    answer = client.get(URL, {"address": "Kastanje"}, headers={"HX-Request": "true"})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert html.count('role="option"') == 2
    assert 'data-label="Kastanjedreef 12, 2640 Leemdonk"' in html
    assert answer["Cache-Control"] == "no-store"


def test_suggestions_hold_no_dossier_data(client, register, dossier_type):  # noqa: F811
    dossier = open_dossier(dossier_type=dossier_type, subject="Geheime renovatie")
    dossier.location_street, dossier.location_number = "Kastanjedreef", "12"
    dossier.save()
    html = client.get(URL, {"address": "Kastanjedreef 12"}).content.decode()
    assert "Kastanjedreef 12" in html
    assert dossier.reference not in html
    assert "Geheime" not in html


def test_register_down_says_so_in_dutch(client, register):  # noqa: F811
    register.state.down = True
    html = client.get(URL, {"address": "Kerkstraat"}).content.decode()
    assert "Het adressenregister antwoordt niet" in html
    assert 'aria-disabled="true"' in html


def test_suggestions_are_rate_limited_per_client_address(client, register, settings):  # noqa: F811
    settings.PORTAL_ADDRESS_SUGGESTIONS_PER_MINUTE = 3
    for _ in range(3):
        assert client.get(URL, {"address": "Kastanje"}).status_code == 200
    asked = len(register.state.requests)
    answer = client.get(URL, {"address": "Kerkstraat"})
    assert answer.status_code == 429
    assert "Te veel opzoekingen" in answer.content.decode()
    assert int(answer["Retry-After"]) >= 1
    assert len(register.state.requests) == asked  # the register is not asked
    other = client.get(URL, {"address": "Kastanje"}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def _to_jcc_details(client, jcc_server):
    product = jcc_server.state.products["1"]
    jcc_server.state.products["1"] = dataclasses.replace(
        product, required=(*product.required, "Address")
    )
    client.post("/mijn/afspraak/")
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    client.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    choice = f"{_value(local(MONDAY, 13, 30))}@1"
    assert client.post("/mijn/afspraak/tijdstip/", {"start": choice}).status_code == 302


def test_booking_details_address_is_the_combobox(client, town, jcc, register):  # noqa: F811
    _to_jcc_details(client, jcc)
    page = _text(client.get("/mijn/afspraak/gegevens/"))
    assert 'role="combobox"' in page
    assert 'hx-get="/mijn/adres/suggesties/"' in page
    assert 'aria-controls="address-options"' in page
    assert "data-combobox" in page
    assert "web/combobox.js" in page
    assert "web/htmx.min.js" in page
    assert "<script>" not in page  # no inline script (CSP)


def test_booking_stores_the_picked_address(client, town, jcc, register):  # noqa: F811
    _to_jcc_details(client, jcc)
    response = client.post(
        "/mijn/afspraak/gegevens/",
        _details(
            guest_count="0",
            address="Kastanjedreef 12, 2640 Leemdonk",
            address_id="3000201",
        ),
    )
    assert response.status_code == 302, _text(response)
    assert "Kastanjedreef 12" in _text(client.get("/mijn/afspraak/bevestigen/"))
    assert client.post("/mijn/afspraak/bevestigen/").url == "/mijn/afspraak/bevestigd/"
    appointment = Appointment.objects.get()
    booked = jcc.state.bookings[appointment.external_id]
    assert booked.client["clientAddress"] == "Kastanjedreef 12, 2640 Leemdonk"
    # Midoffice keeps the register's object with the text (issue 15, ADR 26) …
    assert appointment.address == "Kastanjedreef 12, 2640 Leemdonk"
    assert appointment.address_uri == "https://data.vlaanderen.be/id/adres/3000201"
    assert appointment.address_verification == AddressVerification.VERIFIED
    # … and so does the dossier the booking opened.
    dossier = appointment.dossier
    assert dossier is not None
    assert (dossier.location_street, dossier.location_number) == ("Kastanjedreef", "12")
    assert dossier.address_uri == appointment.address_uri
    assert dossier.address_verification == AddressVerification.VERIFIED


def test_booking_with_the_register_down_keeps_the_address_as_typed(
    client,
    town,  # noqa: F811
    jcc,  # noqa: F811
    register,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    _to_jcc_details(client, jcc)
    client.post(
        "/mijn/afspraak/gegevens/",
        _details(guest_count="0", address="Kastanjedreef 14, 2640 Leemdonk", address_id=""),
    )
    register.state.down = True
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/mijn/afspraak/bevestigen/").url == "/mijn/afspraak/bevestigd/"
    appointment = Appointment.objects.get()
    assert appointment.address == "Kastanjedreef 14, 2640 Leemdonk"
    assert appointment.address_uri == ""
    assert appointment.address_verification == AddressVerification.UNVERIFIED
    dossier = appointment.dossier
    assert dossier is not None
    assert dossier.address_verification == AddressVerification.UNVERIFIED
    # The register is back: the sweep verifies the dossier's address.
    register.state.down = False
    assert address_verify_pending() == 1
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.VERIFIED
    assert dossier.address_uri == "https://data.vlaanderen.be/id/adres/3000202"


def test_a_citizens_address_goes_on_a_dossier_only_when_it_has_none(
    register,  # noqa: F811
    dossier_type,
):
    dossier = open_dossier(dossier_type=dossier_type)
    picked = address_checked(text="Kastanjedreef 12", address_id="3000201")
    assert picked is not None
    assert picked.state == AddressVerification.VERIFIED
    with transaction.atomic():
        assert dossier_address_from_citizen(dossier, picked)
    dossier.refresh_from_db()
    assert dossier.address_uri == picked.uri
    other = address_checked(text="Kastanjedreef 14")
    assert other is not None
    with transaction.atomic():
        assert not dossier_address_from_citizen(dossier, other)  # a handler's address stays
    dossier.refresh_from_db()
    assert dossier.address_uri == picked.uri
    assert address_checked(text="geen adres") is None  # no number: text only


def test_booking_details_without_an_address_field_load_no_assets(client, town, jcc):  # noqa: F811
    client.post("/mijn/afspraak/")
    client.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    client.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    client.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    choice = f"{_value(local(MONDAY, 13, 30))}@1"
    client.post("/mijn/afspraak/tijdstip/", {"start": choice})
    page = _text(client.get("/mijn/afspraak/gegevens/"))
    assert 'role="combobox"' not in page
