"""The dossier page's address: the autocomplete endpoint, saving, same-property list."""

from __future__ import annotations

import pytest

from midoffice.dossiers.models import AddressVerification, Dossier
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, handler):
    client.force_login(handler)
    return client


@pytest.fixture
def dossier(dossier_type):
    return open_dossier(dossier_type=dossier_type, subject="Renovatie woning")


def suggest(client, dossier, typed):
    return client.get(
        f"/dossiers/{dossier.reference}/adres/suggesties/",
        {"address": typed},
        headers={"HX-Request": "true"},
    )


def test_suggestions_are_options_of_the_listbox(register, signed_in, dossier):
    answer = suggest(signed_in, dossier, "Kastanje")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert html.count('role="option"') == 2
    assert 'data-id="3000201"' in html
    assert 'data-label="Kastanjedreef 12, 2640 Leemdonk"' in html


def test_suggestions_say_so_when_nothing_is_found_or_the_register_is_down(
    register, signed_in, dossier
):
    assert "Geen adres gevonden" in suggest(signed_in, dossier, "Nergensstraat").content.decode()
    register.state.down = True
    html = suggest(signed_in, dossier, "Kerkstraat").content.decode()
    assert "Het adressenregister antwoordt niet" in html
    assert 'aria-disabled="true"' in html


def test_suggestions_need_the_dossier_and_the_right(register, client, dossier):
    outsider = UserFactory(teams=[TeamFactory(code="burgerzaken")])
    client.force_login(outsider)
    assert suggest(client, dossier, "Kerkstraat").status_code == 404
    assert register.state.requests == []


def test_dossier_page_has_the_accessible_combobox(register, signed_in, dossier):
    html = signed_in.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert '<label for="address-input">' in html
    assert 'role="combobox"' in html
    assert 'aria-expanded="false"' in html
    assert 'aria-controls="address-options"' in html
    assert 'role="listbox"' in html
    assert "web/combobox.js" in html


def test_picked_address_is_saved_verified(register, signed_in, dossier):
    answer = signed_in.post(
        f"/dossiers/{dossier.reference}/adres/",
        {"address": "Kastanjedreef 12, 2640 Leemdonk", "address_id": "3000201"},
    )
    assert answer.status_code == 302
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.VERIFIED
    page = signed_in.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "geverifieerd" in page
    assert "https://data.vlaanderen.be/id/adres/3000201" in page


def test_typed_address_without_javascript_is_matched(register, signed_in, dossier):
    signed_in.post(f"/dossiers/{dossier.reference}/adres/", {"address": "heibloemdreef 88"})
    dossier.refresh_from_db()
    assert dossier.location_street == "Heibloemdreef"
    assert dossier.address_uri.endswith("/3000401")


def test_empty_or_incomplete_address_gets_a_dutch_error(register, signed_in, dossier):
    answer = signed_in.post(f"/dossiers/{dossier.reference}/adres/", {"address": ""})
    assert answer.status_code == 400
    assert "Geef een adres op" in answer.content.decode()
    answer = signed_in.post(f"/dossiers/{dossier.reference}/adres/", {"address": "Kerkstraat"})
    assert answer.status_code == 400
    assert "straat en het huisnummer" in answer.content.decode()


def test_register_down_page_says_not_verified(register, signed_in, dossier):
    register.state.down = True
    answer = signed_in.post(
        f"/dossiers/{dossier.reference}/adres/", {"address": "Kerkstraat 12"}, follow=True
    )
    html = answer.content.decode()
    assert "later gecontroleerd" in html
    assert "niet geverifieerd" in html


def test_page_lists_same_property_dossiers_the_viewer_may_see(signed_in, dossier, dossier_type):
    uri = "https://data.vlaanderen.be/id/adres/3000112"
    sibling = open_dossier(dossier_type=dossier_type, subject="Dakwerken Kerkstraat")
    hidden = open_dossier(
        dossier_type=DossierTypeFactory(team=TeamFactory(code="wonen"), code="premie"),
        subject="Geheime premie",
    )
    Dossier.objects.filter(pk__in=[dossier.pk, sibling.pk, hidden.pk]).update(
        address_uri=uri, address_verification=AddressVerification.VERIFIED
    )
    html = signed_in.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Zelfde eigendom" in html
    assert sibling.reference in html
    assert "Dakwerken Kerkstraat" in html
    assert hidden.reference not in html
