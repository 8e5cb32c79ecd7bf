"""The portal's question form asks an optional address on a dossier without one (issue
15): the register's combobox, stored as the dossier page stores it — the register's
object and spelling when picked or found, as typed and *niet geverifieerd* when the
register is down (verified later), never over an address the dossier already has."""

from __future__ import annotations

import pytest

from midoffice.dossiers.models import AddressVerification, Dossier, Event, EventKind
from midoffice.dossiers.services import Location
from midoffice.places.services import address_verify_pending
from tests.factories import open_dossier
from tests.places.conftest import register  # noqa: F401 (fixture)
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.django_db

KASTANJEDREEF_12 = "https://data.vlaanderen.be/id/adres/3000201"


def _ask(client, dossier, **data):
    return client.post(f"/mijn/dossiers/{dossier.reference}/vraag", {"text": "Mag dit?", **data})


def test_the_form_offers_the_combobox_only_without_an_address(
    client,
    emma,
    emma_dossier,
    dossier_type,
):
    sign_in(client, emma)
    page = client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()
    assert 'role="combobox"' in page
    assert 'name="address_id"' in page
    assert "data-combobox" in page
    assert "web/combobox.js" in page
    assert "<script>" not in page  # no inline script (CSP)
    with_address = open_dossier(
        dossier_type=dossier_type,
        requester=emma,
        location=Location(street="Kastanjedreef", number="14", postcode="2640"),
    )
    page = client.get(f"/mijn/dossiers/{with_address.reference}").content.decode()
    assert 'role="combobox"' not in page
    assert "web/combobox.js" not in page


def test_a_picked_address_is_stored_with_its_register_object(
    client,
    emma,
    emma_dossier,
    register,  # noqa: F811
):
    sign_in(client, emma)
    answer = _ask(client, emma_dossier, address="kastanjedreef 12", address_id="3000201")
    assert answer.status_code == 302
    dossier = Dossier.objects.get(pk=emma_dossier.pk)
    assert dossier.address_uri == KASTANJEDREEF_12
    assert dossier.address_verification == AddressVerification.VERIFIED
    # The register's spelling, not what was typed.
    assert (dossier.location_street, dossier.location_number) == ("Kastanjedreef", "12")
    assert dossier.location_municipality == "Leemdonk"
    assert Event.objects.filter(dossier=dossier, kind=EventKind.LINK_ADDED).exists()


def test_without_javascript_the_typed_line_is_matched(
    client,
    emma,
    emma_dossier,
    register,  # noqa: F811
):
    sign_in(client, emma)
    assert _ask(client, emma_dossier, address="Kastanjedreef 12").status_code == 302
    dossier = Dossier.objects.get(pk=emma_dossier.pk)
    assert dossier.address_uri == KASTANJEDREEF_12


def test_register_down_keeps_it_as_typed_and_verifies_later(
    client,
    emma,
    emma_dossier,
    register,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    register.state.down = True
    sign_in(client, emma)
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask(client, emma_dossier, address="Kastanjedreef 14, 2640").status_code == 302
    dossier = Dossier.objects.get(pk=emma_dossier.pk)
    assert (dossier.location_street, dossier.location_number) == ("Kastanjedreef", "14")
    assert dossier.address_verification == AddressVerification.UNVERIFIED
    assert dossier.address_uri == ""
    register.state.down = False
    assert address_verify_pending() == 1
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.VERIFIED
    assert dossier.address_uri.endswith("/3000202")


def test_an_address_without_a_number_is_a_clear_error(
    client,
    emma,
    emma_dossier,
    register,  # noqa: F811
):
    sign_in(client, emma)
    answer = _ask(client, emma_dossier, address="Kastanjedreef")
    assert answer.status_code == 400
    assert "Geef minstens de straat en het huisnummer op." in answer.content.decode()
    assert Dossier.objects.get(pk=emma_dossier.pk).location_street == ""


def test_the_address_is_optional_and_never_overwrites(
    client,
    emma,
    emma_dossier,
    dossier_type,
    register,  # noqa: F811
):
    sign_in(client, emma)
    assert _ask(client, emma_dossier).status_code == 302
    assert Dossier.objects.get(pk=emma_dossier.pk).address_verification == ""
    with_address = open_dossier(
        dossier_type=dossier_type,
        requester=emma,
        location=Location(street="Kastanjedreef", number="14", postcode="2640"),
    )
    assert _ask(client, with_address, address="Kastanjedreef 12").status_code == 302
    assert Dossier.objects.get(pk=with_address.pk).location_number == "14"


def test_a_new_question_about_the_same_property_keeps_the_register_object(
    client,
    emma,
    dossier_type,
):
    dossier = open_dossier(
        dossier_type=dossier_type,
        requester=emma,
        location=Location(street="Kastanjedreef", number="12", postcode="2640"),
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        address_uri=KASTANJEDREEF_12, address_verification=AddressVerification.VERIFIED
    )
    sign_in(client, emma)
    assert _ask(client, dossier, about="property").status_code == 302
    new = Dossier.objects.exclude(pk=dossier.pk).get()
    assert new.address_uri == KASTANJEDREEF_12
    assert new.address_verification == AddressVerification.VERIFIED
